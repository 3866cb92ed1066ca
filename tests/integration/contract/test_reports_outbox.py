"""Contract of the report store (live figures and the rollup) and of the outbox written at commit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.domain.cases import LedgerEntry
from kefu.domain.errors import InvalidInput
from kefu.domain.events import CustomerCreated
from kefu.domain.quality import CsatRating
from kefu.services.ports import OutboxRecord
from kefu.services.reports_ports import SUMS, HourFigures
from tests.integration.contract import makers as mk
from tests.integration.contract.conftest import T0, Stores

HOUR = timedelta(hours=1)


async def _seed(stores: Stores) -> None:
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1, home_site="hefei"))
        await uow.agents.add(mk.agent(1, site="wuhan"))
        await uow.commit()
    async with stores.uow() as uow:
        s = timedelta(seconds=1)
        await uow.conversations.add(mk.conversation(1, status="resolved", agent_id="a-001",
                                    assigned_at=T0 + 12 * s, first_response_at=T0 + 30 * s,
                                    resolved_at=T0 + 300 * s))  # fmt: skip
        await uow.conversations.add(mk.conversation(2, created_at=T0 + 600 * s, status="abandoned"))
        await uow.conversations.add(mk.conversation(3, created_at=T0 + HOUR, queue="games",
                                    business_line="games", status="assigned", agent_id="a-001",
                                    assigned_at=T0 + HOUR + 40 * s))  # fmt: skip
        await uow.cases.add(mk.case(1, agent_id="a-001", opened_at=T0 + 5 * s))
        await uow.commit()
    async with stores.uow() as uow:
        await uow.quality.add_csat(
            CsatRating("s-1", "v-001", "c-001", "social", "social", "a-001", 4, None, T0)
        )
        await uow.fraud.add_saving(LedgerEntry("l-1", "k-001", "p-001", None, 900, "CNY", None, T0 + HOUR))
        await uow.commit()


def _table(rows: list[HourFigures]) -> dict[tuple[object, ...], tuple[float, ...]]:
    out = {}
    for f in rows:
        key = (f.hour, f.queue, f.site, f.business_line, f.agent_id)
        assert key not in out
        out[key] = tuple(round(float(getattr(f, name)), 3) for name in SUMS)
    return out


@pytest.mark.parametrize("group_by", [None, "queue", "site", "business_line", "agent"])
async def test_live_figures(stores: Stores, group_by: str | None) -> None:
    """The figures computed from the records agree on every store, for every grouping."""
    await _seed(stores)
    async with stores.uow() as uow:
        got = _table(await uow.reports.hours(T0, T0 + 2 * HOUR, group_by))
        one = _table(await uow.reports.hours(T0, T0 + 2 * HOUR, group_by, agent_id="a-001"))
    expected_hours = {T0, T0 + HOUR}
    assert {k[0] for k in got} == expected_hours
    total = {name: sum(v[i] for v in got.values()) for i, name in enumerate(SUMS)}
    assert total["contacts"] == 3 and total["answered"] == 2 and total["answered_in_sl"] == 1
    assert total["abandoned"] == 1 and total["handled"] == 1 and total["cases"] == 1
    assert total["saved"] == 900 and total["csat_sum"] == 4 and total["agent_hours"] == 2
    assert total["wait_sum_s"] == pytest.approx(52.0, abs=0.01)
    assert sum(v[SUMS.index("contacts")] for v in one.values()) == 2
    if group_by == "site":
        assert {k[2] for k in got} == {"wuhan", "hefei"}
    # The same store on every kind: pin the whole table once, by its shape.
    assert len(got) == {None: 2, "queue": 4, "site": 3, "business_line": 4, "agent": 3}[group_by]


async def test_rollup_keeps_the_figures_and_refuses_a_gap(stores: Stores) -> None:
    """Rolled hours read the same as live ones; a rollup that leaves a gap is InvalidInput."""
    await _seed(stores)
    window = (T0, T0 + 2 * HOUR)
    async with stores.uow() as uow:
        live = {g: _table(await uow.reports.hours(*window, g)) for g in (None, "site", "agent")}
        assert await uow.reports.rolled_until() is None
        rows = await uow.reports.roll_up(*window, T0 + 3 * HOUR)
        await uow.commit()
    assert rows == 10  # five (hour, queue, site, line, agent) cells and their five sums over agents
    async with stores.uow() as uow:
        assert await uow.reports.rolled_until() == window[1]
        for g, figures in live.items():
            assert _table(await uow.reports.hours(*window, g)) == figures
        with pytest.raises(InvalidInput):
            await uow.reports.roll_up(T0 + 5 * HOUR, T0 + 6 * HOUR, T0 + 7 * HOUR)


async def test_transfers_count_under_the_queue_and_agent_they_left_in_the_hour_of_the_transfer(
    stores: Stores,
) -> None:
    """Tasks ended by transfer count once each (an agent's at their site, a waiting one at the customer's
    home base); other endings do not; rolled hours read the same."""
    await _seed(stores)
    minute = timedelta(minutes=1)
    async with stores.uow() as uow:
        ended = {"state": "ended", "subject_id": "v-001"}
        await uow.tasks.add(mk.task(11, **ended, agent_id="a-001", assigned_at=T0 + minute,
                                    ended_at=T0 + 20 * minute, end_reason="transferred"))  # fmt: skip
        await uow.tasks.add(mk.task(12, **ended, queue_id="games", ended_at=T0 + HOUR + 5 * minute,
                                    end_reason="transferred"))  # fmt: skip
        await uow.tasks.add(mk.task(13, **ended, agent_id="a-001", assigned_at=T0 + 21 * minute,
                                    ended_at=T0 + 40 * minute, end_reason="completed"))  # fmt: skip
        await uow.commit()
    window = (T0, T0 + 2 * HOUR)
    at = SUMS.index("transferred")

    async def moved(group_by: str | None, agent_id: str | None = None) -> dict[tuple[object, ...], float]:
        async with stores.uow() as uow:
            got = _table(await uow.reports.hours(*window, group_by, agent_id=agent_id))
        return {k: v[at] for k, v in got.items() if v[at]}

    assert await moved("queue") == {(T0, "social", "", "", ""): 1, (T0 + HOUR, "games", "", "", ""): 1}
    assert await moved("site") == {(T0, "", "wuhan", "", ""): 1, (T0 + HOUR, "", "hefei", "", ""): 1}
    assert await moved("agent") == {(T0, "", "", "", "a-001"): 1, (T0 + HOUR, "", "", "", ""): 1}
    assert await moved(None, agent_id="a-001") == {(T0, "", "", "", ""): 1}
    before = {g: await moved(g) for g in (None, "queue", "site", "business_line", "agent")}
    async with stores.uow() as uow:
        await uow.reports.roll_up(*window, T0 + 3 * HOUR)
        await uow.commit()
    assert {g: await moved(g) for g in before} == before


async def test_commit_writes_one_outbox_record_per_event(stores: Stores) -> None:
    """Emitted events become outbox records at commit, in order; without commit, none."""
    first, second = CustomerCreated("c-001", T0), CustomerCreated("c-002", T0)
    async with stores.uow() as uow:
        uow.emit(first)
    async with stores.uow() as uow:
        assert await uow.outbox.oldest_unsent() is None
        uow.emit(first)
        uow.emit(second)
        await uow.commit()
        assert uow.collect_events() == [first, second]
        assert uow.collect_events() == []
    async with stores.uow() as uow:
        claimed = await uow.outbox.claim(10)
    assert [(r.name, r.payload["customer_id"], r.created_at) for r in claimed] == [
        ("customer.created", "c-001", T0),
        ("customer.created", "c-002", T0),
    ]


async def test_outbox_claim_mark_sent_and_prune(stores: Stores) -> None:
    """Claims take unsent rows in commit order; sent rows leave the claim and are pruned after their time."""
    records = [OutboxRecord(f"r-{n}", "x.happened", {"n": n}, T0 + timedelta(seconds=n)) for n in range(4)]
    async with stores.uow() as uow:
        await uow.outbox.add(records)
        await uow.commit()
    async with stores.uow() as uow:
        mine = [r.id for r in await uow.outbox.claim(2)]
        assert mine == ["r-0", "r-1"]
        await uow.outbox.mark_sent(mine, T0 + timedelta(minutes=1))
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.outbox.oldest_unsent() == T0 + timedelta(seconds=2)
        assert [r.id for r in await uow.outbox.claim(10)] == ["r-2", "r-3"]
        assert await uow.outbox.prune(T0 + timedelta(minutes=1), 10) == 0
        assert await uow.outbox.prune(T0 + timedelta(minutes=2), 1) == 1
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.outbox.prune(T0 + timedelta(minutes=2), 10) == 1
        await uow.commit()


@pytest.mark.kinds("memory", "postgresql")  # SQLite has one writer: there is no second relay to skip
async def test_two_relays_claim_disjoint_rows(stores: Stores) -> None:
    """A second relay's claim skips the rows a first one holds and has not committed yet."""
    records = [OutboxRecord(f"r-{n}", "x.happened", {"n": n}, T0) for n in range(4)]
    async with stores.uow() as uow:
        await uow.outbox.add(records)
        await uow.commit()
    async with stores.uow() as a, stores.uow() as b:
        mine = [r.id for r in await a.outbox.claim(2)]
        theirs = [r.id for r in await b.outbox.claim(10)]
        assert mine == ["r-0", "r-1"]
        assert theirs == ["r-2", "r-3"]
