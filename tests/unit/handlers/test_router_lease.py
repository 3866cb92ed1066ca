"""The routing lease in a router: writes carry the fencing token, a standby takes over after expiry and
rebuilds from the store, and the router that lost its lease writes nothing (memory store, both clocks)."""

from __future__ import annotations

import pytest

from kefu.adapters.memory.testing import FakeWorld
from kefu.domain import commands as c
from kefu.routing.lease import Fence, LeaseLost
from kefu.services.routing.lease import AcquireRouterLease
from kefu.services.routing.node import RouterNode
from kefu.services.routing.router import RebuildRouting
from tests.unit.handlers.conftest import Centre, running_centre

LEASE_S = 10.0


class Switch:
    """Records the node's gains and losses (where ``kefu router`` opens and closes its NATS side)."""

    def __init__(self) -> None:
        self.log: list[str] = []

    async def gain(self) -> None:
        self.log.append("gain")

    async def loss(self) -> None:
        self.log.append("loss")


def _node(centre: Centre, holder: str, switch: Switch) -> RouterNode:
    return RouterNode(centre.router, "all", holder, LEASE_S, switch.gain, switch.loss)


async def _open(centre: Centre, n: int) -> str:
    customer = await centre.customer(f"ext-{n}")
    conversation = await centre.handle(c.OpenConversation(customer.id, "social", "chat", "账号"))
    return conversation.id


async def test_a_router_whose_lease_was_taken_over_writes_nothing(world: FakeWorld) -> None:
    """After another router took the lease (token 2), the old one's next decision is refused in its own
    transaction: LeaseLost, and no offer, task change or event reaches the store."""
    async with running_centre(world) as centre:
        agent, _ = await centre.agent("li", {"social": 3})
        first = await centre.handle(AcquireRouterLease("all", "r1", LEASE_S))
        assert first is not None
        centre.router.fence = Fence("all", "r1", first.token)
        await _open(centre, 1)
        assert len(centre.pending_offers(agent.id)) == 1
        centre.clock.advance(LEASE_S + 1)
        taken = await centre.handle(AcquireRouterLease("all", "r2", LEASE_S))
        assert taken is not None and taken.token == first.token + 1
        offers_before = centre.store.rows("offers")
        world.take_events()
        with pytest.raises(LeaseLost):
            await centre.handle(RebuildRouting())
        assert centre.store.rows("offers") == offers_before
        assert world.take_events() == []


async def test_a_standby_takes_over_after_expiry_and_rebuilds_from_the_store(world: FakeWorld) -> None:
    """Node A is active and B stands by; A stops renewing; past the lease B becomes active with a larger
    token, routes what was opened while nobody routed, and A steps down at its next turn."""
    async with running_centre(world) as a, running_centre(world) as b:
        agent, _ = await a.agent("li", {"social": 3}, {"chat": 2, "voice": 1, "callback": 1})
        switch_a, switch_b = Switch(), Switch()
        node_a, node_b = _node(a, "a", switch_a), _node(b, "b", switch_b)
        try:
            await node_a.turn()
            await node_b.turn()
            assert (node_a.active, node_b.active) == (True, False)
            assert a.router.fence == Fence("all", "a", 1)
            # Opened through B's process while B stands by and A hears nothing: nobody routes it yet.
            opened = await _open(b, 1)
            assert b.pending_offers() == []
            a.clock.advance(LEASE_S / 2)
            await node_b.turn()
            assert not node_b.active
            a.clock.advance(LEASE_S)
            await node_b.turn()
            assert node_b.active and b.router.fence == Fence("all", "b", 2)
            (offer,) = b.pending_offers(agent.id)
            (task,) = [t for t in b.store.rows("tasks") if t.subject_id == opened]
            assert offer.task_id == task.id
            await node_a.turn()
            assert not node_a.active and a.router.fence == Fence("all", "a", 1)  # a stale token: refused
            assert (switch_a.log, switch_b.log) == (["gain", "loss"], ["gain"])
        finally:
            await node_a.stop()
            await node_b.stop()


async def test_a_stopping_router_hands_the_lease_over_at_once(world: FakeWorld) -> None:
    """A router stopped cleanly releases its lease: the standby takes over without waiting for expiry."""
    async with running_centre(world) as a, running_centre(world) as b:
        node_a, node_b = _node(a, "a", Switch()), _node(b, "b", Switch())
        try:
            await node_a.turn()
            await node_a.stop()
            await node_b.turn()
            assert node_b.active and b.router.fence == Fence("all", "b", 2)
        finally:
            await node_b.stop()


async def test_a_missed_command_is_caught_up_at_the_next_turn(world: FakeWorld) -> None:
    """A task committed without its routing command reaching the active router is routed at its next turn."""
    async with running_centre(world) as a, running_centre(world) as b:
        agent, _ = await a.agent("li", {"social": 3})
        node_a, node_b = _node(a, "a", Switch()), _node(b, "b", Switch())
        try:
            await node_a.turn()
            await node_b.turn()
            opened = await _open(b, 1)  # committed in b's process, which stands by; a never hears of it
            assert a.pending_offers() == [] and a.router.known_tasks() == set()
            await node_a.catch_up()  # seen once: the command may still be on its way
            assert a.router.known_tasks() == set()
            await node_a.catch_up()
            (task,) = [t for t in a.store.rows("tasks") if t.subject_id == opened]
            assert a.router.known_tasks() == {task.id}
            assert [o.task_id for o in a.pending_offers(agent.id)] == [task.id]
        finally:
            await node_a.stop()
            await node_b.stop()
