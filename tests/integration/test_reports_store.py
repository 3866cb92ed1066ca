"""The report store on SQLite and PostgreSQL: cases and funds saved by agent and site, rollup ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.bootstrap import Kefu
from kefu.domain.agents import Agent
from kefu.domain.cases import Case, LedgerEntry
from kefu.domain.errors import InvalidInput
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.reports import service as reports

T0 = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)


def _case(case_id: str, agent_id: str | None, amount: int, at: datetime) -> Case:
    return Case(
        id=case_id, payment_id=f"p-{case_id}", customer_id=None, payer_id="payer", payee_account="payee",
        payee_name="某某", amount=amount, currency="CNY", score=90, reasons=[], typology="impersonation",
        rule_set_version="v1", elderly=False, opened_at=at, hold_expires_at=at + timedelta(hours=1),
        agent_id=agent_id,
    )  # fmt: skip


async def _seed(kefu: Kefu) -> None:
    async with kefu.bus.uow_factory() as uow:
        await uow.agents.add(Agent("a-1", "周敏", "yinchuan", {"anti_fraud": 4}, {"voice": 1}, T0, T0))
        await uow.cases.add(_case("k-1", "a-1", 500_000, T0 + timedelta(minutes=5)))
        await uow.cases.add(_case("k-2", "a-1", 120_000, T0 + timedelta(minutes=20)))
        await uow.cases.add(_case("k-3", None, 9_900, T0 + timedelta(hours=1, minutes=1)))
        await uow.commit()
    async with kefu.bus.uow_factory() as uow:
        for n, (case_id, amount) in enumerate((("k-1", 500_000), ("k-2", 120_000))):
            at = T0 + timedelta(minutes=30 + n)
            await uow.fraud.add_saving(
                LedgerEntry(f"l-{n}", case_id, f"p-{case_id}", None, amount, "CNY", None, at)
            )
        await uow.commit()


async def test_cases_and_funds_saved_count_for_the_agent_and_site(kefu: Kefu) -> None:
    """Cases count in the hour opened, savings in the hour recorded, at the specialist's site."""
    await _seed(kefu)
    ctx = kefu.bus.context(SYSTEM_ACTOR)
    _, rows = await reports.service_report(ctx, T0, T0 + timedelta(hours=2), "site", "hour")
    got = {(r.bucket.hour, r.key): (r.figures["cases"], r.figures["saved"]) for r in rows}
    assert got == {(2, "yinchuan"): (2, 620_000), (3, "none"): (1, 0)}
    card = await reports.scorecard(kefu.bus.context(SYSTEM_ACTOR), "a-1", T0, T0 + timedelta(days=1))
    assert (card.figures["cases"], card.figures["saved"]) == (2, 620_000)
    _, rows = await reports.service_report(
        kefu.bus.context(SYSTEM_ACTOR), T0, T0 + timedelta(days=1), "queue", "day"
    )
    assert [(r.key, r.figures["cases"]) for r in rows] == [("anti_fraud", 3)]


async def test_rollup_keeps_figures_and_refuses_a_gap(kefu: Kefu) -> None:
    """Rolled figures equal live ones; a roll that would leave hours between ranges is InvalidInput."""
    await _seed(kefu)
    window = (T0, T0 + timedelta(hours=2))
    _, live = await reports.service_report(kefu.bus.context(SYSTEM_ACTOR), *window, "agent", "hour")
    done = await kefu.bus.handle(reports.RollUpReports(*window), SYSTEM_ACTOR)
    assert done["rows"] == 4  # two agent cells ("a-1" at 02:00, none at 03:00) and their two totals
    _, rolled = await reports.service_report(kefu.bus.context(SYSTEM_ACTOR), *window, "agent", "hour")
    assert rolled == live
    with pytest.raises(InvalidInput):
        await kefu.bus.handle(
            reports.RollUpReports(T0 + timedelta(days=2), T0 + timedelta(days=3)), SYSTEM_ACTOR
        )
    async with kefu.bus.uow_factory() as uow:
        assert await uow.reports.rolled_until() == window[1]
