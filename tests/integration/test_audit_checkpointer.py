"""Signed daily audit checkpoints without cron, on SQLite and PostgreSQL: two processes' checkpointers
(two kefu instances with their own connection pools on one database) racing over the same finished day
write exactly one checkpoint, dated the day's end, and ``verify`` accepts the chain."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import bootstrap
from kefu.domain.clock import FakeClock
from kefu.domain.commands import CreateUser
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.periodic import AuditCheckpointer
from kefu.services.shared import audit
from tests.conftest import Database, settings_for

DAY_STARTS = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
DAY_ENDS = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)  # midnight in Beijing


async def test_two_workers_sign_a_finished_day_once(database: Database) -> None:
    """Entries before and after the day's end; 2 × 8 rounds at once on two instances: one checkpoint,
    covering what was written before midnight."""
    clock = FakeClock(DAY_STARTS)
    settings = settings_for(database)
    kefus = [
        await bootstrap(
            settings,
            hasher=Argon2Hasher(fast=True),
            publisher=InProcessBus(),
            clock=clock,
            routing=False,
            relay=False,
            migrate=n == 0,
        )
        for n in range(2)
    ]
    try:
        for name in ("zhao", "qian"):
            await kefus[0].bus.handle(CreateUser(name, "a-long-password", "agent"), SYSTEM_ACTOR)
        clock.set(DAY_ENDS)
        await kefus[1].bus.handle(CreateUser("sun", "a-long-password", "agent"), SYSTEM_ACTOR)
        clock.advance(120)
        jobs = [AuditCheckpointer(k.bus, 60) for k in kefus]
        made = await asyncio.gather(*(job.round() for _ in range(8) for job in jobs))
        written = [m for m in made if m is not None]
        async with kefus[0].bus.uow_factory() as uow:
            checkpoints = await uow.audit.checkpoints()
            before_midnight = await uow.audit.head_before(DAY_ENDS)
        print(f"{len(made)} rounds on 2 instances wrote {len(written)} checkpoint(s)")  # noqa: T201
        assert len(written) == 1 and checkpoints == written
        assert (checkpoints[0].seq, checkpoints[0].hash, checkpoints[0].at) == (*before_midnight, DAY_ENDS)
        report = await audit.verify(kefus[1].bus.context(SYSTEM_ACTOR))
        assert report.problems == [] and report.checkpoints == 1
    finally:
        for k in kefus:
            await k.close()
