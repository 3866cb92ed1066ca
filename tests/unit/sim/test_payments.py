"""The labelled synthetic payment stream."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest

from kefu.screening import TYPOLOGIES, PayerProfile, Payment, Screener, default_rule_set
from kefu.sim.payments import generate_payments


def test_same_seed_same_stream_other_seed_other_stream():
    """The stream is deterministic for a seed and differs between seeds."""
    a = list(generate_payments(500, seed=3, scam_rate=0.05))
    assert a == list(generate_payments(500, seed=3, scam_rate=0.05))
    assert a != list(generate_payments(500, seed=4, scam_rate=0.05))


def test_records_are_json_screening_requests_with_labels_in_time_order():
    """Every record is JSON-able, parses as a screening request, carries a label, and time never goes back."""
    records = list(generate_payments(2000, seed=1, scam_rate=0.05))
    assert len(records) == 2000
    assert len({r["payment_id"] for r in records}) == 2000
    times = [datetime.fromisoformat(r["created_at"]) for r in records]
    assert times == sorted(times)
    for r in records:
        json.dumps(r)
        Payment.from_dict(r)
        PayerProfile.from_dict(r["payer_profile"])
        assert isinstance(r["amount"], int) and r["amount"] > 0
        assert set(r["label"]) == {"scam", "typology", "scenario"}
        assert (r["label"]["typology"] is not None) == r["label"]["scam"]


@pytest.mark.slow
def test_scam_rate_and_typologies():
    """The share of scam payments follows scam_rate and every typology appears with its signatures."""
    records = list(generate_payments(20_000, seed=2, scam_rate=0.03))
    scams = [r for r in records if r["label"]["scam"]]
    assert 0.015 < len(scams) / len(records) < 0.05
    assert {r["label"]["typology"] for r in scams} == set(TYPOLOGIES)
    scenarios = Counter(r["label"]["scenario"] for r in scams)
    assert scenarios["test_payment"] > 0 and scenarios["retry"] > 0
    soldier = [r for r in scams if r["label"]["typology"] == "impersonation_soldier"]
    assert all(r["payer_profile"]["elderly"] for r in soldier[:20])
    assert any(
        r["device"]["remote_access_app"] for r in scams if r["label"]["typology"] == "fake_customer_service"
    )
    assert not any(r["label"]["scam"] for r in generate_payments(2000, seed=2, scam_rate=0.0))


def test_ordinary_life_has_a_daily_rhythm():
    """Ordinary payments are rarer from 01:00 to 06:00 Beijing time than in the evening."""
    records = list(generate_payments(10_000, seed=5, scam_rate=0.0))
    hours = Counter((datetime.fromisoformat(r["created_at"]).hour + 8) % 24 for r in records)
    assert sum(hours[h] for h in range(1, 6)) * 5 < sum(hours[h] for h in range(18, 23))


@pytest.mark.slow
def test_default_rules_allow_ordinary_salaries_and_family_transfers():
    """Salaries and family transfers in the stream are mostly allowed by the shipped rules."""
    screener = Screener(default_rule_set())
    allowed = Counter()
    total = Counter()
    for r in generate_payments(10_000, seed=6, scam_rate=0.02):
        decision = screener.screen(Payment.from_dict(r), PayerProfile.from_dict(r["payer_profile"]))
        scenario = r["label"]["scenario"]
        if scenario in {"salary", "family"}:
            total[scenario] += 1
            allowed[scenario] += decision.decision == "allow"
    for scenario in ("salary", "family"):
        assert allowed[scenario] / total[scenario] > 0.95
