"""``kefu worker --once`` delivers what is due and exits; running it again delivers nothing more."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import bootstrap
from kefu.care import commands as care_commands
from kefu.domain import commands as c
from kefu.domain.users import SYSTEM_ACTOR
from tests.conftest import Database, settings_for
from tests.e2e.test_server_process import hermetic_env, kefu_executable


def _worker_once(database: Database, name: str) -> str:
    return subprocess.run(
        [kefu_executable(), "worker", "--once", "--name", name],
        env=hermetic_env(database),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


async def test_worker_once_delivers_due_callbacks_exactly_once(database: Database) -> None:
    """Two runs of the worker on one database: the first opens one task per due callback, the second none."""
    k = await bootstrap(
        settings_for(database), routing=False, hasher=Argon2Hasher(fast=True), publisher=InProcessBus()
    )
    try:
        customer = await k.bus.handle(c.CreateCustomer("once-1", "客户", phone="13800000000"), SYSTEM_ACTOR)
        now = datetime.now(UTC)
        due = [
            await k.bus.handle(
                care_commands.ScheduleCallback(customer.id, "回电", now, now + timedelta(hours=1)),
                SYSTEM_ACTOR,
            )
            for _ in range(3)
        ]
        later = await k.bus.handle(
            care_commands.ScheduleCallback(
                customer.id, "明天回电", now + timedelta(days=1), now + timedelta(days=1, hours=1)
            ),
            SYSTEM_ACTOR,
        )
        outputs = [await asyncio.to_thread(_worker_once, database, f"once-{i}") for i in range(2)]
        assert "3 callbacks claimed" in outputs[0]
        assert "0 callbacks claimed" in outputs[1]
        async with k.bus.uow_factory() as uow:
            states = {r.id: str(r.callback.state) for r in await uow.callbacks.page(None, 10)}
            tasks = [await uow.tasks.open_for_subject(r.id) for r in due]
        assert states == {**{r.id: "due" for r in due}, later.id: "scheduled"}
        assert all(t is not None and t.kind == "callback" for t in tasks)
    finally:
        await k.close()
