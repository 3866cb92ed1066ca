"""A fake world for handler unit tests: a memory store, a clock, a unit-of-work factory, and an exact-events
assertion that reads what was committed from the memory outbox.

    world = FakeWorld()
    bus = MessageBus(world.uow_factory, ..., clock=world.clock, ...)   # or bootstrap(..., uow_factory=...)
    await bus.handle(CreateCustomer(...), actor)
    world.assert_events(CustomerCreated(customer_id=..., at=world.clock.now()))

It knows nothing of the bus: whatever commits through ``world.uow_factory`` lands in ``world.store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kefu.adapters.memory.store import MemoryStore
from kefu.adapters.memory.uow import MemoryUnitOfWorkFactory
from kefu.domain.clock import Clock, FakeClock
from kefu.domain.events import Event
from kefu.services.ports import OutboxRecord


class FakeWorld:
    """A memory store with a clock (a frozen ``FakeClock`` unless another is given) and its factory."""

    def __init__(self, clock: Clock | None = None, store: MemoryStore | None = None) -> None:
        self.clock = clock or FakeClock()
        self.store = store or MemoryStore(self.clock)
        self.uow_factory = MemoryUnitOfWorkFactory(self.store, self.clock)
        self._seen: set[str] = set()

    def committed(self) -> list[OutboxRecord]:
        """Every outbox record committed so far, in the order they were written."""
        records: list[OutboxRecord] = self.store.rows("outbox")
        return sorted(records, key=lambda r: (r.created_at, r.id))

    def take_events(self) -> list[tuple[str, dict[str, Any]]]:
        """(name, payload) of the events committed since the last take, in order."""
        fresh = [r for r in self.committed() if r.id not in self._seen]
        self._seen.update(r.id for r in fresh)
        return [(r.name, r.payload) for r in fresh]

    def assert_events(self, *expected: Event | str) -> None:
        """Exactly these events, in this order, were committed since the last check.

        An ``Event`` must match by name and payload; a string matches the name alone (for payloads that
        hold times from an advancing clock)."""
        got = self.take_events()
        want: list[Any] = [e if isinstance(e, str) else (e.name, e.payload()) for e in expected]
        shown: Sequence[Any] = [g[0] if isinstance(w, str) else g for g, w in zip(got, want, strict=False)]
        if len(got) != len(want) or list(shown) != want:
            raise AssertionError(
                "committed events differ:\n  expected "
                + repr([w if isinstance(w, str) else w[0] for w in want])
                + "\n  got      "
                + repr([g[0] for g in got])
                + f"\n  detail   {got!r}"
            )

    def assert_no_events(self) -> None:
        """Nothing was committed to the outbox since the last check."""
        self.assert_events()
