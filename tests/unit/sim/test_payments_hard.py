"""The hard payment stream: reproducible per seed, and as hard as promised — most scams carry no memo
keyword, scams split and spread over days, mules that traded as merchants, honest look-alikes."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from kefu.screening import MemoLexicon
from kefu.sim.payments_hard import generate_payments

RECORDS = list(generate_payments(30_000, seed=9, scam_rate=0.02, difficulty="hard"))
SCAMS = [r for r in RECORDS if r["label"]["scam"]]


def test_the_same_seed_gives_the_same_stream_and_another_seed_another() -> None:
    """Byte-for-byte reproducible; a different seed differs; easy stays the default and differs."""
    again = list(generate_payments(2000, seed=9, scam_rate=0.02, difficulty="hard"))
    assert again == list(generate_payments(2000, seed=9, scam_rate=0.02, difficulty="hard"))
    assert again != list(generate_payments(2000, seed=10, scam_rate=0.02, difficulty="hard"))
    assert list(generate_payments(500, seed=9)) != list(generate_payments(500, seed=9, difficulty="hard"))
    with pytest.raises(ValueError, match="difficulty"):
        generate_payments(10, difficulty="impossible")


def test_records_are_in_time_order_and_carry_labels() -> None:
    """Every record has a label with a typology exactly when it is a scam; times never go back."""
    times = [datetime.fromisoformat(r["created_at"]) for r in RECORDS]
    assert times == sorted(times)
    assert all((r["label"]["typology"] is not None) == r["label"]["scam"] for r in RECORDS)
    assert 0.01 < len(SCAMS) / len(RECORDS) < 0.04


def test_at_least_forty_percent_of_scams_carry_no_memo_keyword() -> None:
    """The memo lexicon finds nothing in at least 40 % of scam payments."""
    lexicon = MemoLexicon()
    silent = sum(1 for r in SCAMS if not lexicon.match(r["memo"])[0])
    assert silent / len(SCAMS) >= 0.4


def test_scams_split_spread_and_use_camouflaged_merchants() -> None:
    """Split pieces exist; some episodes span days; some scams go to shop accounts that took ordinary
    purchases before; every typology appears."""
    scenarios = Counter(r["label"]["scenario"] for r in SCAMS)
    assert scenarios["split"] > 0
    by_pair: dict[tuple[str, str], list[datetime]] = {}
    for r in SCAMS:
        key = (r["payer"]["customer_id"], r["payee"]["account_id"])
        by_pair.setdefault(key, []).append(datetime.fromisoformat(r["created_at"]))
    assert any((max(t) - min(t)).days >= 1 for t in by_pair.values())
    shops = {r["payee"]["account_id"] for r in SCAMS if r["payee"]["kind"] == "merchant"}
    assert shops
    honest_to_shops = [r for r in RECORDS if not r["label"]["scam"] and r["payee"]["account_id"] in shops]
    assert honest_to_shops
    assert len({r["label"]["typology"] for r in SCAMS}) == 8


def test_legitimate_look_alikes_are_woven_in() -> None:
    """Tradesmen, hospitals, second-hand purchases, rent deposits and family emergencies appear, labelled
    legitimate; tradesmen and hospitals are often paid by elderly customers."""
    honest = [r for r in RECORDS if not r["label"]["scam"]]
    scenarios = Counter(r["label"]["scenario"] for r in honest)
    for name in ("tradesman", "hospital", "second_hand", "rent_deposit", "family_emergency"):
        assert scenarios[name] > 0, name
    elderly = [r for r in honest if r["label"]["scenario"] in {"tradesman", "hospital"}]
    assert sum(r["payer_profile"]["elderly"] for r in elderly) / len(elderly) > 0.4
