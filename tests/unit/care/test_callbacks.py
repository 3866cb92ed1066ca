"""The callback lifecycle: scheduling, attempts, retries in the window, rollovers and illegal steps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kefu.care import (
    AttemptResult,
    Callback,
    CallbackState,
    IllegalCallbackTransition,
    InvalidCallbackWindow,
    InvalidCareInput,
    RetryPolicy,
    cancel_callback,
    is_due,
    mark_due,
    miss_window,
    next_attempt_at,
    record_attempt,
    release_attempt,
    schedule_callback,
    start_attempt,
    tick,
)
from kefu.care.callbacks import Transition
from kefu.care.events import (
    CallbackAttemptRecorded,
    CallbackAttemptStarted,
    CallbackCancelled,
    CallbackCompleted,
    CallbackDue,
    CallbackFailed,
    CallbackRetryScheduled,
    CallbackRolledOver,
    CallbackScheduled,
    CallbackWindowMissed,
)

START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
END = START + timedelta(hours=1)
MIN = timedelta(minutes=1)


def new(roll_over: bool = False, now: datetime = START - timedelta(hours=2)) -> Callback:
    callback, _ = schedule_callback(
        callback_id="cb1",
        customer_id="c1",
        reason="asked for a call",
        window_start=START,
        window_end=END,
        now=now,
        roll_over=roll_over,
    )
    return callback


def dialling(callback: Callback, now: datetime) -> Callback:
    callback, _ = mark_due(callback, now)
    callback, _ = start_attempt(callback, now)
    return callback


def test_schedule_emits_scheduled_with_first_attempt_at_window_start() -> None:
    """A new callback waits for its window; the first attempt is at the window's start."""
    callback, events = schedule_callback(
        callback_id="cb1", customer_id="c1", reason="r", window_start=START, window_end=END, now=START - MIN
    )
    assert callback.state is CallbackState.SCHEDULED
    assert events == [CallbackScheduled("cb1", "c1", START, END, START)]


def test_schedule_inside_window_starts_now() -> None:
    """A callback requested during its window is due at once, not at the window's start."""
    now = START + 5 * MIN
    assert new(now=now).next_attempt_at == now


@pytest.mark.parametrize(
    ("start", "end", "now"),
    [
        (START, START, START - MIN),  # empty window
        (END, START, START - MIN),  # reversed
        (START, END, END),  # already over
        (START.replace(tzinfo=None), END, START - MIN),  # naive time
    ],
)
def test_bad_windows_are_refused(start: datetime, end: datetime, now: datetime) -> None:
    """Empty, reversed, past or naive windows are bad input with a stable code."""
    with pytest.raises(InvalidCallbackWindow) as info:
        schedule_callback(
            callback_id="x", customer_id="c", reason="r", window_start=start, window_end=end, now=now
        )
    assert info.value.code == "invalid_callback_window"
    assert info.value.status == 422


def test_reached_on_first_attempt_completes() -> None:
    """Reaching the customer completes the callback and records the attempt."""
    callback, events = mark_due(new(), START)
    assert events == [CallbackDue("cb1", "c1", START)]
    callback, events = start_attempt(callback, START + MIN)
    assert events == [CallbackAttemptStarted("cb1", 1, START + MIN)]
    callback, events = record_attempt(callback, "reached", START + 2 * MIN, note="all good")
    assert callback.state is CallbackState.COMPLETED and callback.outcome == "reached"
    assert events == [
        CallbackAttemptRecorded("cb1", 1, "reached", START + 2 * MIN, "all good"),
        CallbackCompleted("cb1", START + 2 * MIN),
    ]
    assert next_attempt_at(callback) is None


def test_no_answer_retries_ten_minutes_later_then_fails_after_three() -> None:
    """Unanswered attempts retry 10 minutes apart inside the window; the third miss ends a callback failed."""
    callback = new()
    now = START
    for n in (1, 2):
        callback, events = record_attempt(dialling(callback, now), AttemptResult.NO_ANSWER, now)
        assert callback.state is CallbackState.SCHEDULED
        assert events[-1] == CallbackRetryScheduled("cb1", now + 10 * MIN, n)
        now += 10 * MIN
        assert not is_due(callback, now - MIN) and is_due(callback, now)
    callback, events = record_attempt(dialling(callback, now), AttemptResult.BUSY, now)
    assert callback.state is CallbackState.FAILED and callback.outcome == "attempts_exhausted"
    assert events[-1] == CallbackFailed("cb1", now, "attempts_exhausted")
    assert len(callback.attempts) == 3


def test_retry_that_would_fall_outside_the_window_uses_up_the_window() -> None:
    """A retry is never scheduled after the window ends."""
    late = END - 5 * MIN
    callback, _ = record_attempt(dialling(new(), late), "no_answer", late)
    assert callback.state is CallbackState.FAILED


def test_elderly_callback_rolls_to_the_next_days_window() -> None:
    """An elderly customer's used-up window moves to the same window tomorrow, with attempts reset."""
    callback = new(roll_over=True)
    now = START
    for _ in range(3):
        callback, events = record_attempt(dialling(callback, now), "no_answer", now)
        now += 10 * MIN
    day = timedelta(days=1)
    assert callback.state is CallbackState.SCHEDULED
    assert (callback.window_start, callback.window_end) == (START + day, END + day)
    assert callback.attempts_in_window == 0 and callback.rollovers == 1
    assert events[-1] == CallbackRolledOver("cb1", START + day, END + day, START + day, 1)


def test_rollovers_are_capped() -> None:
    """An elderly customer's callback is carried forward at most max_rollovers days, then fails."""
    policy = RetryPolicy(max_rollovers=1)
    callback, _ = miss_window(new(roll_over=True), END, policy)
    assert callback.rollovers == 1
    callback, events = miss_window(callback, callback.window_end, policy)
    assert callback.state is CallbackState.FAILED and callback.outcome == "window_missed"
    assert isinstance(events[0], CallbackWindowMissed)


def test_missed_window_fails_for_younger_customer() -> None:
    """A window that ends before anyone called fails a non-elderly customer's callback."""
    callback, events = tick(new(), END)
    assert callback.state is CallbackState.FAILED
    assert events == [CallbackWindowMissed("cb1", END), CallbackFailed("cb1", END, "window_missed")]


def test_rollover_skips_days_already_over() -> None:
    """After a long outage the rolled window is the next one still ahead, never one in the past."""
    callback, _ = tick(new(roll_over=True), END + timedelta(days=1, minutes=1))
    assert callback.window_start == START + timedelta(days=2)
    assert callback.rollovers == 2


def test_wrong_number_fails_at_once_even_for_the_elderly() -> None:
    """A wrong number ends the callback failed: calling again would reach the same stranger."""
    callback, events = record_attempt(dialling(new(roll_over=True), START), "wrong_number", START)
    assert callback.state is CallbackState.FAILED and callback.outcome == "wrong_number"
    assert events[-1] == CallbackFailed("cb1", START, "wrong_number")


def test_recording_on_a_due_callback_starts_it_implicitly() -> None:
    """An agent who simply called can record the attempt; the start is implied and published."""
    callback, _ = mark_due(new(), START)
    callback, events = record_attempt(callback, "reached", START)
    assert [type(e) for e in events] == [CallbackAttemptStarted, CallbackAttemptRecorded, CallbackCompleted]


def test_release_returns_an_attempt_to_due_without_counting_it() -> None:
    """When the agent's session ends before dialling, the callback is due again and no attempt is used."""
    callback, events = release_attempt(dialling(new(), START), START + MIN)
    assert callback.state is CallbackState.DUE and callback.attempts_in_window == 0
    assert events == [CallbackDue("cb1", "c1", START + MIN)]


def test_cancel_from_each_open_state() -> None:
    """A callback can be cancelled while scheduled, due or in progress."""
    due, _ = mark_due(new(), START)
    for callback in (new(), due, dialling(new(), START)):
        cancelled, events = cancel_callback(callback, START, reason="customer called us")
        assert cancelled.state is CallbackState.CANCELLED
        assert events == [CallbackCancelled("cb1", START, "customer called us")]


def test_tick_marks_due_only_at_the_attempt_time() -> None:
    """The scheduler's tick does nothing early and marks the callback due at its time."""
    assert tick(new(), START - MIN) == (new(), [])
    callback, events = tick(new(), START)
    assert callback.state is CallbackState.DUE and events == [CallbackDue("cb1", "c1", START)]
    assert next_attempt_at(callback) == END


def test_illegal_transitions_raise_a_conflict_with_a_stable_code() -> None:
    """Steps the state does not allow raise IllegalCallbackTransition (409, illegal_callback_transition)."""
    completed, _ = record_attempt(dialling(new(), START), "reached", START)
    attempts: list[Callable[[], Transition]] = [
        lambda: cancel_callback(completed, START),
        lambda: mark_due(completed, START),
        lambda: record_attempt(new(), "reached", START),  # not due yet
        lambda: start_attempt(new(), START),
        lambda: mark_due(new(), START - MIN),  # too early
        lambda: miss_window(new(), START),  # window not over
        lambda: release_attempt(new(), START),
    ]
    for attempt in attempts:
        with pytest.raises(IllegalCallbackTransition) as info:
            attempt()
        assert info.value.code == "illegal_callback_transition"
        assert info.value.status == 409


def test_unknown_attempt_result_is_bad_input() -> None:
    """An attempt result outside reached/no_answer/busy/wrong_number is refused as bad input."""
    with pytest.raises(InvalidCareInput):
        record_attempt(dialling(new(), START), "voicemail", START)


def test_backoff_grows_the_gap() -> None:
    """With backoff 2, the second retry waits twice as long as the first."""
    policy = RetryPolicy(interval=10 * MIN, backoff=2.0)
    callback, _ = record_attempt(dialling(new(), START), "busy", START, policy=policy)
    assert callback.next_attempt_at == START + 10 * MIN
    now = START + 10 * MIN
    callback, _ = record_attempt(dialling(callback, now), "busy", now, policy=policy)
    assert callback.next_attempt_at == now + 20 * MIN


def test_bad_retry_policy_is_refused() -> None:
    """A retry policy with no attempts or no interval is refused."""
    with pytest.raises(InvalidCareInput):
        RetryPolicy(max_attempts=0)
    with pytest.raises(InvalidCareInput):
        RetryPolicy(interval=timedelta(0))


def _kept_place_at(local_hour: int) -> Callback:
    """An elderly customer's keep-your-place callback taken at ``local_hour`` Shanghai time, one hour long."""
    start = datetime(2026, 1, 5, local_hour, 30, tzinfo=UTC) - timedelta(hours=8)
    callback, _ = schedule_callback(
        callback_id="cb1",
        customer_id="c1",
        reason="keep your place",
        window_start=start,
        window_end=start + timedelta(hours=1),
        now=start,
        origin="keep_place",
        roll_over=True,
    )
    return callback


@pytest.mark.parametrize("local_hour", [21, 23, 2])
def test_a_rollover_the_customer_did_not_choose_never_lands_at_night(local_hour: int) -> None:
    """A kept place taken late rolls over to 08:00 Shanghai the next morning, keeping its length."""
    callback = _kept_place_at(local_hour)
    rolled, events = tick(callback, callback.window_end)
    assert isinstance(events[-1], CallbackRolledOver)
    local = rolled.window_start.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (local.hour, local.minute) == (8, 0)
    assert rolled.window_end - rolled.window_start == timedelta(hours=1)
    assert rolled.window_start > callback.window_start


def test_a_rollover_in_daytime_keeps_its_slot() -> None:
    """A kept place taken at 15:30 rolls over to 15:30 the next day."""
    callback = _kept_place_at(15)
    rolled, _ = tick(callback, callback.window_end)
    assert rolled.window_start == callback.window_start + timedelta(days=1)


def test_a_slot_the_customer_asked_for_rolls_over_as_it_is() -> None:
    """A requested callback at 23:00 rolls over to 23:00 the next day: the customer chose that slot."""
    start = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    callback, _ = schedule_callback(
        callback_id="cb1",
        customer_id="c1",
        reason="call me at 11pm",
        window_start=start,
        window_end=start + timedelta(hours=1),
        now=start,
        roll_over=True,
    )
    rolled, _ = tick(callback, callback.window_end)
    assert rolled.window_start == start + timedelta(days=1)
