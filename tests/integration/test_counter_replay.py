"""Memory that survives a restart (issue 14): with in-memory counters, kefu rebuilds payer, payee and pair
windows from the stored screenings on start, so the payment after a restart gets the same features,
decision and score as in an uninterrupted run (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.memory import MemoryStore, MemoryUnitOfWorkFactory
from kefu.adapters.notify import RecordingNotifier
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.config import load_settings
from kefu.domain.clock import FakeClock
from kefu.domain.payments import ScreeningRecord, ScreenPayment
from kefu.domain.users import SYSTEM_ACTOR
from kefu.entrypoints.cli import app
from kefu.screening import CounterFeatures, InMemoryCounterStore
from kefu.services.screening.replay import replay_counters
from tests.clocks import MORNING
from tests.conftest import Database, settings_for

STEPS_S = (0, 600, 1_200, 1_800)  # the history: four payments over half an hour


def _payment(n: int, clock: FakeClock, amount: int) -> dict[str, Any]:
    return {
        "payment_id": f"p-{n}",
        "payer": {"external_id": "ext-payer"},
        "payee": {"account_id": f"acct-{n % 2}", "name": "张警官", "kind": "individual"},
        "amount": amount,
        "currency": "CNY",
        "channel": "transfer",
        "memo": "转入安全账户配合调查" if n == 3 else "",
        "created_at": clock.now().isoformat(),
    }


async def _start(clock: FakeClock, database: Database | None) -> Kefu:
    """A kefu on the database, or (``None``) on the shipped in-memory store, with in-memory counters."""
    store = None if database is not None else MemoryUnitOfWorkFactory(MemoryStore(clock), clock)
    settings = (
        settings_for(database, rules_check_s=0) if database is not None else load_settings(rules_check_s=0)
    )
    return await bootstrap(
        settings,
        clock=clock,
        store=store,
        hasher=Argon2Hasher(fast=True),
        publisher=InProcessBus(),
        notifier=RecordingNotifier(),
        routing=False,
        relay=False,
    )


async def _history(k: Kefu, clock: FakeClock) -> None:
    """A test payment, then larger ones to two payees: the last ("a safe account") is held."""
    for n, (at, amount) in enumerate(zip(STEPS_S, (500, 300_000, 2_000_000, 5_000_000), strict=True)):
        clock.set(MORNING + timedelta(seconds=at))
        await k.bus.handle(ScreenPayment(_payment(n, clock, amount)), SYSTEM_ACTOR)


async def _next(k: Kefu, clock: FakeClock) -> ScreeningRecord:
    clock.set(MORNING + timedelta(seconds=2_400))
    return await k.bus.handle(ScreenPayment(_payment(9, clock, 6_000_000)), SYSTEM_ACTOR)


async def test_the_payment_after_a_restart_scores_as_without_it(database: Database) -> None:
    """History, close, bootstrap again on the same database: the next payment's features, decision and
    score equal those of an uninterrupted run, and they are not a stranger's."""
    clock = FakeClock(MORNING)
    reference = await _start(clock, None)
    try:
        await _history(reference, clock)
        expected = await _next(reference, clock)
    finally:
        await reference.close()

    clock = FakeClock(MORNING)
    before = await _start(clock, database)
    try:
        await _history(before, clock)
    finally:
        await before.close()
    after = await _start(clock, database)
    try:
        got = await _next(after, clock)
    finally:
        await after.close()
    assert expected.request is not None and got.request is not None
    want = CounterFeatures(*expected.request["counters"])
    assert want.payer_out_count_1h == 5 and want.payer_stopped_24h >= 1, want
    assert (got.decision, got.score, got.request["counters"]) == (
        expected.decision,
        expected.score,
        expected.request["counters"],
    )
    assert got.decision in ("hold", "block")


async def test_replay_skips_released_stops_and_old_screenings(database: Database) -> None:
    """A replay over a window that starts after the history counts nothing; over the whole history it
    counts each screening once and each stop that still stands."""
    clock = FakeClock(MORNING)
    k = await _start(clock, database)
    try:
        await _history(k, clock)
        counters = InMemoryCounterStore()
        later = MORNING + timedelta(days=8)
        none = await replay_counters(k.bus.uow_factory, counters, later)
        assert (none.screenings, counters.tracked_payers) == (0, 0)
        replayed = await replay_counters(k.bus.uow_factory, counters, clock.now(), page=3)
        assert replayed.screenings == len(STEPS_S) and replayed.stops >= 1
        assert counters.tracked_payers == 1
    finally:
        await k.close()


def test_the_replay_bench_prints_its_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """``kefu bench counters-replay`` replays every generated screening and prints the time it took."""
    # The command would point logging at the runner's captured stream, closed once it returns.
    monkeypatch.setattr("kefu.entrypoints.cli_bench.configure_logging", lambda *a, **k: None)
    result = CliRunner().invoke(app, ["bench", "counters-replay", "--screenings", "500"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert (figures["database"], figures["replayed"], figures["tracked_payers"]) == ("sqlite", 500, 50)
    assert figures["stops"] > 0 and figures["seconds"] >= 0
