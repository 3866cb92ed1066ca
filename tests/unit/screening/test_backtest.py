"""Backtests: precision, recall, hold rate and funds saved, for one rule set or two side by side."""

from __future__ import annotations

from kefu.screening import backtest, format_backtest, load_rule_set

from .helpers import pay

STRICT = load_rule_set(
    "version: strict\nrules:\n"
    "  - {code: big, when: amount >= 100_000, weight: 70, typology: investment,"
    " message_zh: 大, message_en: big}"
)
LOOSE = load_rule_set(
    "version: loose\nrules:\n"
    "  - {code: huge, when: amount >= 1_000_000, weight: 70, typology: investment,"
    " message_zh: 大, message_en: huge}"
)


def record(pid, amount, scam, minutes):
    data = pay(pid, payer=f"c-{pid}", amount=amount, minutes=minutes).to_dict()
    data["label"] = {"scam": scam, "typology": "investment" if scam else None}
    return data


DATA = [
    record("a", 2_000_000, True, 0),  # caught by both
    record("b", 200_000, True, 1),  # caught by strict only
    record("c", 500, True, 2),  # missed by both
    record("d", 300_000, False, 3),  # false positive for strict
    record("e", 1_000, False, 4),
]


def test_metrics_are_counted_over_held_and_blocked_payments():
    """Precision, recall, hold rate and amount saved follow from which payments were stopped."""
    result = backtest(STRICT, DATA)
    strict = result["results"][0]
    assert (result["payments"], result["scams"]) == (5, 3)
    assert (strict["true_positives"], strict["false_positives"]) == (2, 1)
    assert strict["precision"] == round(2 / 3, 4)
    assert strict["recall"] == round(2 / 3, 4)
    assert strict["hold_rate"] == 0.6
    assert strict["amount_saved"] == {"CNY": 2_200_000}
    assert strict["amount_at_risk"] == {"CNY": 2_200_500}
    assert strict["per_typology"]["investment"]["interdicted"] == 2


def test_two_rule_sets_side_by_side():
    """With `against`, both rule sets are measured on the same data and printed in one table."""
    result = backtest(STRICT, DATA, against=LOOSE)
    strict, loose = result["results"]
    assert (strict["rule_set_version"], loose["rule_set_version"]) == ("strict", "loose")
    assert (loose["true_positives"], loose["false_positives"]) == (1, 0)
    table = format_backtest(result)
    assert "strict" in table and "loose" in table and "precision" in table
    assert "22,000.00" in table
