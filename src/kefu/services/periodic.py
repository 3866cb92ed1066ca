"""A periodic job: one background task that runs a round, logs a failed round and waits before the next.

The jobs themselves (the hold keeper, the payment-webhook sender, the audit checkpointer) only issue
commands on the bus; this base gives them the one loop, so a round that raises never stops the job and
``stop`` always ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from kefu.domain.audit import Checkpoint
from kefu.domain.commands import CheckpointAuditDay
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.messagebus import MessageBus

log = structlog.get_logger("kefu.periodic")


class PeriodicJob:
    """Runs ``round()`` every ``interval_s`` seconds in a task of its own, from ``start`` until ``stop``."""

    name = "kefu-periodic"

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def round(self) -> Any:
        """One pass of the job; whatever it returns is for tests and the CLI."""
        raise NotImplementedError

    async def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _forever(self) -> None:
        while True:
            try:
                await self.round()
            except Exception:
                log.exception("periodic round failed", job=self.name)
            await asyncio.sleep(self.interval_s)


class AuditCheckpointer(PeriodicJob):
    """Signs the audit chain once for each finished day (the centre's local calendar), in every process
    that runs the outbox relay; ``CheckpointAuditDay`` makes sure a day gets one checkpoint however many
    processes try. ``kefu audit checkpoint`` stays for operators who want one now."""

    name = "kefu-audit-checkpointer"

    def __init__(self, bus: MessageBus, interval_s: float) -> None:
        super().__init__(interval_s)
        self.bus = bus

    async def round(self) -> Checkpoint | None:
        today = self.bus.clock.now().astimezone(ZoneInfo(self.bus.settings.local_timezone)).date()
        return await self.bus.handle(CheckpointAuditDay(today - timedelta(days=1)), SYSTEM_ACTOR)
