"""Contract of the ``bases=`` filter on the conversation, case and callback pages: work of a base is work
assigned to an agent of it, or unassigned with a customer of it (a callback: its recorded home base);
work with no base is in no base's page."""

from __future__ import annotations

from tests.integration.contract import makers as mk
from tests.integration.contract.conftest import Stores


async def _people(stores: Stores) -> None:
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1, home_site="shenzhen"))
        await uow.customers.add(mk.customer(2, home_site="chengdu"))
        await uow.customers.add(mk.customer(3))  # no home base
        await uow.agents.add(mk.agent(1, site="shenzhen"))
        await uow.agents.add(mk.agent(2, site="chengdu"))
        await uow.commit()


async def test_conversation_and_case_pages_of_bases_follow_the_agent_then_the_customer(
    stores: Stores,
) -> None:
    """Assigned: the agent's base decides, whatever the customer's; unassigned: the customer's home base."""
    await _people(stores)
    async with stores.uow() as uow:
        await uow.conversations.add(mk.conversation(1, "c-001"))
        await uow.conversations.add(mk.conversation(2, "c-002"))
        await uow.conversations.add(mk.conversation(3, "c-002", agent_id="a-001", status="assigned"))
        await uow.conversations.add(mk.conversation(4, "c-001", agent_id="a-002", status="assigned"))
        await uow.conversations.add(mk.conversation(5, "c-003"))
        await uow.cases.add(mk.case(1, customer_id="c-001"))
        await uow.cases.add(mk.case(2, customer_id="c-002"))
        await uow.cases.add(mk.case(3, customer_id="c-002", agent_id="a-001"))
        await uow.cases.add(mk.case(4, customer_id="c-001", agent_id="a-002"))
        await uow.cases.add(mk.case(5))  # a payer unknown to kefu
        await uow.commit()
    async with stores.uow() as uow:
        here = await uow.conversations.page(None, 10, bases=("shenzhen",))
        assert [c.id for c in here] == ["v-001", "v-003"]
        assert [c.id for c in await uow.conversations.page("v-001", 1, bases=("shenzhen",))] == ["v-003"]
        both = await uow.conversations.page(None, 10, bases=("shenzhen", "chengdu"))
        assert [c.id for c in both] == ["v-001", "v-002", "v-003", "v-004"]
        assert len(await uow.conversations.page(None, 10)) == 5
        assert [c.id for c in await uow.cases.page(None, 10, bases=("shenzhen",))] == ["k-001", "k-003"]
        assert [c.id for c in await uow.cases.page(None, 10, bases=("chengdu",))] == ["k-002", "k-004"]
        assert await uow.cases.page(None, 10, status="resolved", bases=("chengdu",)) == []
        assert len(await uow.cases.page(None, 10)) == 5


async def test_callback_pages_of_bases_follow_the_recorded_home_base(stores: Stores) -> None:
    """A callback is in its customer's base (``home_site`` on the callback); none recorded: in no base's."""
    async with stores.uow() as uow:
        await uow.callbacks.add(mk.callback(1, home_site="shenzhen"))
        await uow.callbacks.add(mk.callback(2, home_site="chengdu"))
        await uow.callbacks.add(mk.callback(3))
        await uow.commit()
    async with stores.uow() as uow:
        assert [r.id for r in await uow.callbacks.page(None, 10, bases=("shenzhen",))] == ["b-001"]
        assert [r.id for r in await uow.callbacks.page(None, 10, bases=("chengdu", "wuhan"))] == ["b-002"]
        assert len(await uow.callbacks.page(None, 10)) == 3
