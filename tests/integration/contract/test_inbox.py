"""Contract of the workspace's reads over work: the waiting line of some queues and the search over
customers and conversations, the same on every store (filters in the query, wildcards taken literally)."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.contract import makers as mk
from tests.integration.contract.conftest import T0, Stores


async def _world(stores: Stores) -> None:
    """Customers of 武汉 and 合肥, an agent of each, and conversations queued, assigned and resolved."""
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1, name="王秀英", phone="13812345678", home_site="wuhan"))
        await uow.customers.add(mk.customer(2, name="Li Lei", external_id="VIP_100%", home_site="hefei"))
        await uow.customers.add(mk.customer(3, name="张伟", phone="13900001234", home_site="wuhan"))
        await uow.agents.add(mk.agent(1, site="wuhan"))
        await uow.agents.add(mk.agent(2, site="hefei"))
        await uow.commit()
    async with stores.uow() as uow:
        add = uow.conversations.add
        await add(mk.conversation(1, created_at=T0 + timedelta(minutes=5), subject="Refund for order 42"))
        await add(mk.conversation(2, customer_id="c-002", created_at=T0, subject="退款_进度"))
        await add(mk.conversation(3, queue="games", created_at=T0 + timedelta(minutes=1)))
        await add(mk.conversation(4, status="assigned", agent_id="a-001", subject="refund again"))
        await add(mk.conversation(5, customer_id="c-003", created_at=T0 + timedelta(minutes=2)))
        await add(mk.conversation(7, customer_id="c-003", created_at=T0 + timedelta(minutes=9), priority=5))
        await add(mk.conversation(6, status="abandoned", subject="refund gone"))
        await uow.commit()


async def test_the_waiting_line_is_queued_unassigned_work_of_these_queues_oldest_first(
    stores: Stores,
) -> None:
    """Queued, unassigned conversations of the named queues, higher priority first, then oldest; within bases;
    to a limit."""
    await _world(stores)
    async with stores.uow() as uow:
        waiting = uow.conversations.waiting
        assert [c.id for c in await waiting(("social",), 10)] == ["v-007", "v-002", "v-005", "v-001"]
        assert [c.id for c in await waiting(("social", "games"), 10)] == [
            "v-007",
            "v-002",
            "v-003",
            "v-005",
            "v-001",
        ]
        assert [c.id for c in await waiting(("social",), 10, bases=("wuhan",))] == ["v-007", "v-005", "v-001"]
        assert [c.id for c in await waiting(("social",), 1)] == ["v-007"]
        assert await waiting(("voice-only",), 10) == []


async def test_search_is_case_insensitive_with_literal_wildcards(stores: Stores) -> None:
    """Customers by name, external id or phone's last four digits; conversations by subject; newest first;
    ``%`` and ``_`` match only themselves; scoped by base or agent; bounded by limit."""
    await _world(stores)
    async with stores.uow() as uow:
        customers, conversations = uow.customers.search, uow.conversations.search
        assert [c.id for c in await customers("li lei", 10)] == ["c-002"]
        assert [c.id for c in await customers("秀英", 10)] == ["c-001"]
        assert [c.id for c in await customers("100%", 10)] == ["c-002"]
        assert [c.id for c in await customers("%", 10)] == ["c-002"]
        assert [c.id for c in await customers("P_1", 10)] == ["c-002"]
        assert await customers("P%1", 10) == []
        assert [c.id for c in await customers("5678", 10)] == ["c-001"]
        assert await customers("1381", 10) == []  # a phone matches on its last four digits only
        assert [c.id for c in await customers("ext-", 10, home_site="wuhan")] == ["c-003", "c-001"]
        assert [c.id for c in await customers("l", 10, home_sites=("hefei",))] == ["c-002"]
        assert [c.id for c in await customers("ext-", 1)] == ["c-003"]
        assert [c.id for c in await conversations("REFUND", 10)] == ["v-006", "v-004", "v-001"]
        assert [c.id for c in await conversations("refund", 10, agent_id="a-001")] == ["v-004"]
        assert [c.id for c in await conversations("_", 10)] == ["v-002"]
        assert [c.id for c in await conversations("refund", 10, bases=("wuhan",))] == [
            "v-006",
            "v-004",
            "v-001",
        ]
        assert await conversations("refund", 10, bases=("hefei",)) == []
        assert [c.id for c in await conversations("退款", 10, bases=("hefei",))] == ["v-002"]
        assert all(c.messages == [] for c in await conversations("refund", 10))
