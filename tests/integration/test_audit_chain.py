"""The tamper-evident audit log on real SQLite and PostgreSQL: the chain, its checkpoints, the guards."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from kefu.bootstrap import Kefu
from kefu.domain import commands as c
from kefu.domain.audit import GENESIS, chained
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.shared import audit

Tamper = Callable[[AsyncConnection], Awaitable[None]]


async def _entries(kefu: Kefu, n: int) -> None:
    for i in range(n):
        await kefu.bus.handle(c.CreateCustomer(f"audited-{i}", f"客户{i}"), SYSTEM_ACTOR)


async def _as_owner(kefu: Kefu, tamper: Tamper) -> None:
    """Run ``tamper`` the way a database owner could: with the guarding triggers out of the way."""
    assert kefu.engine is not None
    async with kefu.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off
        else:
            for name in ("audit_log_no_update", "audit_log_no_delete", "audit_log_no_replace"):
                await conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        await tamper(conn)


async def _verify(kefu: Kefu) -> list[str]:
    return (await audit.verify(kefu.bus.context(SYSTEM_ACTOR))).problems


async def _rewrite(conn: AsyncConnection) -> None:
    await conn.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2"))


async def _delete(conn: AsyncConnection) -> None:
    await conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))


async def _reorder(conn: AsyncConnection) -> None:
    await conn.execute(text("UPDATE audit_log SET seq = -1 WHERE seq = 2"))
    await conn.execute(text("UPDATE audit_log SET seq = 2 WHERE seq = 3"))
    await conn.execute(text("UPDATE audit_log SET seq = 3 WHERE seq = -1"))


async def _insert(conn: AsyncConnection) -> None:
    head = (await conn.execute(text("SELECT seq, hash FROM audit_head"))).one()
    await conn.execute(
        text(
            "INSERT INTO audit_log "
            "(id, at, actor, action, subject_type, subject_id, detail, seq, prev_hash, hash) "
            "SELECT 'forged', at, actor, 'funds.saved', subject_type, subject_id, detail, :seq, :prev, :hash "
            "FROM audit_log WHERE seq = 1"
        ),
        {"seq": head.seq + 1, "prev": head.hash, "hash": "f" * 64},
    )
    await conn.execute(text("UPDATE audit_head SET seq = seq + 1"))


@pytest.mark.parametrize(
    ("tamper", "says"),
    [
        (_rewrite, "was changed after it was written"),
        (_delete, "entries missing or reordered"),
        (_reorder, "does not link to the entry before it"),
        (_insert, "was changed after it was written"),
    ],
    ids=["rewritten", "deleted", "reordered", "inserted"],
)
async def test_verify_names_each_kind_of_tampering(kefu: Kefu, tamper: Tamper, says: str) -> None:
    """A rewritten, deleted, reordered or inserted entry is reported; the untouched log is intact."""
    await _entries(kefu, 4)
    assert await _verify(kefu) == []
    await _as_owner(kefu, tamper)
    problems = await _verify(kefu)
    assert any(says in p for p in problems), problems


async def test_a_chain_recomputed_after_tampering_disagrees_with_the_signed_checkpoint(kefu: Kefu) -> None:
    """Rewriting an entry and every hash after it (and the head) is caught by the checkpoint signed before."""
    await _entries(kefu, 3)
    made = await kefu.bus.handle(c.CheckpointAudit(), SYSTEM_ACTOR)
    assert made is not None and made.seq == 3
    assert await kefu.bus.handle(c.CheckpointAudit(), SYSTEM_ACTOR) is None  # nothing new since

    async with kefu.bus.uow_factory() as uow:
        entries = await uow.audit.chain(0, 100)
    forged = chained([replace(e, actor="nobody") if e.seq == 2 else e for e in entries], 0, GENESIS)

    async def recompute(conn: AsyncConnection) -> None:
        for e in forged:
            await conn.execute(
                text("UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h WHERE id = :id"),
                {"a": e.actor, "p": e.prev_hash, "h": e.hash, "id": e.id},
            )
        await conn.execute(text("UPDATE audit_head SET hash = :h"), {"h": forged[-1].hash})

    await _as_owner(kefu, recompute)
    problems = await _verify(kefu)
    assert problems == ["checkpoint at seq 3: the chain up to it was rewritten"]


async def test_concurrent_commits_extend_one_unbroken_chain(kefu: Kefu) -> None:
    """Twenty commands at once each append an entry; the chain has seq 1..20 with every link intact."""
    await asyncio.gather(
        *(kefu.bus.handle(c.CreateCustomer(f"many-{i}", "x"), SYSTEM_ACTOR) for i in range(20))
    )
    report = await audit.verify(kefu.bus.context(SYSTEM_ACTOR))
    assert report.problems == []
    assert (report.entries, report.head_seq) == (20, 20)


async def test_insert_or_replace_and_truncate_cannot_empty_or_rewrite_the_log(kefu: Kefu) -> None:
    """SQLite's INSERT OR REPLACE and PostgreSQL's TRUNCATE are refused like UPDATE and DELETE."""
    await _entries(kefu, 1)
    assert kefu.engine is not None
    statement = (
        "TRUNCATE audit_log"
        if kefu.engine.dialect.name == "postgresql"
        else "INSERT OR REPLACE INTO audit_log (id, at, actor, action, subject_type, subject_id, detail) "
        "SELECT id, at, actor, action, subject_type, subject_id, '{\"amount\": 1}' FROM audit_log"
    )
    with pytest.raises(DBAPIError, match="append-only"):
        async with kefu.engine.begin() as conn:
            await conn.execute(text(statement))
    assert await _verify(kefu) == []
    async with kefu.bus.uow_factory() as uow:
        assert len(await uow.audit.chain(0, 10)) == 1
