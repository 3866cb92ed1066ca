"""What kefu keeps about a callback beyond the care core's ``Callback``: routing and scheduling.

``kefu.care.Callback`` is the pure lifecycle (state, window, attempts). A ``CallbackRecord`` wraps it with
where its task waits, the place in line it keeps, what follow-up it is, and the ``version`` the store
checks on every save (optimistic concurrency: see ``adapters/store/care_tables.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kefu.care import Callback, next_attempt_at
from kefu.domain.errors import Conflict


class CallbackChangedConcurrently(Conflict):
    """Two writers acted on the same version of a callback; the later one must reload (HTTP 409)."""

    code = "callback_changed_concurrently"
    title = "Callback changed concurrently"


@dataclass(slots=True)
class CallbackRecord:
    callback: Callback
    queue_id: str
    care: bool
    created_at: datetime
    updated_at: datetime
    home_site: str | None = None
    conversation_id: str | None = None  # keep-your-place: the voice conversation it stands in for
    place_since: datetime | None = None  # the task's enqueued_at: the place in line it keeps
    follow_up_key: str | None = None
    follow_up_event: str | None = None
    follow_up_subject_id: str | None = None
    version: int = 0

    @property
    def id(self) -> str:
        return self.callback.id

    @property
    def wake_at(self) -> datetime | None:
        """When the scheduler must next look at this callback (None: in progress or terminal)."""
        return next_attempt_at(self.callback)
