"""Care through the bus: callbacks scheduled, cancelled, delivered by the scheduler, attempted; keep your
place; follow-ups after a resolved case or a care conversation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.care import CallbackState, InvalidCallbackWindow
from kefu.care import commands as care
from kefu.care.records import CallbackRecord
from kefu.domain import commands as c
from kefu.domain import events as ev
from kefu.domain.agents import Agent
from kefu.domain.errors import Forbidden, InvalidInput, NotFound
from kefu.domain.users import Actor
from kefu.services.care.callbacks import CallbackNotOffered
from kefu.services.care.followups import ScheduleFollowUps
from tests.unit.handlers.conftest import START, Centre, names

HOUR = timedelta(hours=1)

# Known bug, shown by the advancing clock: record_changes reads the clock again for the event's time, so
# callback.changed says a later instant than the change it reports. Strict: remove once the fix is in.


def changes(centre: Centre) -> list[str]:
    """The committed events since the last check, a callback's as ``callback.<change>``."""
    return [
        f"callback.{p['change']}" if name == "callback.changed" else name
        for name, p in centre.world.take_events()
    ]


async def _scheduled(centre: Centre, start: timedelta = HOUR) -> CallbackRecord:
    customer = await centre.customer()
    window = START + start
    return await centre.handle(
        care.ScheduleCallback(customer.id, "游戏充值没到账", window, window + 2 * HOUR)
    )


async def _games_agent(centre: Centre) -> tuple[Agent, Actor]:
    return await centre.agent("li", {"games": 3})


async def test_scheduling_a_callback_commits_one_scheduled_change(centre: Centre) -> None:
    """ScheduleCallback stores it scheduled in the queue its reason points to, with callback.changed."""
    customer = await centre.customer()
    centre.world.take_events()
    window = START + HOUR
    record = await centre.handle(care.ScheduleCallback(customer.id, "游戏充值没到账", window, window + HOUR))
    assert changes(centre) == ["callback.scheduled"]
    stored = await centre.callback(record.id)
    assert (stored.callback.state, stored.queue_id) == (CallbackState.SCHEDULED, "games")
    assert stored.callback.next_attempt_at == START + HOUR


async def test_a_callback_event_carries_the_time_its_change_was_stored(
    centre: Centre, request: pytest.FixtureRequest
) -> None:
    """callback.changed says when the callback changed: the same instant as the record's ``updated_at``."""
    customer = await centre.customer()
    centre.world.take_events()
    window = START + HOUR
    record = await centre.handle(care.ScheduleCallback(customer.id, "退款", window, window + HOUR))
    centre.world.assert_events(
        ev.CallbackChanged(record.id, customer.id, "scheduled", "scheduled", record.updated_at)
    )


async def test_a_callback_window_already_over_is_refused(centre: Centre) -> None:
    """A window already over is InvalidCallbackWindow; a blank reason InvalidInput; no commit."""
    customer = await centre.customer()
    centre.world.take_events()
    with pytest.raises(InvalidCallbackWindow):
        await centre.handle(care.ScheduleCallback(customer.id, "退款", START - 3 * HOUR, START - HOUR))
    with pytest.raises(InvalidInput):
        await centre.handle(care.ScheduleCallback(customer.id, "  ", START + HOUR, START + 2 * HOUR))
    with pytest.raises(InvalidInput):
        await centre.handle(care.ScheduleCallback("no-such-customer", "退款", START + HOUR, START + 2 * HOUR))
    centre.world.assert_no_events()
    assert centre.store.rows("callbacks") == []


async def test_cancelling_a_callback_and_cancelling_an_unknown_one(centre: Centre) -> None:
    """CancelCallback commits callback.changed (cancelled); an unknown callback is NotFound."""
    record = await _scheduled(centre)
    centre.world.take_events()
    await centre.handle(care.CancelCallback(record.id, "customer called in"))
    assert changes(centre) == ["callback.cancelled"]
    assert (await centre.callback(record.id)).callback.state is CallbackState.CANCELLED
    with pytest.raises(NotFound):
        await centre.handle(care.CancelCallback("no-such-callback"))
    centre.world.assert_no_events()


async def test_the_scheduler_delivers_a_callback_when_its_window_opens(centre: Centre) -> None:
    """Before the window a pass claims nothing; at it, the callback is due, its task opens and is offered."""
    agent, _ = await _games_agent(centre)
    record = await _scheduled(centre)
    centre.world.take_events()
    assert await centre.scheduler.run_once() == 0
    centre.world.assert_no_events()
    centre.clock.advance(HOUR.total_seconds())
    assert await centre.scheduler.run_once() == 1
    assert changes(centre) == ["task.opened", "callback.due", "task.queued", "offer.created"]
    assert len(centre.pending_offers(agent.id)) == 1
    assert (await centre.callback(record.id)).callback.state is CallbackState.DUE
    assert await centre.scheduler.run_once() == 0  # delivered once


async def test_an_attempt_starts_on_accept_and_a_miss_schedules_a_retry(centre: Centre) -> None:
    """Accepting the task starts the attempt; no_answer ends the task and schedules a retry the scheduler
    delivers; reached completes the callback."""
    agent, own = await _games_agent(centre)
    record = await _scheduled(centre)
    centre.clock.advance(HOUR.total_seconds())
    await centre.scheduler.run_once()
    centre.world.take_events()
    (offer,) = centre.pending_offers(agent.id)
    await centre.handle(c.AcceptOffer(offer.id), own)
    assert changes(centre) == ["offer.accepted", "task.assigned", "callback.attempt_started"]
    await centre.handle(care.RecordCallbackAttempt(record.id, "no_answer"), own)
    assert changes(centre) == [
        "task.closed",
        "callback.attempt_recorded",
        "callback.retry_scheduled",
        "task.completed",
    ]
    retry = await centre.callback(record.id)
    assert retry.callback.state is CallbackState.SCHEDULED
    assert retry.callback.next_attempt_at is not None
    centre.clock.set(retry.callback.next_attempt_at)
    assert await centre.scheduler.run_once() == 1
    assert changes(centre) == ["task.opened", "callback.due", "task.queued", "offer.created"]
    (offer,) = centre.pending_offers(agent.id)
    await centre.handle(c.AcceptOffer(offer.id), own)
    centre.world.take_events()
    done = await centre.handle(care.RecordCallbackAttempt(record.id, "reached"), own)
    assert changes(centre) == [
        "task.closed",
        "callback.attempt_recorded",
        "callback.completed",
        "task.completed",
    ]
    assert done.callback.state is CallbackState.COMPLETED


async def test_only_the_assigned_agent_records_an_attempt(centre: Centre) -> None:
    """Another agent's login recording an attempt on an assigned callback is Forbidden; an integration too."""
    agent, own = await _games_agent(centre)
    _, other = await centre.agent("wu", {"social": 3})
    gateway = await centre.actor("gateway", "integration")
    record = await _scheduled(centre)
    centre.clock.advance(HOUR.total_seconds())
    await centre.scheduler.run_once()
    (offer,) = centre.pending_offers(agent.id)
    await centre.handle(c.AcceptOffer(offer.id), own)
    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(care.RecordCallbackAttempt(record.id, "reached"), other)
    with pytest.raises(Forbidden):
        await centre.handle(care.RecordCallbackAttempt(record.id, "reached"), gateway)
    centre.world.assert_no_events()


async def test_a_window_missed_while_due_withdraws_the_task(centre: Centre) -> None:
    """Nobody takes the due callback before its window ends: the next pass closes its task (window missed)."""
    record = await _scheduled(centre)
    centre.clock.advance(HOUR.total_seconds())
    await centre.scheduler.run_once()  # due; no agent takes callbacks of games
    centre.world.take_events()
    centre.clock.advance(2 * HOUR.total_seconds())
    assert await centre.scheduler.run_once() == 1
    got = changes(centre)
    assert got[0] == "task.closed"
    assert "callback.window_missed" in got
    assert (await centre.callback(record.id)).callback.state in {
        CallbackState.FAILED,
        CallbackState.SCHEDULED,
    }


# Known bug, shown by the advancing clock: take_callback_instead reads now, then new_callback reads the clock
# again to schedule the callback, so mark_due is asked about an instant before the first attempt and refuses
# (409 illegal_callback_transition in every running server). Strict: remove the mark once the fix is in.


async def test_keep_your_place_swaps_the_voice_task_for_a_callback_task(
    centre: Centre, request: pytest.FixtureRequest
) -> None:
    """A voice customer waiting longer than callback_offer_s takes a callback: the conversation's task ends,
    a callback task takes its place with the same enqueued_at, and the callback is due at once."""
    customer = await centre.customer()
    conv = await centre.handle(c.OpenConversation(customer.id, "games", "voice", "退款"))
    (voice_task,) = centre.store.rows("tasks")
    centre.world.take_events()
    centre.clock.advance(200)
    record = await centre.handle(care.TakeCallbackInstead(conv.id))
    assert changes(centre) == [
        "callback.scheduled",
        "task.closed",
        "task.opened",
        "callback.due",
        "task.removed",
        "task.queued",
    ]
    callback_task = next(t for t in centre.store.rows("tasks") if t.kind == "callback")
    assert (callback_task.subject_id, callback_task.enqueued_at) == (record.id, voice_task.enqueued_at)
    assert record.conversation_id == conv.id
    (stored,) = centre.store.rows("conversations")
    assert stored.status == "queued"


async def test_keep_your_place_is_not_offered_too_early_or_on_chat(centre: Centre) -> None:
    """Before callback_offer_s, or on chat, TakeCallbackInstead is CallbackNotOffered (409)."""
    customer = await centre.customer()
    voice = await centre.handle(c.OpenConversation(customer.id, "games", "voice", "退款"))
    chat = await centre.handle(c.OpenConversation(customer.id, "games", "chat", "退款"))
    centre.world.take_events()
    centre.clock.advance(30)
    with pytest.raises(CallbackNotOffered):
        await centre.handle(care.TakeCallbackInstead(voice.id))
    centre.clock.advance(300)
    with pytest.raises(CallbackNotOffered):
        await centre.handle(care.TakeCallbackInstead(chat.id))
    with pytest.raises(NotFound):
        await centre.handle(care.TakeCallbackInstead("no-such-conversation"))
    centre.world.assert_no_events()


async def test_resolving_a_care_conversation_schedules_its_follow_up_once(centre: Centre) -> None:
    """An elderly customer's resolved conversation schedules one follow-up callback (the reaction); the same
    ScheduleFollowUps again schedules nothing."""
    agent, own = await _games_agent(centre)
    customer = await centre.customer(elderly=True)
    conv = await centre.handle(c.OpenConversation(customer.id, "games", "chat", "问题"))
    await centre.handle(c.AssignConversation(conv.id, agent.id))
    centre.world.take_events()
    resolved = await centre.handle(c.ResolveConversation(conv.id, "done"), own)
    # A hand assignment keeps its task until the work is done (see test_shared).
    assert changes(centre) == ["task.closed", "conversation.resolved", "task.completed", "callback.scheduled"]
    (follow_up,) = [row.record for row in centre.store.rows("callbacks")]
    assert follow_up.callback.origin == "follow_up"
    again = ScheduleFollowUps("conversation_resolved", conv.id, None, resolved.updated_at, "done")
    assert await centre.handle(again) == 0
    centre.world.assert_no_events()
    assert [row.record.id for row in centre.store.rows("callbacks")] == [follow_up.id]


async def test_a_follow_up_whose_window_is_over_is_skipped(centre: Centre) -> None:
    """A follow-up for a resolution long ago (window over) is skipped, not an error."""
    customer = await centre.customer(elderly=True)
    conv = await centre.handle(c.OpenConversation(customer.id, "games", "chat", "问题"))
    centre.world.take_events()
    late = ScheduleFollowUps("conversation_resolved", conv.id, None, START - 30 * 24 * HOUR, "done")
    assert await centre.handle(late) == 0
    centre.world.assert_no_events()


async def test_a_follow_up_for_nobody_schedules_nothing(centre: Centre) -> None:
    """ScheduleFollowUps for a subject with no customer answers 0."""
    assert await centre.handle(ScheduleFollowUps("conversation_resolved", "no-such", None, START, "x")) == 0
    assert names(centre.world) == []


async def test_a_retry_keeps_the_place_its_first_attempt_took(centre: Centre) -> None:
    """The retry's task waits with the first attempt's enqueued_at, so it keeps its place and step."""
    agent, own = await _games_agent(centre)
    record = await _scheduled(centre)
    centre.clock.advance(HOUR.total_seconds())
    await centre.scheduler.run_once()
    (first,) = [t for t in centre.store.rows("tasks") if t.subject_id == record.id]
    (offer,) = centre.pending_offers(agent.id)
    await centre.handle(c.AcceptOffer(offer.id), own)
    await centre.handle(care.RecordCallbackAttempt(record.id, "no_answer"), own)
    retry = await centre.callback(record.id)
    assert retry.callback.next_attempt_at is not None
    centre.clock.set(retry.callback.next_attempt_at)
    assert await centre.scheduler.run_once() == 1
    tasks = sorted((t for t in centre.store.rows("tasks") if t.subject_id == record.id), key=lambda t: t.id)
    assert len(tasks) == 2
    assert {t.enqueued_at for t in tasks} == {first.enqueued_at}
    assert (await centre.callback(record.id)).place_since == first.enqueued_at
