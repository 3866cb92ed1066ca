"""The screening decision: the border-soldier scene, the allow lane, and the scoring invariants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.screening import (
    OUTCOMES,
    CounterFeatures,
    DeviceSignals,
    FeatureBuilder,
    PayerProfile,
    Screener,
    Thresholds,
    default_rule_set,
    load_rule_set,
    screen,
)

from .helpers import pay

DEFAULT = default_rule_set()
GRANDMA = PayerProfile(elderly=True, trusted_payees=frozenset({"acct-grandson"}))


def border_soldier(pid: str = "pay-scene", minutes: float = 0):
    return pay(
        pid,
        payer="c-grandma",
        payee="acct-soldier",
        name="边防战士 李强",
        amount=10_000_000,
        memo="给边防战士的捐款",
        minutes=minutes,
    )


def test_border_soldier_scene_is_held_as_soldier_impersonation():
    """An 80-year-old sending ¥100,000 to a 'border soldier' with a donation memo is held, not allowed."""
    decision = Screener(DEFAULT).screen(border_soldier(), GRANDMA)
    assert decision.decision in {"hold", "block"}
    assert decision.decision == "hold"
    assert decision.typology == "impersonation_soldier"
    codes = {r.code for r in decision.reasons}
    assert {"elderly_large_new_payee", "memo_impersonation_soldier"} <= codes
    assert all(r.message_zh and r.message_en for r in decision.reasons)
    assert decision.rule_set_version == DEFAULT.version


def test_watchlisted_payee_is_blocked_at_once():
    """Once the payee is watchlisted, the next payment to it is blocked."""
    screener = Screener(DEFAULT)
    screener.counters.set_watchlisted("acct-soldier")
    decision = screener.screen(border_soldier(), GRANDMA)
    assert decision.decision == "block"


def test_retry_after_a_hold_scores_higher():
    """A retry after a stopped payment, split smaller, still gets stopped."""
    screener = Screener(DEFAULT)
    assert screener.screen(border_soldier(), GRANDMA).stops_payment
    retry = pay("pay-retry", payer="c-grandma", payee="acct-other", amount=3_000_000, minutes=10)
    decision = screener.screen(retry, GRANDMA)
    assert "retry_after_stop" in {r.code for r in decision.reasons}
    assert decision.stops_payment


def test_ordinary_family_transfer_and_salary_are_allowed():
    """A trusted family transfer and a salary with an ordinary memo pass without friction."""
    screener = Screener(DEFAULT)
    family = screener.screen(pay("f1", payer="c-grandma", payee="acct-grandson", amount=500_000), GRANDMA)
    assert (family.decision, family.lane, family.score) == ("allow", "trusted_payee", 0)
    salary = screener.screen(pay("s1", payer="c-boss", amount=800_000, memo="工资"), PayerProfile())
    assert salary.decision == "allow"


def test_small_red_packet_takes_the_allow_lane():
    """Small red packets are allowed by the rule set's allow lane before any rule is scored."""
    d = Screener(DEFAULT).screen(pay("r1", channel="red_packet", amount=888, memo="生日快乐"), PayerProfile())
    assert (d.decision, d.lane, d.reasons[0].code) == ("allow", "allow_rule", "small_red_packet")


def test_remote_access_fake_customer_service():
    """A test payment, then a large 'refund' payment with a remote-access app running, is stopped."""
    screener = Screener(DEFAULT)
    device = DeviceSignals(remote_access_app=True, on_call=True)
    screener.screen(pay("t1", payee="acct-cs", amount=1, device=device), PayerProfile())
    d = screener.screen(
        pay("t2", payee="acct-cs", amount=1_500_000, memo="退款", minutes=3, device=device), PayerProfile()
    )
    assert d.stops_payment
    assert d.typology == "fake_customer_service"


def test_night_is_judged_in_the_payers_timezone():
    """02:00 in Shanghai is night for a Shanghai payer but not for a London one."""
    at = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)  # 02:00 Asia/Shanghai, 18:00 Europe/London
    shadowless = load_rule_set(
        "version: n\nrules:\n  - {code: n, when: night, weight: 50, message_zh: 夜, message_en: night}"
    )
    payment = pay("n1", at=at)
    assert screen(shadowless, payment, PayerProfile(), CounterFeatures()).score == 50
    assert screen(shadowless, payment, PayerProfile(timezone="Europe/London"), CounterFeatures()).score == 0


def test_decision_serialises_for_the_api():
    """The decision's dict form has the fields the screening response and audit log carry."""
    d = Screener(DEFAULT).screen(border_soldier(), GRANDMA).to_dict()
    assert set(d) >= {"payment_id", "decision", "score", "reasons", "typology", "rule_set_version", "shadow"}
    assert set(d["reasons"][0]) == {"code", "weight", "message_zh", "message_en"}


# --- invariants over random rule sets and payments ------------------------------------------------------

CONDITIONS = (
    "amount >= 100_000",
    "amount > 2_000_000 and payer_elderly",
    "payee_reports >= 1 or night",
    "'investment' in memo_typologies and amount >= 50_000 and not night",
    "payer_out_count_1h >= 3 and first_to_payee",
    "first_to_payee",
    "payer_elderly",
    "night",
    "payee_distinct_payers_24h >= 3",
    "device_remote_access or device_on_call",
    "not first_to_payee and amount < 5_000",
    "'investment' in memo_typologies",
    "payee_watchlisted",
    "channel in ['qr', 'merchant']",
)


@st.composite
def rule_sets(draw):
    rules = draw(
        st.lists(
            st.tuples(st.sampled_from(CONDITIONS), st.integers(-40, 100), st.booleans()),
            min_size=1,
            max_size=12,
        )
    )
    lines = ["version: h", "rules:"]
    for i, (cond, weight, shadow) in enumerate(rules):
        lines.append(
            f'  - {{code: r{i}, when: "{cond}", weight: {weight}, shadow: {str(shadow).lower()}, '
            f"message_zh: 规则, message_en: rule}}"
        )
    return load_rule_set("\n".join(lines))


counter_features = st.builds(
    CounterFeatures,
    payer_out_count_1h=st.integers(1, 20),
    first_to_payee=st.booleans(),
    payee_distinct_payers_24h=st.integers(1, 30),
    payee_watchlisted=st.booleans(),
)
payments = st.builds(
    lambda amount, memo, hour, channel, remote: pay(
        "h1",
        amount=amount,
        memo=memo,
        at=datetime(2026, 11, 2, hour, 0, tzinfo=UTC),
        channel=channel,
        payee="acct-h",
        device=DeviceSignals(remote_access_app=remote),
    ),
    st.integers(1, 50_000_000),
    st.sampled_from(["", "投资", "房租", "稳赚 导师"]),
    st.integers(0, 23),
    st.sampled_from(["transfer", "qr", "merchant"]),
    st.booleans(),
)
profiles = st.builds(PayerProfile, elderly=st.booleans(), vulnerable=st.booleans())
thresholds = st.tuples(st.integers(1, 100), st.integers(1, 100), st.integers(1, 100)).map(
    lambda t: Thresholds(*sorted(t))
)


@pytest.mark.slow
@settings(max_examples=200)
@given(rule_sets(), payments, profiles, counter_features, thresholds)
def test_score_is_the_clamped_sum_of_deciding_weights(rule_set, payment, profile, counters, limits):
    """The score is always 0-100 and equals the clamped sum of the matched deciding rules' weights."""
    d = screen(rule_set, payment, profile, counters, limits)
    assert 0 <= d.score <= 100
    fired = {r.code: r.weight for r in d.reasons}
    assert set(fired) <= {r.code for r in rule_set.deciding}
    assert d.score == max(0, min(100, sum(fired.values())))
    assert [r.weight for r in d.reasons] == sorted((r.weight for r in d.reasons), reverse=True)


@pytest.mark.slow
@settings(max_examples=200)
@given(rule_sets(), payments, profiles, counter_features, thresholds)
def test_decision_follows_thresholds_monotonically(rule_set, payment, profile, counters, limits):
    """The decision is the highest threshold the score reaches, so a higher score never decides less."""
    d = screen(rule_set, payment, profile, counters, limits)
    expected = "allow"
    for name, cut in (("warn", limits.warn), ("hold", limits.hold), ("block", limits.block)):
        if d.score >= cut:
            expected = name
    assert d.decision == expected
    assert OUTCOMES.index(d.shadow_decision) >= 0


def without_shadow_rules(rule_set):
    data = rule_set.to_dict()
    live = [r for r in data["rules"] if not r["shadow"]]
    noop = {"code": "noop", "when": "false", "weight": 0, "message_zh": "无", "message_en": "none"}
    return load_rule_set(yaml.safe_dump({**data, "rules": live or [noop]}))


@pytest.mark.slow
@settings(max_examples=200)
@given(rule_sets(), payments, profiles, counter_features, st.integers(1, 100))
def test_more_evidence_never_lowers_the_decision(rule_set, payment, profile, counters, weight):
    """Adding a matching rule with positive weight never lowers the score or the decision."""
    data = rule_set.to_dict()
    extra = {
        "code": "extra",
        "when": "amount >= 1",
        "weight": weight,
        "message_zh": "加",
        "message_en": "more",
    }
    stronger = load_rule_set(yaml.safe_dump({**data, "rules": [*data["rules"], extra]}))
    before = screen(rule_set, payment, profile, counters)
    after = screen(stronger, payment, profile, counters)
    assert after.score >= before.score
    assert OUTCOMES.index(after.decision) >= OUTCOMES.index(before.decision)


@pytest.mark.slow
@settings(max_examples=200)
@given(rule_sets(), payments, profiles, counter_features)
def test_shadow_rules_never_change_the_decision(rule_set, payment, profile, counters):
    """Making every shadow rule disappear leaves decision, score and reasons untouched."""
    with_shadow = screen(rule_set, payment, profile, counters)
    live_only = without_shadow_rules(rule_set)
    without = screen(live_only, payment, profile, counters)
    assert (with_shadow.decision, with_shadow.score) == (without.decision, without.score)
    assert [r.code for r in with_shadow.reasons] == [r.code for r in without.reasons]
    assert {r.code for r in with_shadow.shadow} <= {r.code for r in rule_set.shadow}


@pytest.mark.slow
@settings(max_examples=200)
@given(rule_sets(), payments, profiles, counter_features)
def test_rule_index_matches_exactly_the_rules_that_hold(rule_set, payment, profile, counters):
    """Guard indexing is only a shortcut: it finds exactly the rules whose conditions hold."""
    features = FeatureBuilder().build(payment, profile, counters)
    for rules, index in (
        (rule_set.deciding, rule_set.deciding_index),
        (rule_set.shadow, rule_set.shadow_index),
    ):
        expected = sorted(r.index for r in rules if r.predicate(features))
        assert sorted(r.index for r in index.matches(features)) == expected


@settings(max_examples=100)
@given(rule_sets(), payments, profiles, counter_features)
def test_trusted_payee_is_always_allowed(rule_set, payment, profile, counters):
    """A payee on the payer's trusted list is allowed whatever the rules and signals say, unless it is
    watchlisted: then the trusted lane never applies."""
    trusting = PayerProfile(profile.elderly, profile.vulnerable, profile.timezone, frozenset({"acct-h"}))
    d = screen(rule_set, payment, trusting, counters)
    if counters.payee_watchlisted:
        assert d.lane != "trusted_payee"
    else:
        assert (d.decision, d.score, d.lane) == ("allow", 0, "trusted_payee")
