"""Two ``kefu worker`` processes on one PostgreSQL deliver each due callback exactly once, even when one dies.

The workers are the installed console script, as in production. Each claims small batches often, so the two
really compete for the same rows; one is killed with SIGKILL mid-run, and its leased rows must be delivered
by the survivor after the (short) lease expires — once, never twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio
from sqlalchemy import text

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.care import commands as care_commands
from kefu.domain import commands as c
from kefu.domain.users import SYSTEM_ACTOR
from tests.conftest import Database, _pg_schema, require_service, settings_for
from tests.e2e.test_server_process import hermetic_env, kefu_executable

CALLBACKS = 120  # two dozen claims of five, on both sides of the kill
WAIT_S = 120.0  # generous bound on waiting for the workers; never part of an assertion


@pytest_asyncio.fixture
async def pg() -> AsyncIterator[Database]:
    """A PostgreSQL schema of its own (dropped afterwards)."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    from tests.conftest import PG_URL  # noqa: PLC0415 - the URL the conftest resolved

    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _pg_schema("create", schema)
    try:
        yield Database("postgresql", PG_URL, schema)
    finally:
        await _pg_schema("drop", schema)


@pytest_asyncio.fixture
async def kefu_pg(pg: Database) -> AsyncIterator[Kefu]:
    """A migrated kefu without routing or scheduler: it only schedules callbacks and reads the results."""
    k = await bootstrap(
        settings_for(pg), routing=False, hasher=Argon2Hasher(fast=True), publisher=InProcessBus()
    )
    try:
        yield k
    finally:
        await k.close()


class Worker:
    def __init__(self, name: str, database: Database, workdir: Path) -> None:
        env = hermetic_env(
            database, KEFU_SCHEDULER_POLL_S="0.05", KEFU_SCHEDULER_BATCH="5", KEFU_SCHEDULER_LEASE_S="2"
        )
        self.log = workdir / f"{name}.log"
        self._out = self.log.open("wb")
        self.process = subprocess.Popen(
            [kefu_executable(), "worker", "--name", name],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    async def ready(self) -> None:
        for _ in range(int(WAIT_S / 0.1)):
            if "ready" in self.log.read_text(encoding="utf-8", errors="replace"):
                return
            assert self.process.poll() is None, self.log.read_text(encoding="utf-8", errors="replace")
            await asyncio.sleep(0.1)
        raise AssertionError(f"worker did not start: {self.log.read_text(encoding='utf-8')}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
        self.process.wait(timeout=30)
        self._out.close()


async def _count(kefu: Kefu, sql: str) -> int:
    async with kefu.engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def test_two_workers_deliver_every_callback_exactly_once_even_when_one_is_killed(
    kefu_pg: Kefu, pg: Database, tmp_path: Path
) -> None:
    """120 due callbacks, two competing workers, one SIGKILLed mid-run: each callback has exactly one task."""
    customer = await kefu_pg.bus.handle(
        c.CreateCustomer("exactly-once", "客户", phone="13800000000"), SYSTEM_ACTOR
    )
    a, b = Worker("worker-a", pg, tmp_path), Worker("worker-b", pg, tmp_path)
    try:
        await a.ready()
        await b.ready()
        now = datetime.now(UTC)
        for i in range(CALLBACKS):
            cmd = care_commands.ScheduleCallback(customer.id, f"回电 {i}", now, now + timedelta(hours=2))
            await kefu_pg.bus.handle(cmd, SYSTEM_ACTOR)
        due_sql = "SELECT count(*) FROM callbacks WHERE state = 'due'"
        for _ in range(int(WAIT_S / 0.05)):
            if await _count(kefu_pg, due_sql) >= CALLBACKS // 3:
                break
            await asyncio.sleep(0.05)
        a.stop(signal.SIGKILL)  # mid-run: whatever it had leased must still be delivered, once
        for _ in range(int(WAIT_S / 0.1)):
            if await _count(kefu_pg, due_sql) == CALLBACKS:
                break
            await asyncio.sleep(0.1)
    finally:
        a.stop(signal.SIGKILL)
        b.stop()
    assert await _count(kefu_pg, due_sql) == CALLBACKS
    async with kefu_pg.engine.connect() as conn:
        tasks = Counter(
            (await conn.execute(text("SELECT subject_id FROM tasks WHERE kind = 'callback'"))).scalars().all()
        )
        due_audits = (
            await conn.execute(
                text("SELECT subject_id, detail FROM audit_log WHERE action = 'callback.due' ORDER BY id")
            )
        ).all()
    assert len(tasks) == CALLBACKS
    assert set(tasks.values()) == {1}
    assert Counter(subject for subject, _ in due_audits) == tasks
    by_worker = Counter((d if isinstance(d, dict) else {}).get("worker") for _, d in due_audits)
    assert set(by_worker) <= {"worker-a", "worker-b"}
    assert by_worker["worker-a"] > 0
    assert by_worker["worker-b"] > 0
    assert "Traceback" not in (tmp_path / "worker-b.log").read_text(encoding="utf-8")
