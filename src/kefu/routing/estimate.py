"""The customer's place in line and the expected wait, by one documented method.

``ahead`` waiting tasks of the same queue and channel rank before this one; ``servers`` is how many tasks at
once the agents who may take it now can hold (available agents of its current pool, by capacity on its
channel). With every server busy and handle times of mean ``handle_s``, servers free up at a rate of
``servers / handle_s``, and this task is served at the ``ahead + 1``-th of them:

    estimated_wait_s = (ahead + 1) * handle_s / servers

For exponential handle times that is exactly the expected wait of M/M/N (Erlang C's model) once the task
has to queue; ``kefu sim centre`` compares it with the waits that followed. ``handle_s`` is the mean of the
queue's recent handle times (``HandleTimes``), or a default before any has been seen.
"""

from __future__ import annotations

from collections import deque

DEFAULT_HANDLE_S = 180.0


def estimate_wait_s(ahead: int, handle_s: float, servers: int) -> float | None:
    """Expected wait of a queued task, or None when nobody who may take it is staffed."""
    if servers <= 0:
        return None
    return (ahead + 1) * handle_s / servers


class HandleTimes:
    """The mean of each queue's last ``keep`` handle times (accepted to completed), in O(1) per update."""

    def __init__(self, keep: int = 100, default_s: float = DEFAULT_HANDLE_S) -> None:
        self.keep, self.default_s = keep, default_s
        self._seen: dict[str, deque[float]] = {}
        self._sums: dict[str, float] = {}

    def add(self, queue_id: str, handle_s: float) -> None:
        seen = self._seen.setdefault(queue_id, deque())
        seen.append(handle_s)
        total = self._sums.get(queue_id, 0.0) + handle_s
        if len(seen) > self.keep:
            total -= seen.popleft()
        self._sums[queue_id] = total

    def mean(self, queue_id: str) -> float:
        seen = self._seen.get(queue_id)
        if not seen:
            return self.default_s
        return self._sums[queue_id] / len(seen)
