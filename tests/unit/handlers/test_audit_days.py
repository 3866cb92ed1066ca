"""Daily audit checkpoints (CheckpointAuditDay and the periodic AuditCheckpointer): a finished day is signed
once, as the head stood when the day ended on the centre's calendar (Asia/Shanghai), dated that instant;
a day not yet over is refused; a day already covered by a later checkpoint is left alone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kefu.domain import commands as c
from kefu.domain import events as ev
from kefu.domain.errors import Forbidden, InvalidInput
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.periodic import AuditCheckpointer
from kefu.services.shared import audit
from tests.unit.handlers.conftest import Centre

# 2026-01-05 ends in Beijing at 16:00 UTC. START is 02:00 UTC (10:00 Beijing) on 2026-01-05.
DAY = date(2026, 1, 5)
END = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)


async def test_a_finished_day_is_signed_once_as_it_stood_at_midnight(centre: Centre) -> None:
    """Two entries that day, one after its midnight: the checkpoint covers the two, dated midnight; again,
    or from the periodic job, nothing more is written; verify accepts it."""
    await centre.customer()
    await centre.customer("ext-2")
    with pytest.raises(InvalidInput):
        await centre.handle(c.CheckpointAuditDay(DAY))  # not over yet
    centre.clock.set(END)
    await centre.customer("ext-3")  # the next day's first entry
    centre.world.take_events()
    made = await centre.handle(c.CheckpointAuditDay(DAY))
    assert made is not None and (made.seq, made.at) == (2, END)
    centre.world.assert_events(ev.AuditCheckpointed(2, made.hash, END))
    assert await centre.handle(c.CheckpointAuditDay(DAY)) is None
    centre.clock.advance(3600)
    assert await AuditCheckpointer(centre.bus, 60).round() is None  # yesterday is done
    report = await audit.verify(centre.bus.context(SYSTEM_ACTOR))
    assert (report.problems, report.entries, report.checkpoints) == ([], 3, 1)


async def test_the_periodic_job_signs_yesterday_and_a_later_checkpoint_covers_a_day(centre: Centre) -> None:
    """The job signs the day that just ended; a day whose entries a later checkpoint covers gets none; a
    day with no entry at all gets none; only admins (and the system) may sign."""
    await centre.customer()
    centre.clock.set(END.replace(hour=17))
    made = await AuditCheckpointer(centre.bus, 60).round()
    assert made is not None and (made.seq, made.at) == (1, END)
    await centre.customer("ext-2")
    assert await centre.handle(c.CheckpointAudit()) is not None  # an operator's, now
    centre.clock.set(datetime(2026, 1, 7, 17, 0, tzinfo=UTC))
    assert await centre.handle(c.CheckpointAuditDay(date(2026, 1, 6))) is None  # covered already
    assert await centre.handle(c.CheckpointAuditDay(date(2025, 12, 1))) is None  # nothing before it
    sup = await centre.actor("sup", "supervisor")
    with pytest.raises(Forbidden):
        await centre.handle(c.CheckpointAuditDay(date(2026, 1, 6)), sup)
