"""Events of the callback lifecycle, past tense, frozen. The service layer publishes them after commit.

Every transition of ``kefu.care.callbacks`` returns the events it caused, in order:

    schedule_callback   CallbackScheduled
    mark_due            CallbackDue
    start_attempt       CallbackAttemptStarted
    record_attempt      CallbackAttemptRecorded, then one of
                        CallbackCompleted | CallbackRetryScheduled | CallbackRolledOver | CallbackFailed
    miss_window         CallbackWindowMissed, then CallbackRolledOver | CallbackFailed
    cancel_callback     CallbackCancelled
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CallbackScheduled:
    callback_id: str
    customer_id: str
    window_start: datetime
    window_end: datetime
    next_attempt_at: datetime


@dataclass(frozen=True, slots=True)
class CallbackDue:
    """The callback should now become a ``callback``-channel task in routing."""

    callback_id: str
    customer_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallbackAttemptStarted:
    callback_id: str
    attempt_no: int
    at: datetime


@dataclass(frozen=True, slots=True)
class CallbackAttemptRecorded:
    callback_id: str
    attempt_no: int
    result: str
    at: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class CallbackRetryScheduled:
    callback_id: str
    next_attempt_at: datetime
    attempts_in_window: int


@dataclass(frozen=True, slots=True)
class CallbackWindowMissed:
    """The window ended before anyone called (e.g. no agent was free); no attempt was made."""

    callback_id: str
    window_end: datetime


@dataclass(frozen=True, slots=True)
class CallbackRolledOver:
    """An elderly customer's missed window moved to the same window the next day."""

    callback_id: str
    window_start: datetime
    window_end: datetime
    next_attempt_at: datetime
    rollovers: int


@dataclass(frozen=True, slots=True)
class CallbackCompleted:
    callback_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallbackFailed:
    """``reason`` is ``wrong_number``, ``attempts_exhausted`` or ``window_missed``."""

    callback_id: str
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class CallbackCancelled:
    callback_id: str
    at: datetime
    reason: str | None


CallbackEvent = (
    CallbackScheduled
    | CallbackDue
    | CallbackAttemptStarted
    | CallbackAttemptRecorded
    | CallbackRetryScheduled
    | CallbackWindowMissed
    | CallbackRolledOver
    | CallbackCompleted
    | CallbackFailed
    | CallbackCancelled
)
