"""The hold keeper: a periodic job in ``kefu serve`` that settles expired holds, re-offers due cases and
sends failed family alerts again.

It only reads which cases and alerts are due and issues one command for each (``SettleExpiredHold``,
``RecontactCase``, ``RetryFamilyAlert``); the handlers claim their rows with a conditional update, so any
number of processes may run the keeper and no case is ever settled or re-offered twice.
"""

from __future__ import annotations

import structlog

from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.messagebus import MessageBus
from kefu.services.periodic import PeriodicJob
from kefu.services.screening.cases import RecontactCase, RetryFamilyAlert, SettleExpiredHold

log = structlog.get_logger("kefu.holds")

BATCH = 100


class HoldKeeper(PeriodicJob):
    name = "kefu-hold-keeper"

    def __init__(self, bus: MessageBus, interval_s: float) -> None:
        super().__init__(interval_s)
        self.bus = bus

    async def round(self) -> dict[str, int]:
        return await self.tick()

    async def tick(self) -> dict[str, int]:
        """One round: settle every expired hold, re-offer every case whose next contact is due, and resend
        every family alert whose retry is due."""
        settled = recontacted = retried = 0
        now = self.bus.clock.now()
        async with self.bus.uow_factory() as uow:
            expired = await uow.cases.expired_holds(now, BATCH)
            due = await uow.cases.due_contacts(now, BATCH)
            alerts = await uow.cases.alerts_due(now, BATCH)
        for case_id in expired:
            settled += await self.bus.handle(SettleExpiredHold(case_id), SYSTEM_ACTOR)
        for case_id, _due_at in due:
            recontacted += await self.bus.handle(RecontactCase(case_id), SYSTEM_ACTOR)
        for alert_id in alerts:
            retried += await self.bus.handle(RetryFamilyAlert(alert_id), SYSTEM_ACTOR)
        return {"settled": settled, "recontacted": recontacted, "retried": retried}
