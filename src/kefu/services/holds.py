"""The hold keeper: a periodic job in ``kefu serve`` that settles expired holds and re-offers due cases.

A hold nobody resolved within ``KEFU_HOLD_S`` is settled by policy (blocked at ``KEFU_HOLD_BLOCK_SCORE`` or
above, released below) with the outcome ``unreachable``. A case whose next contact attempt is due goes back to
routing. Both claim their rows with a conditional update, so any number of processes may run the keeper and
no case is ever settled or re-offered twice.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from kefu.domain.errors import IllegalTransition
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.handlers.cases import after_settled, settle
from kefu.services.handlers.screening import ScreeningDesk, route_case
from kefu.services.messagebus import MessageBus

log = structlog.get_logger("kefu.holds")

BATCH = 100


class HoldKeeper:
    def __init__(self, bus: MessageBus, desk: ScreeningDesk, interval_s: float) -> None:
        self.bus = bus
        self.desk = desk
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name="kefu-hold-keeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _forever(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("hold keeper round failed")
            await asyncio.sleep(self.interval_s)

    async def tick(self) -> dict[str, int]:
        """One round: settle every expired hold and re-offer every case whose next contact is due."""
        settled = recontacted = 0
        now = self.bus.clock.now()
        async with self.bus.uow_factory() as uow:
            expired = await uow.cases.expired_holds(now, BATCH)
            due = await uow.cases.due_contacts(now, BATCH)
        for case_id in expired:
            settled += await self._settle(case_id)
        for case_id, due_at in due:
            recontacted += await self._recontact(case_id, due_at)
        return {"settled": settled, "recontacted": recontacted}

    async def _settle(self, case_id: str) -> int:
        ctx = self.bus.context(SYSTEM_ACTOR)
        try:
            async with ctx.uow:
                case = await ctx.uow.cases.get(case_id, with_history=False)
                if case is None or case.status != "open":
                    return 0
                await settle(ctx, case, "unreachable", "hold expired without an outcome", "policy")
                await ctx.uow.commit()
        except IllegalTransition:
            return 0  # another process settled it first
        await self.bus.dispatch(ctx.uow.collect_events())
        await after_settled(self.desk, case)
        log.info("hold settled by policy", case_id=case_id, payment=case.payment_outcome)
        return 1

    async def _recontact(self, case_id: str, due_at: object) -> int:
        ctx = self.bus.context(SYSTEM_ACTOR)
        async with ctx.uow:
            case = await ctx.uow.cases.get(case_id, with_history=False)
            if case is None or case.next_contact_due_at is None:
                return 0
            if not await ctx.uow.cases.claim_contact(case.id, case.next_contact_due_at):
                return 0
            if await ctx.uow.tasks.open_for_subject(case.id) is None:
                customer = None if case.customer_id is None else await ctx.uow.customers.get(case.customer_id)
                care = case.elderly or (customer is not None and customer.vulnerable)
                await route_case(ctx, case, customer, care)
            await ctx.audit("case.recontact_due", "case", case.id)
            await ctx.uow.commit()
        await self.bus.dispatch(ctx.uow.collect_events())
        return 1
