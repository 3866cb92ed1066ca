"""Backtest: replay a labelled payment stream through one or two rule sets and compare them.

Each rule set gets its own fresh in-memory counters, because decisions feed back into features (a stopped
payment makes the payer's retry score higher). A payment counts as *interdicted* when it is held or
blocked; precision, recall and funds saved are measured on interdicted payments, and the warn rate is
reported beside them because a warning costs the payer a moment, not a call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kefu.screening.decision import OUTCOMES, Screener
from kefu.screening.payment import PayerProfile, Payment
from kefu.screening.rules import RuleSet, Thresholds
from kefu.screening.typologies import TYPOLOGIES


def backtest(
    rule_set: RuleSet,
    labelled_payments: Iterable[Mapping[str, Any]],
    against: RuleSet | None = None,
    thresholds: Thresholds | None = None,
) -> dict[str, Any]:
    """Metrics for ``rule_set`` (and ``against``, side by side) over labelled screening records.

    A record is a screening request plus ``payer_profile`` (optional) and ``label`` ``{scam, typology}``,
    as ``kefu.sim.payments`` writes them.
    """
    records = [_parse(r) for r in labelled_payments]
    sets = [rule_set] if against is None else [rule_set, against]
    scams = sum(1 for _, _, scam, _ in records if scam)
    return {
        "payments": len(records),
        "scams": scams,
        "results": [_run(rs, records, thresholds) for rs in sets],
    }


def _parse(record: Mapping[str, Any]) -> tuple[Payment, PayerProfile, bool, str | None]:
    label = record.get("label") or {}
    typology = label.get("typology")
    return (
        Payment.from_dict(record),
        PayerProfile.from_dict(record.get("payer_profile")),
        bool(label.get("scam", False)),
        typology if isinstance(typology, str) else None,
    )


def _run(
    rule_set: RuleSet,
    records: list[tuple[Payment, PayerProfile, bool, str | None]],
    thresholds: Thresholds | None,
) -> dict[str, Any]:
    screener = Screener(rule_set, thresholds=thresholds)
    decisions = dict.fromkeys(OUTCOMES, 0)
    tp = fp = warned_scams = 0
    saved: dict[str, int] = {}
    at_risk: dict[str, int] = {}
    blocked_honest: dict[str, int] = {}
    shadow_changes = 0
    typ: dict[str, dict[str, int]] = {
        t: {"scams": 0, "interdicted": 0, "amount": 0, "saved": 0} for t in TYPOLOGIES
    }
    typ_named = 0
    for payment, profile, scam, typology in records:
        decision = screener.screen(payment, profile)
        decisions[decision.decision] += 1
        if decision.shadow_decision != decision.decision:
            shadow_changes += 1
        stopped = decision.stops_payment
        currency = payment.currency
        if scam:
            at_risk[currency] = at_risk.get(currency, 0) + payment.amount
            bucket = typ.setdefault(
                typology or "unknown", {"scams": 0, "interdicted": 0, "amount": 0, "saved": 0}
            )
            bucket["scams"] += 1
            bucket["amount"] += payment.amount
            if decision.decision != "allow":
                warned_scams += 1
            if stopped:
                tp += 1
                bucket["interdicted"] += 1
                bucket["saved"] += payment.amount
                saved[currency] = saved.get(currency, 0) + payment.amount
                if decision.typology == typology:
                    typ_named += 1
        elif stopped:
            fp += 1
            blocked_honest[currency] = blocked_honest.get(currency, 0) + payment.amount
    screened = len(records)
    scams = sum(1 for _, _, scam, _ in records if scam)
    return {
        "rule_set_version": rule_set.version,
        "screened": screened,
        "decisions": decisions,
        "interdicted": tp + fp,
        "true_positives": tp,
        "false_positives": fp,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, scams),
        "warn_or_above_recall": _ratio(warned_scams, scams),
        "hold_rate": _ratio(tp + fp, screened),
        "typology_accuracy": _ratio(typ_named, tp),
        "amount_at_risk": at_risk,
        "amount_saved": saved,
        "honest_amount_stopped": blocked_honest,
        "shadow_would_change": shadow_changes,
        "per_typology": {
            name: {**bucket, "recall": _ratio(bucket["interdicted"], bucket["scams"])}
            for name, bucket in typ.items()
            if bucket["scams"]
        },
    }


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def format_backtest(result: Mapping[str, Any]) -> str:
    """A plain-text table of a ``backtest`` result, one column per rule set."""
    results: list[Mapping[str, Any]] = result["results"]
    head = ["metric", *(str(r["rule_set_version"]) for r in results)]
    rows: list[list[str]] = [
        ["payments", *(str(r["screened"]) for r in results)],
        ["scams", *(str(result["scams"]) for _ in results)],
    ]
    for key in ("precision", "recall", "warn_or_above_recall", "hold_rate", "typology_accuracy"):
        rows.append([key, *(f"{r[key]:.4f}" for r in results)])
    for outcome in OUTCOMES:
        rows.append([outcome, *(str(r["decisions"][outcome]) for r in results)])
    currencies = sorted({c for r in results for c in r["amount_at_risk"]})
    for currency in currencies:
        rows.append([f"at risk {currency}", *(_money(r["amount_at_risk"].get(currency, 0)) for r in results)])
        rows.append([f"saved {currency}", *(_money(r["amount_saved"].get(currency, 0)) for r in results)])
    names = sorted({n for r in results for n in r["per_typology"]})
    for name in names:
        cells = []
        for r in results:
            t = r["per_typology"].get(name)
            cells.append(f"{t['interdicted']}/{t['scams']} ({t['recall']:.2f})" if t else "-")
        rows.append([f"recall {name}", *cells])
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _money(minor: int) -> str:
    return f"{minor // 100:,}.{minor % 100:02d}"
