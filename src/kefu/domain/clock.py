"""Time as a dependency: code asks a ``Clock`` for now, so tests can control it without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        self._now = when


class AdvancingClock(FakeClock):
    """A fake clock that also moves forward by ``step`` on every read, as a real one does between reads.

    A handler that reads ``now()`` twice in one command sees two different times here, as it would in a
    running server, so code that assumes two reads agree fails in tests instead of in production."""

    def __init__(self, start: datetime | None = None, step: timedelta = timedelta(milliseconds=1)) -> None:
        super().__init__(start)
        if step <= timedelta(0):
            raise ValueError("an advancing clock must move forward")
        self.step = step
        self.reads = 0

    def now(self) -> datetime:
        current = self._now
        self._now += self.step
        self.reads += 1
        return current
