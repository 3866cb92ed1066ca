"""An API node's routing, sent to a router in another "process" (two kefus on one memory store, joined by
a link that encodes every request as the wire does): results and errors come back as the router made them,
and with no router the caller gets NoRouter (503, Retry-After), never a silent success."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from kefu.adapters.memory.testing import FakeWorld
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.config import load_settings
from kefu.domain import commands as c
from kefu.domain.errors import Forbidden
from kefu.routing import OfferAcceptedError
from kefu.services.routing.partitions import parse_partitions
from kefu.services.routing.remote import NoRouter, RemoteRouting, answer
from kefu.services.routing.router import Router
from tests.unit.handlers.conftest import SETTINGS, Centre, running_centre


class Link:
    """Hands each request to the router's side, or fails as NATS does when nobody holds the lease."""

    def __init__(self, router: Router) -> None:
        self.router: Router | None = router
        self.asked: list[str] = []

    async def request(self, partition: str, payload: bytes, timeout_s: float) -> bytes:
        self.asked.append(partition)
        if self.router is None:
            raise NoRouter("no router holds the partition", partition)
        return await answer(self.router, self.router.bus, payload)


@asynccontextmanager
async def api_node(world: FakeWorld, link: Link) -> AsyncIterator[tuple[Kefu, RemoteRouting]]:
    kefu = await bootstrap(
        load_settings(**SETTINGS), clock=world.clock, hasher=Argon2Hasher(fast=True), store=world.uow_factory,
        routing=False,
    )  # fmt: skip
    remote = RemoteRouting(kefu.bus, link, parse_partitions(""), 5.0)
    try:
        yield kefu, remote
    finally:
        await kefu.close()


async def test_offers_accepts_and_errors_travel_both_ways(world: FakeWorld) -> None:
    """A chat opened on the API node is offered by the router; the agent reads the offer and accepts it
    through the API node (the answer names the conversation); a second accept is the router's 409, another
    agent is refused with 403."""
    async with running_centre(world) as router_side:
        link = Link(router_side.router)
        async with api_node(world, link) as (api, remote):
            centre = Centre(api, world, router_side.router, router_side.scheduler, router_side.keeper,
                            router_side.notifier)  # fmt: skip
            agent, own = await centre.agent("li", {"social": 3})
            _, other = await centre.agent("wang", {"games": 3})
            customer = await centre.customer("ext-1")
            conv = await centre.handle(c.OpenConversation(customer.id, "social", "chat", "账号"))
            (card,) = await remote.offers(agent.id, api.bus.context(own))
            assert card.conversation_id == conv.id
            with pytest.raises(Forbidden):
                await api.bus.handle(c.AcceptOffer(card.id), other)
            assert await api.bus.handle(c.AcceptOffer(card.id), own) == conv.id
            with pytest.raises(OfferAcceptedError) as second:
                await api.bus.handle(c.AcceptOffer(card.id), own)
            assert second.value.status == 409 and second.value.fields == {"offer_id": card.id}
            (task,) = centre.store.rows("tasks")
            assert (task.state, task.agent_id) == ("assigned", agent.id)
            assert set(link.asked) == {"all"}


async def test_without_a_router_the_caller_is_told_to_retry_and_the_task_waits(world: FakeWorld) -> None:
    """With no router: opening a chat still commits (it waits in the database), an accept raises NoRouter
    with Retry-After, and the router routes the chat when it rebuilds."""
    async with running_centre(world) as router_side:
        link = Link(router_side.router)
        async with api_node(world, link) as (api, remote):
            centre = Centre(api, world, router_side.router, router_side.scheduler, router_side.keeper,
                            router_side.notifier)  # fmt: skip
            agent, own = await centre.agent("li", {"social": 3})
            link.router = None
            customer = await centre.customer("ext-1")
            await centre.handle(c.OpenConversation(customer.id, "social", "chat", "账号"))
            assert centre.pending_offers() == []
            with pytest.raises(NoRouter) as down:
                await remote.offers(agent.id, api.bus.context(own))
            assert down.value.status == 503 and down.value.fields["retry_after_s"] == 2
            link.router = router_side.router
            await router_side.router.rebuild()
            (offer,) = centre.pending_offers(agent.id)
            assert offer.agent_id == agent.id


def test_partitions_name_groups_of_queues() -> None:
    """Named partitions take their queues; every other queue is in ``all``; a queue in two is refused."""
    parts = parse_partitions("anti_fraud=anti_fraud; pay=payments,elderly_care")
    assert [parts.of(q) for q in ("anti_fraud", "payments", "elderly_care", "social")] == [
        "anti_fraud", "pay", "pay", "all",
    ]  # fmt: skip
    assert parts.names == ["anti_fraud", "pay", "all"]
    assert parse_partitions("").names == ["all"]
    for bad in ("x=a;y=a", "all=social", "nonsense", "x="):
        with pytest.raises(Exception, match="KEFU_PARTITIONS"):
            parse_partitions(bad)
