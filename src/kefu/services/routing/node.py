"""A ``kefu router`` process: its partition's engine, run only while this process holds the lease.

Every third of the lease time the node asks for the lease (``AcquireRouterLease``). On a new term it sets the
router's fencing token, rebuilds the engine from the database (which picks up everything committed while no
router ran: tasks opened, offers that expired) and opens its side of the routing link. When the lease is lost
(another router took it after this one was paused or cut off, or renewals failed until it ran out) it closes
the link and stops the engine; it keeps its old token, so a write it still attempts (a tick under way when
it resumed from a pause) is refused by the token in the write's own transaction. Between turns it compares
the live tasks in the database with the engine's and rebuilds if a command was missed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from kefu.domain.users import SYSTEM_ACTOR
from kefu.routing.lease import Fence, Lease
from kefu.services.routing.lease import AcquireRouterLease, ReleaseRouterLease
from kefu.services.routing.router import RebuildRouting, Router

log = structlog.get_logger("kefu.router.node")


class RouterNode:
    """Holds (or waits for) one partition's lease and runs the router while it holds it."""

    def __init__(
        self,
        router: Router,
        partition: str,
        holder: str,
        lease_s: float,
        on_gain: Callable[[], Awaitable[None]],
        on_loss: Callable[[], Awaitable[None]],
    ) -> None:
        self.router = router
        router.leased = True
        self.bus = router.bus
        self.partition = partition
        self.holder = holder
        self.lease_s = lease_s
        self.on_gain = on_gain
        self.on_loss = on_loss
        self.lease: Lease | None = None
        self.gained_at: datetime | None = None  # when this node last became active
        self._active = False
        self._loops: list[asyncio.Task[None]] = []
        self._missing: set[str] = set()  # out of step at the last check (a command may still be on its way)

    @property
    def active(self) -> bool:
        return self._active

    async def start(self) -> None:
        # Renewal has a loop of its own: a catch-up waiting for the engine's lock never delays it.
        self._loops = [
            asyncio.create_task(self._run(), name="kefu-router-lease"),
            asyncio.create_task(self._catch_up_forever(), name="kefu-router-catch-up"),
        ]

    async def stop(self) -> None:
        for loop in self._loops:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        self._loops = []
        fence = self.router.fence if self._active else None
        await self._step_down("stopping")
        if fence is not None:
            with contextlib.suppress(Exception):
                await self.bus.handle(
                    ReleaseRouterLease(fence.partition, fence.holder, fence.token), SYSTEM_ACTOR
                )

    async def _run(self) -> None:
        while True:
            try:
                await self.turn()
            except Exception:
                log.exception("router lease turn failed", partition=self.partition)
            await asyncio.sleep(self.lease_s / 3)

    async def _catch_up_forever(self) -> None:
        while True:
            await asyncio.sleep(self.lease_s)
            if self.active:
                try:
                    await self.catch_up()
                except Exception:
                    log.exception("routing catch-up failed", partition=self.partition)

    async def turn(self) -> None:
        """One round: renew or acquire the lease, start or stop the engine."""
        now = self.bus.clock.now()
        try:
            lease = await self.bus.handle(
                AcquireRouterLease(self.partition, self.holder, self.lease_s), SYSTEM_ACTOR
            )
        except Exception as exc:
            log.warning("router lease not renewed", partition=self.partition, error=type(exc).__name__)
            if self.lease is not None and self.lease.expires_at <= now:
                await self._step_down("lease ran out")
            return
        if lease is None:
            if self.active:
                await self._step_down("lease taken by another router")
            return
        fence = self.router.fence
        self.lease = lease
        if not self._active or fence is None or fence.token != lease.token:
            await self._step_down("new term")
            self.router.fence = Fence(self.partition, self.holder, lease.token)
            self._active = True
            await self.router.start()
            await self.on_gain()
            self.gained_at = self.bus.clock.now()
            log.warning("router active", partition=self.partition, holder=self.holder, token=lease.token)

    async def _step_down(self, why: str) -> None:
        if not self._active:
            return
        log.warning("router standing by", partition=self.partition, holder=self.holder, reason=why)
        # The router keeps its last token: whatever it still tries to write is refused by the token.
        self._active = False
        await self.on_loss()
        await self.router.stop()

    async def catch_up(self) -> None:
        """Rebuild if the database's live tasks of this partition differ from the engine's in the same way
        at two checks in a row (a command that never arrived: sent while no router held the lease, or lost
        with a connection); a difference seen once may be a command still on its way."""
        async with self.bus.uow_factory() as uow:
            live = {t.id for t in await uow.tasks.live() if self.router.routes(t.queue_id)}
        missing = live ^ self.router.known_tasks()
        lasting, self._missing = missing & self._missing, missing
        if lasting:
            log.warning("routing engine out of step with the database; rebuilding", partition=self.partition,
                        tasks=len(lasting))  # fmt: skip
            self._missing = set()
            await self.bus.handle(RebuildRouting(), SYSTEM_ACTOR)
