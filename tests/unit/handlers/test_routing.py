"""Routing through the bus: offers accepted, declined and expired (TickRouting and the clock), escalation."""

from __future__ import annotations

import pytest

from kefu.domain import commands as c
from kefu.domain import events as ev
from kefu.domain.conversations import Conversation
from kefu.domain.errors import Forbidden, InvalidInput, NotFound
from kefu.domain.payments import RecordContactAttempt
from kefu.domain.queues import EscalationStep
from kefu.routing import OfferAcceptedError, OfferDeclinedError, OfferExpiredError
from kefu.services.routing.router import RebuildRouting, home_first_s
from tests.unit.handlers.conftest import Centre, names
from tests.unit.handlers.test_screening import _held


async def _offered(centre: Centre, line: str = "social") -> Conversation:
    customer = await centre.customer(f"ext-{len(centre.store.rows('customers'))}")
    conv = await centre.handle(c.OpenConversation(customer.id, line, "chat", "账号"))
    centre.world.take_events()
    return conv


async def test_accepting_an_offer_assigns_the_conversation(centre: Centre) -> None:
    """AcceptOffer commits offer.accepted, task.assigned, conversation.assigned; answers the subject."""
    agent, own = await centre.agent("li", {"social": 3})
    conv = await _offered(centre)
    (offer,) = centre.pending_offers(agent.id)
    subject = await centre.handle(c.AcceptOffer(offer.id), own)
    (task,) = centre.store.rows("tasks")
    assert task.assigned_at is not None
    centre.world.assert_events(
        "offer.accepted",
        ev.TaskAssigned(task.id, "conversation", conv.id, agent.id, task.assigned_at),
        ev.ConversationAssigned(conv.id, agent.id, task.assigned_at),
    )
    assert subject == conv.id
    (stored,) = centre.store.rows("conversations")
    assert (stored.status, stored.agent_id, task.state) == ("assigned", agent.id, "assigned")


async def test_a_second_accept_is_a_conflict_and_commits_nothing(centre: Centre) -> None:
    """The same offer accepted twice: the second is OfferAcceptedError (409) and leaves no event."""
    agent, own = await centre.agent("li", {"social": 3})
    await _offered(centre)
    (offer,) = centre.pending_offers(agent.id)
    await centre.handle(c.AcceptOffer(offer.id), own)
    centre.world.take_events()
    with pytest.raises(OfferAcceptedError):
        await centre.handle(c.AcceptOffer(offer.id), own)
    with pytest.raises(OfferAcceptedError):
        await centre.handle(c.DeclineOffer(offer.id), own)
    centre.world.assert_no_events()


async def test_an_offer_is_answered_only_by_its_agent(centre: Centre) -> None:
    """Another agent's login may not accept or decline it (Forbidden); an unknown offer is NotFound."""
    agent, _ = await centre.agent("li", {"social": 3})
    _, other = await centre.agent("wu", {"games": 3})
    await _offered(centre)
    (offer,) = centre.pending_offers(agent.id)
    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(c.AcceptOffer(offer.id), other)
    with pytest.raises(Forbidden):
        await centre.handle(c.DeclineOffer(offer.id), other)
    with pytest.raises(NotFound):
        await centre.handle(c.AcceptOffer("no-such-offer"), other)
    centre.world.assert_no_events()
    assert centre.pending_offers() == [offer]


async def test_a_declined_offer_goes_to_the_next_agent(centre: Centre) -> None:
    """DeclineOffer commits offer.declined and the task is offered to the other available agent."""
    logins = {a.id: login for a, login in [await centre.agent(n, {"social": 3}) for n in ("li", "wu")]}
    await _offered(centre)
    (offer,) = centre.pending_offers()
    await centre.handle(c.DeclineOffer(offer.id), logins[offer.agent_id])
    assert names(centre.world)[0] == "offer.declined"
    (now_pending,) = centre.pending_offers()
    assert now_pending.agent_id != offer.agent_id
    with pytest.raises(OfferDeclinedError):
        await centre.handle(c.AcceptOffer(offer.id))


async def test_an_offer_expires_on_the_tick_after_its_timeout(centre: Centre) -> None:
    """Before the timeout a tick changes nothing; after it, offer.expired, and accepting it then is 409."""
    agent, own = await centre.agent("li", {"social": 3})
    await _offered(centre)
    (offer,) = centre.pending_offers(agent.id)
    await centre.tick(5)
    centre.world.assert_no_events()
    await centre.tick(20)
    got = names(centre.world)
    assert got[:2] == ["offer.expired", "task.requeued"]
    (stored,) = [o for o in centre.store.rows("offers") if o.id == offer.id]
    assert stored.status == "expired"
    with pytest.raises(OfferExpiredError):
        await centre.handle(c.AcceptOffer(offer.id), own)


async def test_an_agent_who_misses_an_offer_is_set_away(centre: Centre) -> None:
    """One expired offer sets the agent away (reason missed) in the same commit; no other work is offered."""
    await centre.agent("li", {"social": 3})
    await _offered(centre)
    await _offered(centre)
    await centre.tick(21)
    # Both chats were offered at once; the first miss sets li away, which takes back the second offer.
    expected = ["offer.expired", "task.requeued", "offer.rescinded", "task.requeued", "agent.set_away"]
    assert names(centre.world) == [*expected, "queue.position_changed", "queue.position_changed"]
    (stored,) = centre.store.rows("agents")
    assert (stored.presence, stored.presence_reason) == ("away", "missed")
    assert centre.pending_offers() == []


async def test_going_available_again_clears_the_missed_reason(centre: Centre) -> None:
    """An agent set away for a miss who goes available is offered the waiting work, reason cleared."""
    agent, own = await centre.agent("li", {"social": 3})
    await _offered(centre)
    await centre.tick(21)
    centre.world.take_events()
    await centre.handle(c.SetPresence(agent.id, "available"), own)
    (stored,) = centre.store.rows("agents")
    assert (stored.presence, stored.presence_reason) == ("available", None)
    assert [o.agent_id for o in centre.pending_offers()] == [agent.id]


async def test_a_queue_widens_by_escalation_until_an_agent_fits(centre: Centre) -> None:
    """Nobody meets the queue's skill at first; after the escalation step a tick offers the task."""
    widening = (EscalationStep(30, {"games": 1}, "all"),)
    await centre.handle(c.UpdateQueue("games", {"skills": {"games": 4}, "escalation": widening}))
    agent, _ = await centre.agent("li", {"games": 1})
    await _offered(centre, "games")
    (task,) = centre.store.rows("tasks")
    assert (task.queue_id, task.state) == ("games", "waiting")
    await centre.tick(10)
    centre.world.assert_no_events()
    await centre.tick(25)
    assert names(centre.world) == ["task.escalated", "offer.created"]
    assert [o.agent_id for o in centre.pending_offers()] == [agent.id]


async def test_a_rebuild_restores_pending_offers_from_the_store(centre: Centre) -> None:
    """RebuildRouting forgets the engine and restores it from the store: the pending offer still stands."""
    agent, own = await centre.agent("li", {"social": 3})
    conv = await _offered(centre)
    (offer,) = centre.pending_offers(agent.id)
    await centre.handle(RebuildRouting())
    centre.world.assert_no_events()
    assert await centre.handle(c.AcceptOffer(offer.id), own) == conv.id
    assert names(centre.world) == ["offer.accepted", "task.assigned", "conversation.assigned"]


def test_home_first_lasts_per_kind_of_task() -> None:
    """Case tasks leave the home base at once, care tasks after the care time, others as their queue says."""
    assert home_first_s("case", False, 10.0) == 0.0
    assert home_first_s("conversation", True, 10.0) == 10.0
    assert home_first_s("callback", False, 10.0) is None
    assert home_first_s("conversation", True, 10.0, {"care": 30, "other": 5}) == 30.0
    assert home_first_s("callback", False, 10.0, {"other": 5}) == 5.0
    assert home_first_s("case", False, 10.0, {"care": 30}) == 0.0


async def test_a_case_contacted_again_goes_first_to_its_specialist(centre: Centre) -> None:
    """After a missed call the re-contact is offered to the specialist who took the case, not the best fit."""
    wang, login = await centre.agent("wang", {"payments": 3, "anti_fraud": 4}, {"voice": 1})
    zhao, zhao_login = await centre.agent(
        "zhao", {"payments": 3, "anti_fraud": 5}, {"voice": 1}, available=False
    )
    _, case_id = await _held(centre)
    (offer,) = centre.pending_offers(wang.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    await centre.handle(RecordContactAttempt(case_id, "no_answer"), login)
    await centre.handle(c.SetPresence(zhao.id, "available"), zhao_login)
    centre.clock.advance(301)
    assert (await centre.keeper.tick())["recontacted"] == 1
    assert [o.agent_id for o in centre.pending_offers()] == [wang.id]


async def test_waiting_customers_are_told_when_their_place_changes(centre: Centre) -> None:
    """queue.position_changed goes out as contacts join the line and again when the one ahead is taken."""
    first = await centre.handle(
        c.OpenConversation((await centre.customer("q-1")).id, "social", "chat", "账号")
    )
    second = await centre.handle(
        c.OpenConversation((await centre.customer("q-2")).id, "social", "chat", "账号")
    )
    pushed = [
        (p["conversation_id"], p["position"])
        for n, p in centre.world.take_events()
        if n == "queue.position_changed"
    ]
    assert pushed == [(first.id, 1), (second.id, 2)]
    await centre.agent("li", {"social": 3}, {"chat": 1})
    pushed = [
        (p["conversation_id"], p["position"])
        for n, p in centre.world.take_events()
        if n == "queue.position_changed"
    ]
    assert pushed == [(second.id, 1)]


async def test_a_transfer_to_a_queue_keeps_the_original_wait(centre: Centre) -> None:
    """The agent sends the chat on with a note: conversation.transferred, a new task with the old wait."""
    li, own = await centre.agent("li", {"social": 3, "payments": 3}, {"chat": 1})
    conv = await _offered(centre)
    (offer,) = centre.pending_offers(li.id)
    await centre.handle(c.AcceptOffer(offer.id), own)
    (first,) = centre.store.rows("tasks")
    centre.clock.advance(30)
    centre.world.take_events()
    moved = await centre.handle(c.TransferConversation(conv.id, "payments", None, "要查转账记录"), own)
    assert (moved.status, moved.queue, moved.agent_id) == ("queued", "payments", None)
    got = names(centre.world)
    expected = ["message.posted", "task.closed", "task.opened", "conversation.transferred", "task.completed"]
    assert got[:5] == expected
    (new,) = [t for t in centre.store.rows("tasks") if t.state != "ended"]
    assert (new.queue_id, new.enqueued_at) == ("payments", first.enqueued_at)


async def test_a_transfer_to_an_agent_is_offered_to_them_first(centre: Centre) -> None:
    """A supervisor transfers a chat to wu: wu is offered it though li has been free longer."""
    li, li_login = await centre.agent("li", {"social": 3}, {"chat": 1})
    conv = await _offered(centre)
    (offer,) = centre.pending_offers(li.id)
    await centre.handle(c.AcceptOffer(offer.id), li_login)
    await centre.agent("zhao", {"social": 3}, {"chat": 1})  # free longer than wu
    wu, _ = await centre.agent("wu", {"social": 3}, {"chat": 1})
    await centre.handle(c.TransferConversation(conv.id, None, wu.id, "老客户，熟悉情况"))
    assert [o.agent_id for o in centre.pending_offers()] == [wu.id]


async def test_only_the_agent_working_it_may_transfer(centre: Centre) -> None:
    """Another agent's transfer is Forbidden; a transfer with no destination or a bad queue is refused."""
    li, li_login = await centre.agent("li", {"social": 3}, {"chat": 1})
    _, wu_login = await centre.agent("wu", {"social": 3}, {"chat": 1})
    conv = await _offered(centre)
    (offer,) = centre.pending_offers(li.id)
    await centre.handle(c.AcceptOffer(offer.id), li_login)
    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(c.TransferConversation(conv.id, "payments"), wu_login)
    with pytest.raises(InvalidInput):
        await centre.handle(c.TransferConversation(conv.id), li_login)
    with pytest.raises(InvalidInput):
        await centre.handle(c.TransferConversation(conv.id, "nowhere"), li_login)
    centre.world.assert_no_events()
