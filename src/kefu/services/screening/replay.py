"""Memory that survives a restart: in-memory counters are rebuilt from stored screenings on start.

Each stored screening keeps the payment's own time (``paid_at``), so replaying the screenings of the
counters' longest window (7 days, plus an hour for payments that reached kefu late) in screening order puts
every payer's outflow, every payee's recent payers and every payer-payee pair back as they were: the next
payment gets the same features, decision and score as without the restart. Stops count again unless their
case was released. What lies beyond the window is not replayed: a payee first seen more than 7 days ago
looks younger after a restart (though never younger than a week), and a payer-payee pair last used more
than 7 days ago counts as new again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from kefu.screening import InMemoryCounterStore, Payee, Payment
from kefu.screening.counters import WEEK_MS
from kefu.services.ports import UnitOfWorkFactory

WINDOW = timedelta(milliseconds=WEEK_MS) + timedelta(hours=1)
PAGE = 5_000


@dataclass(frozen=True, slots=True)
class Replayed:
    screenings: int
    stops: int
    seconds: float


async def replay_counters(
    uow_factory: UnitOfWorkFactory,
    counters: InMemoryCounterStore,
    now: datetime,
    window: timedelta = WINDOW,
    page: int = PAGE,
) -> Replayed:
    """Feed the screenings of the last ``window`` into ``counters``, oldest first, a page at a time."""
    started = time.perf_counter()
    since = now - window
    async with uow_factory() as uow:
        cleared = await uow.screenings.cleared_stops(since)
    seen = stops = 0
    after: tuple[datetime, str] | None = None
    while True:
        async with uow_factory() as uow:
            records = await uow.screenings.replay(since, after, page)
        for r in records:
            payment = Payment(
                r.payment_id,
                r.payer_id,
                Payee(r.payee_account, ""),
                r.amount,
                r.currency,
                "transfer",
                r.paid_at or r.screened_at,
            )
            counters.record(payment)
            if r.decision in ("hold", "block") and r.payment_id not in cleared:
                counters.stop(payment)
                stops += 1
        seen += len(records)
        if len(records) < page:
            break
        last = records[-1]
        after = (last.screened_at, last.payment_id)
    return Replayed(seen, stops, time.perf_counter() - started)
