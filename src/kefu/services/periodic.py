"""A periodic job: one background task that runs a round, logs a failed round and waits before the next.

The jobs themselves (the hold keeper, the payment-webhook sender) only issue commands on the bus; this base
gives them the one loop, so a round that raises never stops the job and ``stop`` always ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog

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
