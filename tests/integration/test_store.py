"""The store on real SQLite and PostgreSQL: repositories, unit of work, migrations, audit log."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.store.engine import MIGRATIONS, create_engine, current_revision, upgrade
from kefu.bootstrap import Kefu
from kefu.domain import commands as c
from kefu.domain.customers import Customer, TrustedContact
from kefu.domain.errors import Conflict, InvalidInput
from kefu.domain.users import SYSTEM_ACTOR
from tests.conftest import Database

T = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)


@pytest.mark.unmigrated
async def test_migrations_are_idempotent_and_seed_the_sites(database: Database) -> None:
    """Upgrading twice is harmless, reaches the head revision, seeds the six bases and default queues."""
    engine = create_engine(database.url, schema=database.schema)
    try:
        await upgrade(engine)
        await upgrade(engine)
        heads = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
        assert await current_revision(engine) in heads
        async with engine.connect() as conn:
            applied = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            count = (await conn.execute(text("SELECT count(*) FROM sites"))).scalar_one()
            queues = (await conn.execute(text("SELECT id FROM queues ORDER BY id"))).scalars().all()
        assert set(applied) == heads  # every branch of revisions applied, joined in one head
        assert count == 6
        assert queues == ["anti_fraud", "elderly_care", "games", "payments", "social"]
    finally:
        await engine.dispose()


async def test_customer_round_trip_keeps_every_field(kefu: Kefu) -> None:
    """Dates, aware datetimes, booleans and the trusted contact come back exactly as saved."""
    customer = Customer(
        id="01900000-0000-7000-8000-000000000001",
        external_id="wx-42",
        name="王秀英",
        language="zh",
        created_at=T,
        updated_at=T,
        phone="13812345678",
        birth_date=date(1944, 2, 29),
        vulnerable=True,
        trusted_contact=TrustedContact("李娜", "13900001111", "女儿"),
        home_site="chongqing",
    )
    async with kefu.bus.uow_factory() as uow:
        await uow.customers.add(customer)
        await uow.commit()
    async with kefu.bus.uow_factory() as uow:
        loaded = await uow.customers.get(customer.id)
        by_external = await uow.customers.by_external_id("wx-42")
    assert loaded == customer
    assert by_external == customer
    assert loaded is not None
    assert loaded.created_at.tzinfo is not None


async def test_leaving_without_commit_rolls_back(kefu: Kefu) -> None:
    """A unit of work that does not commit leaves no trace."""
    async with kefu.bus.uow_factory() as uow:
        await uow.customers.add(Customer("01900000-0000-7000-8000-000000000002", "gone", "x", "en", T, T))
    async with kefu.bus.uow_factory() as uow:
        assert await uow.customers.by_external_id("gone") is None


async def test_events_leave_only_after_commit(kefu: Kefu) -> None:
    """A command that fails publishes nothing; one that succeeds publishes exactly its events."""
    bus = kefu.publisher
    assert isinstance(bus, InProcessBus)
    with pytest.raises(InvalidInput):
        await kefu.bus.handle(c.CreateCustomer("e1", "x", home_site="atlantis"), SYSTEM_ACTOR)
    assert list(bus.published) == []
    created = await kefu.bus.handle(c.CreateCustomer("e1", "x"), SYSTEM_ACTOR)
    assert [(e.name, e.payload()["customer_id"]) for e in bus.published] == [("customer.created", created.id)]


async def test_two_racing_creates_with_one_external_id_yield_one_customer(kefu: Kefu) -> None:
    """Concurrent registrations of one external_id: exactly one succeeds, the others get a conflict."""
    results = await asyncio.gather(
        *(kefu.bus.handle(c.CreateCustomer("same", f"n{i}"), SYSTEM_ACTOR) for i in range(5)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Customer) for r in results) == 1
    assert all(isinstance(r, Customer | Conflict) for r in results), results
    async with kefu.bus.uow_factory() as uow:
        page = await uow.customers.page(None, 10)
    assert [x.external_id for x in page] == ["same"]


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"]
)
async def test_the_audit_log_is_append_only_in_the_database(kefu: Kefu, statement: str) -> None:
    """Even raw SQL cannot rewrite or delete audit entries."""
    await kefu.bus.handle(c.CreateCustomer("audited", "x"), SYSTEM_ACTOR)
    with pytest.raises(DBAPIError, match="append-only"):
        async with kefu.engine.begin() as conn:
            await conn.execute(text(statement))
    async with kefu.bus.uow_factory() as uow:
        customer = await uow.customers.by_external_id("audited")
        assert customer is not None
        entries = await uow.audit.for_subject("customer", customer.id)
    assert [e.actor for e in entries] == ["system"]


async def test_conversation_pages_filter_and_order_by_id(kefu: Kefu) -> None:
    """Filters combine, and pages come back in creation order using the id as cursor."""
    customer = await kefu.bus.handle(c.CreateCustomer("pager", "x"), SYSTEM_ACTOR)
    made = [
        await kefu.bus.handle(c.OpenConversation(customer.id, line, "chat", text="hi"), SYSTEM_ACTOR)
        for line in ("social", "games", "social", "social")
    ]
    async with kefu.bus.uow_factory() as uow:
        social = await uow.conversations.page(None, 10, queue="social")
        after_first = await uow.conversations.page(made[0].id, 10, queue="social")
        loaded = await uow.conversations.get(made[0].id)
    assert [x.id for x in social] == [made[0].id, made[2].id, made[3].id]
    assert [x.id for x in after_first] == [made[2].id, made[3].id]
    assert loaded is not None
    assert [m.body for m in loaded.messages] == ["hi"]


async def test_a_stale_write_is_a_conflict_not_a_lost_update(kefu: Kefu) -> None:
    """Two units of work change one conversation from the same read: the second commit is refused."""
    customer = await kefu.bus.handle(c.CreateCustomer("stale", "x"), SYSTEM_ACTOR)
    conv = await kefu.bus.handle(c.OpenConversation(customer.id, "social", "chat"), SYSTEM_ACTOR)
    async with kefu.bus.uow_factory() as first, kefu.bus.uow_factory() as second:
        a = await first.conversations.get(conv.id)
        b = await second.conversations.get(conv.id)
        assert a is not None
        assert b is not None
        a.abandon(T)
        await first.conversations.save(a)
        await first.commit()
        b.assign("someone", T)
        await second.conversations.save(b)
        with pytest.raises(Conflict):
            await second.commit()
    async with kefu.bus.uow_factory() as uow:
        final = await uow.conversations.get(conv.id)
    assert final is not None
    assert final.status == "abandoned"
