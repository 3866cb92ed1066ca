"""The callback lifecycle as a pure state machine.

    scheduled ──mark_due──▶ due ──start_attempt──▶ in_progress ──record_attempt──▶ completed | failed
        ▲                    │ ▲                        │                          (or back to scheduled
        │                    │ └──release_attempt───────┘                           for a retry/rollover)
        └──── retry / rollover ◀────────────────────────┘
    scheduled | due ──miss_window──▶ scheduled (rolled over) | failed
    scheduled | due | in_progress ──cancel_callback──▶ cancelled

``completed``, ``failed`` and ``cancelled`` are terminal: every transition out of them raises
``IllegalCallbackTransition`` (code ``illegal_callback_transition``, HTTP 409).

Retries: after ``no_answer`` or ``busy`` the next attempt is ``interval × backoff^(n-1)`` later (defaults:
10 minutes, no growth), at most ``max_attempts`` (3) per window, and only if it still starts inside the
window. When a window is used up — attempts exhausted, or it ended before anyone called — an elderly
customer's callback (``roll_over=True``) moves to the same window the next day, at most ``max_rollovers``
times, because an older customer who missed the phone once still needs the call; anyone else's ends
``failed``. A rolled-over window the customer did not choose (a follow-up, a kept place) never starts at
night in the customer's zone (``night_zone``, 22:00-08:00 by default): if any of it would, it moves to
08:00 the next morning, keeping its length. ``wrong_number`` ends ``failed`` at once: calling again would
reach the same stranger.

Times are never read from a clock: every function takes ``now``, an aware datetime, and all stored times
are UTC. "The next day" is 24 hours later in UTC, which is the same local window in Asia/Shanghai (no
daylight saving time).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from kefu.care.errors import IllegalCallbackTransition, InvalidCallbackWindow, InvalidCareInput
from kefu.care.events import (
    CallbackAttemptRecorded,
    CallbackAttemptStarted,
    CallbackCancelled,
    CallbackCompleted,
    CallbackDue,
    CallbackEvent,
    CallbackFailed,
    CallbackRetryScheduled,
    CallbackRolledOver,
    CallbackScheduled,
    CallbackWindowMissed,
)


class CallbackState(StrEnum):
    SCHEDULED = "scheduled"
    DUE = "due"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL_STATES = frozenset({CallbackState.COMPLETED, CallbackState.FAILED, CallbackState.CANCELLED})


class AttemptResult(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"


class CallbackOrigin(StrEnum):
    REQUESTED = "requested"  # the customer asked (POST /callbacks)
    FOLLOW_UP = "follow_up"  # kefu scheduled it itself (回访)
    KEEP_PLACE = "keep_place"  # taken instead of waiting in a voice queue


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    interval: timedelta = timedelta(minutes=10)
    backoff: float = 1.0  # multiplier per further attempt; 1.0 means evenly spaced
    max_rollovers: int = 3  # days an elderly customer's callback is carried forward
    night_zone: str = "Asia/Shanghai"  # the customer's zone for "night" below
    night_starts: time = time(22, 0)
    night_ends: time = time(8, 0)

    def __post_init__(self) -> None:
        if (
            self.max_attempts < 1
            or self.interval <= timedelta(0)
            or self.backoff < 1.0
            or self.max_rollovers < 0
        ):
            raise InvalidCareInput(f"invalid retry policy {self!r}", field="retry_policy")

    def out_of_night(self, start: datetime, length: timedelta) -> datetime:
        """``start`` itself when the whole window lies in local daytime, else the next 08:00."""
        zone = ZoneInfo(self.night_zone)
        local = start.astimezone(zone)
        clock = local.time()
        night = datetime.combine(local.date(), self.night_starts, zone)
        if self.night_ends <= clock and local + length <= night:
            return start
        morning = local.date() if clock < self.night_ends else local.date() + timedelta(days=1)
        return datetime.combine(morning, self.night_ends, zone).astimezone(UTC)

    def delay_after(self, attempts_in_window: int) -> timedelta:
        """How long to wait after the ``attempts_in_window``-th unanswered attempt."""
        return self.interval * self.backoff ** (attempts_in_window - 1)


DEFAULT_RETRY_POLICY = RetryPolicy()


@dataclass(frozen=True, slots=True)
class Attempt:
    no: int  # 1-based across the callback's whole life
    at: datetime
    result: AttemptResult
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Callback:
    """A durable, scheduled call back to a customer. Immutable: transitions return a new value."""

    id: str
    customer_id: str
    reason: str
    window_start: datetime
    window_end: datetime
    state: CallbackState
    next_attempt_at: datetime | None  # None once terminal
    phone: str | None = None
    origin: CallbackOrigin = CallbackOrigin.REQUESTED
    roll_over: bool = False  # elderly customers: carry a missed window to the next day
    attempts: tuple[Attempt, ...] = ()
    attempts_in_window: int = 0
    rollovers: int = 0
    outcome: str | None = None  # reached | wrong_number | attempts_exhausted | window_missed | cancelled
    closed_at: datetime | None = None

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES


Transition = tuple[Callback, list[CallbackEvent]]


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidCallbackWindow(f"{name} must be timezone-aware", field=name)
    return value.astimezone(UTC)


def _illegal(callback: Callback, action: str) -> IllegalCallbackTransition:
    return IllegalCallbackTransition(callback.id, str(callback.state), action)


def _require(callback: Callback, action: str, *states: CallbackState) -> None:
    if callback.state not in states:
        raise _illegal(callback, action)


def schedule_callback(
    *,
    callback_id: str,
    customer_id: str,
    reason: str,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    phone: str | None = None,
    origin: CallbackOrigin | str = CallbackOrigin.REQUESTED,
    roll_over: bool = False,
) -> Transition:
    """A new ``scheduled`` callback; its first attempt is at the window's start (or now, inside it)."""
    start, end, now = _utc(window_start, "window_start"), _utc(window_end, "window_end"), _utc(now, "now")
    if end <= start:
        raise InvalidCallbackWindow("window_end must be after window_start", field="window_end")
    if end <= now:
        raise InvalidCallbackWindow("the window is already over", field="window_end")
    first = max(start, now)
    callback = Callback(
        id=callback_id,
        customer_id=customer_id,
        reason=reason,
        window_start=start,
        window_end=end,
        state=CallbackState.SCHEDULED,
        next_attempt_at=first,
        phone=phone,
        origin=CallbackOrigin(origin),
        roll_over=roll_over,
    )
    return callback, [CallbackScheduled(callback_id, customer_id, start, end, first)]


def is_due(callback: Callback, now: datetime) -> bool:
    """Should the scheduler hand this callback to routing now?"""
    return (
        callback.state is CallbackState.SCHEDULED
        and callback.next_attempt_at is not None
        and callback.next_attempt_at <= now < callback.window_end
    )


def next_attempt_at(callback: Callback) -> datetime | None:
    """When the scheduler should next look at this callback; None when it is in progress or terminal."""
    if callback.state is CallbackState.SCHEDULED:
        return callback.next_attempt_at
    if callback.state is CallbackState.DUE:
        return callback.window_end  # a due callback nobody picked up is missed at the window's end
    return None


def mark_due(callback: Callback, now: datetime) -> Transition:
    """``scheduled → due``: the attempt time has come; routing should offer it to an agent."""
    now = _utc(now, "now")
    _require(callback, "mark due", CallbackState.SCHEDULED)
    if not is_due(callback, now):
        raise _illegal(callback, "mark due outside its attempt time")
    due = replace(callback, state=CallbackState.DUE)
    return due, [CallbackDue(callback.id, callback.customer_id, now)]


def start_attempt(callback: Callback, now: datetime) -> Transition:
    """``due → in_progress``: an agent is dialling."""
    now = _utc(now, "now")
    _require(callback, "start an attempt on", CallbackState.DUE)
    started = replace(callback, state=CallbackState.IN_PROGRESS)
    return started, [CallbackAttemptStarted(callback.id, len(callback.attempts) + 1, now)]


def release_attempt(callback: Callback, now: datetime) -> Transition:
    """``in_progress → due`` without counting an attempt: the agent's session ended before dialling."""
    now = _utc(now, "now")
    _require(callback, "release", CallbackState.IN_PROGRESS)
    return replace(callback, state=CallbackState.DUE), [CallbackDue(callback.id, callback.customer_id, now)]


def record_attempt(
    callback: Callback,
    result: AttemptResult | str,
    now: datetime,
    note: str | None = None,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> Transition:
    """Record how an attempt went. A ``due`` callback is started implicitly (the agent simply called)."""
    now = _utc(now, "now")
    try:
        outcome = AttemptResult(result)
    except ValueError:
        raise InvalidCareInput(f"unknown attempt result {result!r}", field="result") from None
    events: list[CallbackEvent] = []
    if callback.state is CallbackState.DUE:
        callback, events = start_attempt(callback, now)
    _require(callback, "record an attempt on", CallbackState.IN_PROGRESS)

    attempt = Attempt(no=len(callback.attempts) + 1, at=now, result=outcome, note=note)
    callback = replace(
        callback, attempts=(*callback.attempts, attempt), attempts_in_window=callback.attempts_in_window + 1
    )
    events.append(CallbackAttemptRecorded(callback.id, attempt.no, str(outcome), now, note))

    if outcome is AttemptResult.REACHED:
        return _close(callback, CallbackState.COMPLETED, "reached", now, events)
    if outcome is AttemptResult.WRONG_NUMBER:
        return _close(callback, CallbackState.FAILED, "wrong_number", now, events)

    if callback.attempts_in_window < policy.max_attempts:
        retry_at = max(now, callback.window_start) + policy.delay_after(callback.attempts_in_window)
        if retry_at < callback.window_end:
            retried = replace(callback, state=CallbackState.SCHEDULED, next_attempt_at=retry_at)
            events.append(CallbackRetryScheduled(callback.id, retry_at, callback.attempts_in_window))
            return retried, events
    return _window_used_up(callback, now, "attempts_exhausted", events, policy)


def miss_window(callback: Callback, now: datetime, policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> Transition:
    """The window ended while the callback was still waiting: roll over (elderly) or fail."""
    now = _utc(now, "now")
    _require(callback, "miss the window of", CallbackState.SCHEDULED, CallbackState.DUE)
    if now < callback.window_end:
        raise _illegal(callback, "miss the window before it ends of")
    events: list[CallbackEvent] = [CallbackWindowMissed(callback.id, callback.window_end)]
    return _window_used_up(callback, now, "window_missed", events, policy)


def cancel_callback(callback: Callback, now: datetime, reason: str | None = None) -> Transition:
    """Any non-terminal state ``→ cancelled``."""
    now = _utc(now, "now")
    _require(callback, "cancel", CallbackState.SCHEDULED, CallbackState.DUE, CallbackState.IN_PROGRESS)
    return _close(callback, CallbackState.CANCELLED, "cancelled", now, [], cancel_reason=reason)


def tick(callback: Callback, now: datetime, policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> Transition:
    """What the clock alone implies at ``now``: become due, or miss the window. No events if nothing."""
    now = _utc(now, "now")
    if callback.state in (CallbackState.SCHEDULED, CallbackState.DUE) and now >= callback.window_end:
        return miss_window(callback, now, policy)
    if is_due(callback, now):
        return mark_due(callback, now)
    return callback, []


def _close(
    callback: Callback,
    state: CallbackState,
    outcome: str,
    now: datetime,
    events: list[CallbackEvent],
    *,
    cancel_reason: str | None = None,
) -> Transition:
    closed = replace(callback, state=state, next_attempt_at=None, outcome=outcome, closed_at=now)
    if state is CallbackState.COMPLETED:
        events.append(CallbackCompleted(callback.id, now))
    elif state is CallbackState.CANCELLED:
        events.append(CallbackCancelled(callback.id, now, cancel_reason))
    else:
        events.append(CallbackFailed(callback.id, now, outcome))
    return closed, events


def _window_used_up(
    callback: Callback, now: datetime, why: str, events: list[CallbackEvent], policy: RetryPolicy
) -> Transition:
    if not callback.roll_over:
        return _close(callback, CallbackState.FAILED, why, now, events)
    start, end, rollovers = callback.window_start, callback.window_end, callback.rollovers
    # At least one day forward; more when whole days are already over (the scheduler was down for a while).
    while True:
        if rollovers >= policy.max_rollovers:
            return _close(callback, CallbackState.FAILED, why, now, events)
        start, end, rollovers = start + timedelta(days=1), end + timedelta(days=1), rollovers + 1
        if callback.origin is not CallbackOrigin.REQUESTED:  # a slot the customer did not choose
            moved = policy.out_of_night(start, end - start)
            start, end = moved, end + (moved - start)
        if end > now:
            break
    first = max(start, now)
    rolled = replace(
        callback,
        state=CallbackState.SCHEDULED,
        window_start=start,
        window_end=end,
        next_attempt_at=first,
        attempts_in_window=0,
        rollovers=rollovers,
    )
    events.append(CallbackRolledOver(callback.id, start, end, first, rollovers))
    return rolled, events
