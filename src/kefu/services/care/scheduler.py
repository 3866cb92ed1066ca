"""The durable callback scheduler: due work lives in the database, claimed with row locks, never in a timer.

Each pass (``run_once``):

Both steps are commands on the bus (``ClaimDueCallbacks``, ``DeliverCallback``); the loop only issues them.

1. **claim** — one short transaction leases up to ``KEFU_SCHEDULER_BATCH`` callbacks whose ``wake_at`` has
   come and that nobody holds (``claim_token``, ``claimed_until = now + KEFU_SCHEDULER_LEASE_S``). On
   PostgreSQL the candidate rows are picked ``FOR UPDATE SKIP LOCKED``, so concurrent schedulers take
   disjoint rows without waiting; on SQLite the single ``UPDATE … RETURNING`` is atomic (one writer).
2. **deliver** — per callback, one transaction applies the care core's ``tick`` (become due and open a
   ``callback`` task, or miss the window and roll over / fail), audits it and saves it with a version check
   that also clears the lease. Of two processes acting on the same version exactly one commits, so no
   attempt is ever delivered twice.
3. A process that dies between claim and commit delivered nothing (its transaction rolled back); its lease
   expires and the next pass of any scheduler claims the row again, so the attempt is delivered once.

``kefu serve`` runs the loop in-process (started by ``bootstrap`` with routing, stopped by ``close()``);
``kefu worker`` runs only the loop. Any number may run against one PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from kefu.care.records import CallbackChangedConcurrently
from kefu.domain.ids import new_id
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.care.callbacks import ClaimDueCallbacks, DeliverCallback
from kefu.services.messagebus import MessageBus

log = structlog.get_logger("kefu.scheduler")


class Scheduler:
    def __init__(self, bus: MessageBus, name: str | None = None) -> None:
        self.bus = bus
        self.name = name or f"scheduler-{new_id()[-8:]}"
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.delivered = 0  # callbacks this scheduler changed, for logs and tests

    async def claim(self) -> tuple[str, list[str]]:
        """Lease the callbacks that are due now; returns the claim token and their ids."""
        return await self.bus.handle(ClaimDueCallbacks(), SYSTEM_ACTOR)

    async def run_once(self) -> int:
        """Claim and deliver one batch; returns how many callbacks were claimed."""
        token, ids = await self.claim()
        for callback_id in ids:
            try:
                changed = await self.bus.handle(DeliverCallback(callback_id, token, self.name), SYSTEM_ACTOR)
            except CallbackChangedConcurrently:
                log.info("callback changed by another process meanwhile", callback_id=callback_id)
                continue
            except Exception:
                # The lease expires and a later pass (here or elsewhere) tries again.
                log.exception("delivering a callback failed", callback_id=callback_id)
                continue
            if changed:
                self.delivered += 1
        return len(ids)

    async def drain(self) -> int:
        """Run passes until nothing is due (tests, ``kefu worker --once``); returns callbacks claimed."""
        total = 0
        while claimed := await self.run_once():
            total += claimed
        return total

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        """One pass at once (catch up on what fell due while down), then the loop in the background."""
        claimed = await self.run_once()
        busy = claimed >= self.bus.settings.scheduler_batch
        self._task = asyncio.create_task(self._loop(busy), name=f"kefu-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self, busy: bool) -> None:
        poll = self.bus.settings.scheduler_poll_s
        while True:
            if not busy:  # a full batch means more may be waiting: no pause
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=poll)
            try:
                busy = await self.run_once() >= self.bus.settings.scheduler_batch
            except Exception:
                log.exception("scheduler pass failed; retrying")
                busy = False
