"""The outbox relay: committed events leave the process from the outbox table, never from the write path.

A write commits its change and its events (``OutboxRepository.add``) in one transaction and returns; it
never waits for NATS. The relay, in the background of ``kefu serve`` and ``kefu worker``, loops::

    claim a batch (oldest first) → publish it → mark it sent → commit

It is woken by a commit in this process (``Doorbell.ring``, called by the unit of work) and otherwise
polls every ``poll_s``, so it also picks up what other processes committed. When publishing fails (NATS is
down) the batch stays unsent, the relay backs off (doubling up to ``backoff_max_s``, rings ignored) and
tries again; writes are unaffected. Sent rows older than ``retention_s`` are pruned.

Several relays may run at once (``kefu serve`` beside ``kefu worker``, several servers on one PostgreSQL):
``claim`` takes disjoint rows on PostgreSQL, and a row published twice (a relay killed between publishing
and committing) carries the same message id, which JetStream drops inside its duplicate window; consumers
dedupe by the event id as well.

With nowhere to publish (no NATS configured) ``NoPublisher`` accepts everything, so the relay just marks
rows sent and prunes them and the table stays small.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import structlog

from kefu.domain.clock import Clock
from kefu.services.ports import OutboxRecord, UnitOfWorkFactory

log = structlog.get_logger("kefu.outbox")


class OutboxPublisher(Protocol):
    """Where outbox records go: NATS JetStream at scale. Raises when they could not all be delivered."""

    async def publish(self, records: Sequence[OutboxRecord]) -> None: ...


class NoPublisher:
    """The embedded default: there is no broker, so every record counts as delivered."""

    async def publish(self, records: Sequence[OutboxRecord]) -> None:
        return None


class RecordingPublisher:
    """A publisher that keeps what it was given, and fails on demand (``down = True``), for tests."""

    def __init__(self) -> None:
        self.published: list[OutboxRecord] = []
        self.down = False

    async def publish(self, records: Sequence[OutboxRecord]) -> None:
        if self.down:
            raise ConnectionError("the publisher is down")
        self.published.extend(records)


class Doorbell:
    """A cheap signal from the write path to the relay: "there is something new in the outbox"."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        self._event.set()

    async def wait(self, at_most_s: float) -> None:
        """Until rung or ``at_most_s`` seconds pass; a ring before the call counts."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), at_most_s)
        self._event.clear()


@dataclass(frozen=True, slots=True)
class RelaySettings:
    poll_s: float = 1.0
    batch: int = 100
    retention_s: float = 3600.0
    backoff_max_s: float = 5.0
    prune_every_s: float = 60.0


async def outbox_lag_s(uow_factory: UnitOfWorkFactory, clock: Clock) -> float:
    """Age in seconds of the oldest unsent event (0 when everything is sent), by the injected clock."""
    async with uow_factory() as uow:
        oldest = await uow.outbox.oldest_unsent()
    if oldest is None:
        return 0.0
    return max(0.0, (clock.now() - oldest).total_seconds())


class OutboxRelay:
    """Publishes the outbox. ``relay_once``/``drain``/``prune`` are one step each; ``start`` runs the loop."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        publisher: OutboxPublisher,
        clock: Clock,
        settings: RelaySettings | None = None,
        doorbell: Doorbell | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.publisher = publisher
        self.clock = clock
        self.settings = settings or RelaySettings()
        self.doorbell = doorbell or Doorbell()
        self.published = 0  # records this relay published (and marked sent)
        self.failures = 0  # consecutive failed attempts; 0 while publishing works
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._last_prune = float("-inf")

    async def relay_once(self) -> int:
        """Claim one batch, publish it, mark it sent and commit; the number of records sent.

        A failure to publish rolls the claim back (the rows stay unsent) and propagates."""
        async with self.uow_factory() as uow:
            records = await uow.outbox.claim(self.settings.batch)
            if not records:
                return 0
            await self.publisher.publish(records)
            await uow.outbox.mark_sent([r.id for r in records], self.clock.now())
            await uow.commit()
        self.published += len(records)
        return len(records)

    async def drain(self) -> int:
        """Relay batches until the outbox has nothing unsent left; the number of records sent."""
        total = 0
        while sent := await self.relay_once():
            total += sent
        return total

    async def prune(self) -> int:
        """Delete sent rows older than the retention; the number deleted."""
        before = self.clock.now() - timedelta(seconds=self.settings.retention_s)
        total = 0
        async with self.uow_factory() as uow:
            while removed := await uow.outbox.prune(before, self.settings.batch * 10):
                total += removed
                if removed < self.settings.batch * 10:
                    break
            await uow.commit()
        return total

    async def lag_s(self) -> float:
        return await outbox_lag_s(self.uow_factory, self.clock)

    def backoff_s(self) -> float:
        """The pause after ``failures`` consecutive failures: 0.5 s doubling, capped at ``backoff_max_s``."""
        if self.failures == 0:
            return 0.0
        return float(min(self.settings.backoff_max_s, 0.5 * 2 ** min(self.failures - 1, 16)))

    async def step(self) -> float:
        """One round: relay until empty (or a failure), prune when due; returns the pause before the next."""
        try:
            await self.drain()
        except Exception as exc:
            self.failures += 1
            pause = self.backoff_s()
            log.warning(
                "outbox relay cannot publish; retrying", error=str(exc) or type(exc).__name__, retry_s=pause
            )
            return pause
        if self.failures:
            log.info("outbox relay publishing again", after_failures=self.failures)
        self.failures = 0
        now = time.monotonic()
        if now - self._last_prune >= self.settings.prune_every_s:
            self._last_prune = now
            try:
                await self.prune()
            except Exception:
                log.exception("pruning the outbox failed")
        return self.settings.poll_s

    async def _run(self) -> None:
        while not self._stopping.is_set():
            pause = await self.step()
            if self._stopping.is_set():
                return
            if self.failures:
                # A ring does not cut a backoff short: NATS is down for every write alike.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)
            else:
                await self.doorbell.wait(pause)

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, grace_s: float = 10.0) -> None:
        """Let the round in progress finish (a transaction cut off by cancellation could keep its row locks
        until its connection is dropped), then end the loop; cancel it only after ``grace_s``."""
        if self._task is None:
            return
        self._stopping.set()
        self.doorbell.ring()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_s)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
