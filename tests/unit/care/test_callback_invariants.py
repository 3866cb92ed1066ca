"""Invariants of the callback state machine under any sequence of steps and times."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kefu.care import (
    TERMINAL_STATES,
    Callback,
    CallbackState,
    IllegalCallbackTransition,
    RetryPolicy,
    cancel_callback,
    mark_due,
    miss_window,
    record_attempt,
    release_attempt,
    schedule_callback,
    start_attempt,
    tick,
)
from kefu.care.callbacks import Transition
from kefu.care.events import CallbackEvent, CallbackRetryScheduled, CallbackRolledOver, CallbackScheduled

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
Step = Callable[[Callback, datetime, RetryPolicy], Transition]

STEPS: dict[str, Step] = {
    "tick": tick,
    "mark_due": lambda cb, now, p: mark_due(cb, now),
    "start": lambda cb, now, p: start_attempt(cb, now),
    "release": lambda cb, now, p: release_attempt(cb, now),
    "reached": lambda cb, now, p: record_attempt(cb, "reached", now, policy=p),
    "no_answer": lambda cb, now, p: record_attempt(cb, "no_answer", now, policy=p),
    "busy": lambda cb, now, p: record_attempt(cb, "busy", now, policy=p),
    "wrong": lambda cb, now, p: record_attempt(cb, "wrong_number", now, policy=p),
    "miss": miss_window,
    "cancel": lambda cb, now, p: cancel_callback(cb, now),
}
# Mostly the busy path (tick, start, miss), so runs reach retries and rollovers, not only early cancels.
_step_names = st.sampled_from(
    [
        *("tick", "tick", "tick", "start", "start", "start", "no_answer", "no_answer", "no_answer"),
        *("busy", "busy", "wait", "wait", "wait", "wait", "release", "mark_due", "miss"),
        *("reached", "wrong", "cancel"),
    ]
)


@dataclass(frozen=True)
class Scenario:
    window_offset_min: int
    window_len_min: int
    roll_over: bool
    policy: RetryPolicy
    steps: list[tuple[str, int]]


_delays = st.one_of(*[st.integers(0, 15)] * 8, st.integers(0, 24 * 60))
# Any steps at any times, mostly small steps in time and sometimes a day-long gap (the scheduler was down).
_random_steps = st.lists(st.tuples(_step_names, _delays), min_size=1, max_size=60)
# Steps as the scheduler and agents take them (wait, tick, dial, result), so that runs reach retries,
# exhausted windows and rollovers rather than stopping early.
_driven_steps = st.lists(
    st.tuples(
        st.sampled_from(["no_answer", "no_answer", "busy", "busy", "reached", "wrong", "release"]), _delays
    ),
    max_size=15,
).map(lambda cycles: [s for r, d in cycles for s in (("wait", 0), ("tick", 0), ("start", d), (r, 0))])
_scenario = st.builds(
    Scenario,
    window_offset_min=st.integers(min_value=0, max_value=600),
    window_len_min=st.integers(min_value=1, max_value=240),
    roll_over=st.booleans(),
    policy=st.builds(
        RetryPolicy,
        max_attempts=st.integers(min_value=1, max_value=5),
        interval=st.integers(min_value=1, max_value=90).map(lambda m: timedelta(minutes=m)),
        backoff=st.sampled_from([1.0, 1.5, 2.0]),
        max_rollovers=st.integers(min_value=0, max_value=3),
    ),
    steps=st.one_of(_random_steps, _driven_steps),
)
Trace = list[tuple[Callback, list[CallbackEvent], str]]


def _run(scenario: Scenario) -> Trace:
    """Apply the scenario's steps with non-decreasing times; keep every state reached."""
    start = T0 + timedelta(minutes=scenario.window_offset_min)
    end = start + timedelta(minutes=scenario.window_len_min)
    callback, events = schedule_callback(
        callback_id="cb",
        customer_id="c",
        reason="r",
        window_start=start,
        window_end=end,
        now=T0,
        roll_over=scenario.roll_over,
    )
    trace: Trace = [(callback, events, "schedule")]
    now = T0
    for name, advance_min in scenario.steps:
        now += timedelta(minutes=advance_min)
        if name == "wait":  # sleep until the next attempt is due, as the scheduler would
            now = max(now, callback.next_attempt_at or now)
            continue
        try:
            callback, step_events = STEPS[name](callback, now, scenario.policy)
        except IllegalCallbackTransition:
            trace.append((callback, [], f"{name}!"))
            continue
        trace.append((callback, step_events, name))
    return trace


@given(_scenario)
def test_terminal_states_are_final(scenario: Scenario) -> None:
    """Once completed, failed or cancelled, a callback never changes again, whatever happens next."""
    trace = _run(scenario)
    for i, (callback, _, _) in enumerate(trace):
        if callback.state in TERMINAL_STATES:
            assert all(later is callback for later, _, _ in trace[i:])
            assert all(not events for _, events, _ in trace[i + 1 :])
            break


@given(_scenario)
def test_attempts_never_exceed_the_maximum_within_a_window(scenario: Scenario) -> None:
    """No window ever sees more recorded attempts than the retry policy's maximum."""
    policy = scenario.policy
    for callback, _, _ in _run(scenario):
        assert 0 <= callback.attempts_in_window <= policy.max_attempts
        assert callback.rollovers <= policy.max_rollovers
        assert len(callback.attempts) <= policy.max_attempts * (callback.rollovers + 1)


@given(_scenario)
def test_every_scheduled_attempt_lies_inside_a_window(scenario: Scenario) -> None:
    """Each first attempt, retry and rollover is scheduled within its window, never before or after it."""
    for callback, events, _ in _run(scenario):
        if callback.state is CallbackState.SCHEDULED:
            assert callback.next_attempt_at is not None
            assert callback.window_start <= callback.next_attempt_at < callback.window_end
        for event in events:
            if isinstance(event, CallbackScheduled | CallbackRolledOver):
                assert event.window_start <= event.next_attempt_at < event.window_end
            if isinstance(event, CallbackRetryScheduled):  # a retry keeps the window it was made in
                assert callback.window_start <= event.next_attempt_at < callback.window_end


@given(_scenario)
def test_windows_keep_their_length_and_move_in_whole_days(scenario: Scenario) -> None:
    """A rollover keeps the window's time of day and length, moved by whole days."""
    trace = _run(scenario)
    first = trace[0][0]
    for callback, _, _ in trace:
        assert callback.window_end - callback.window_start == first.window_end - first.window_start
        assert callback.window_start - first.window_start == timedelta(days=callback.rollovers)


@given(_scenario)
def test_roll_over_only_for_elderly(scenario: Scenario) -> None:
    """Only callbacks marked roll_over (elderly customers) ever move to another day."""
    if not scenario.roll_over:
        assert all(callback.rollovers == 0 for callback, _, _ in _run(scenario))
