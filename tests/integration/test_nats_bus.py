"""The NATS JetStream outbox publisher against the local NATS: records arrive on their subjects as JSON.

Each test uses a stream and subject prefix of its own and deletes the stream afterwards, so parallel runs
never see each other's events. The bootstrap test uses kefu's real stream and finds its own event by id.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import nats.errors
import pytest
import pytest_asyncio
from nats.js.errors import NotFoundError

from kefu.adapters.bus.nats import STREAM, NatsOutboxPublisher
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.commands import CreateCustomer
from kefu.domain.errors import Unavailable
from kefu.domain.ids import new_id
from kefu.domain.users import SYSTEM_ACTOR
from kefu.entrypoints.api.app import create_app
from kefu.services.ports import OutboxRecord
from tests.conftest import Database, settings_for
from tests.nats_server import free_port, stream_bodies


@dataclass(frozen=True)
class Isolated:
    url: str
    stream: str
    prefix: str


@pytest_asyncio.fixture
async def isolated(nats_url: str) -> AsyncIterator[Isolated]:
    """A stream name and subject prefix unique to this test; the stream is deleted afterwards."""
    tag = uuid.uuid4().hex[:12]
    yield Isolated(nats_url, f"KEFU_TEST_{tag.upper()}", f"kefu_test_{tag}.events")
    nc = await nats.connect(nats_url)
    try:
        try:
            await nc.jetstream().delete_stream(f"KEFU_TEST_{tag.upper()}")
        except NotFoundError:
            pass
    finally:
        await nc.close()


@pytest_asyncio.fixture
async def publisher(isolated: Isolated) -> AsyncIterator[NatsOutboxPublisher]:
    nats_publisher = NatsOutboxPublisher(isolated.url, stream=isolated.stream, subject_prefix=isolated.prefix)
    await nats_publisher.connect()
    try:
        yield nats_publisher
    finally:
        await nats_publisher.close()


def record(name: str = "customer.created", **data: object) -> OutboxRecord:
    return OutboxRecord(
        new_id(), name, {"customer_id": "c-1", **data}, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )


async def test_records_arrive_on_their_subjects_with_their_id(
    publisher: NatsOutboxPublisher, isolated: Isolated
) -> None:
    """Each record goes to <prefix>.<name> as {id, name, data, created_at}, with Nats-Msg-Id = its id."""
    first, second = record(), record("conversation.created", conversation_id="v-1", text="有人冒充客服")
    await publisher.publish([first, second])
    messages = await stream_bodies(isolated.url, isolated.stream)
    assert [body for body, _ in messages] == [
        {
            "id": first.id,
            "name": "customer.created",
            "data": first.payload,
            "created_at": "2026-01-02T03:04:05+00:00",
        },
        {
            "id": second.id,
            "name": "conversation.created",
            "data": second.payload,
            "created_at": "2026-01-02T03:04:05+00:00",
        },
    ]
    assert [headers["Nats-Msg-Id"] for _, headers in messages] == [first.id, second.id]


async def test_publishing_the_same_record_twice_stores_it_once(
    publisher: NatsOutboxPublisher, isolated: Isolated
) -> None:
    """The message id lets JetStream drop a repeated publish of the same record (a relay's retry)."""
    again = record()
    await publisher.publish([again])
    await publisher.publish([again, record()])
    messages = await stream_bodies(isolated.url, isolated.stream)
    assert [body["id"] for body, _ in messages].count(again.id) == 1
    assert len(messages) == 2


async def test_the_stream_keeps_repeats_out_for_the_configured_window(
    publisher: NatsOutboxPublisher, isolated: Isolated
) -> None:
    """The stream's duplicate window is the configured one (an hour by default), not JetStream's 2 minutes."""
    await publisher.publish([record()])
    nc = await nats.connect(isolated.url)
    try:
        info = await nc.jetstream().stream_info(isolated.stream)
    finally:
        await nc.close()
    assert info.config.duplicate_window == 3600


async def test_health_follows_the_connection(isolated: Isolated) -> None:
    """The publisher is healthy only while connected, and refuses to publish before it connects."""
    nats_publisher = NatsOutboxPublisher(isolated.url, stream=isolated.stream, subject_prefix=isolated.prefix)
    assert not await nats_publisher.healthy()
    with pytest.raises(Unavailable):
        await nats_publisher.publish([record()])
    await nats_publisher.connect()
    assert await nats_publisher.healthy()
    await nats_publisher.close()
    assert not await nats_publisher.healthy()


async def test_reconnecting_to_an_existing_stream_keeps_its_messages(
    publisher: NatsOutboxPublisher, isolated: Isolated
) -> None:
    """A second publisher (a restarted node) binds to the existing stream instead of failing or wiping it."""
    await publisher.publish([record()])
    again = NatsOutboxPublisher(isolated.url, stream=isolated.stream, subject_prefix=isolated.prefix)
    await again.connect()
    try:
        await again.publish([record()])
    finally:
        await again.close()
    assert len(await stream_bodies(isolated.url, isolated.stream)) == 2


async def test_an_unreachable_nats_does_not_hold_up_start_or_publish() -> None:
    """With nothing listening, start() returns at once and publish fails at once: nothing waits for NATS."""
    nats_publisher = NatsOutboxPublisher(f"nats://127.0.0.1:{free_port()}")
    try:
        began = time.perf_counter()
        await nats_publisher.start()
        with pytest.raises(Unavailable):
            await nats_publisher.publish([record()])
        assert time.perf_counter() - began < 1.0
        assert not await nats_publisher.healthy()
        with pytest.raises(Unavailable):
            await nats_publisher.connect(timeout_s=0.5)
    finally:
        await nats_publisher.close()


async def messages_after(url: str, stream: str, after_seq: int) -> list[dict[str, Any]]:
    """The JSON bodies of ``stream``'s messages with a sequence number above ``after_seq``."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        last = (await js.stream_info(stream)).state.last_seq
        out = []
        for seq in range(after_seq + 1, last + 1):
            try:
                out.append(json.loads((await js.get_msg(stream, seq)).data or b"{}"))
            except NotFoundError:  # removed by the stream's age limit
                continue
        return out
    finally:
        await nc.close()


async def last_seq(url: str, stream: str) -> int:
    nc = await nats.connect(url)
    try:
        try:
            return int((await nc.jetstream().stream_info(stream)).state.last_seq)
        except NotFoundError:
            return 0
    finally:
        await nc.close()


async def test_bootstrap_with_nats_url_relays_to_the_kefu_stream(
    sqlite_database: Database, nats_url: str
) -> None:
    """With KEFU_NATS_URL set, a customer created through kefu.bus reaches the kefu stream via the outbox."""
    kefu = await bootstrap(settings_for(sqlite_database, nats_url=nats_url), hasher=Argon2Hasher(fast=True))
    try:
        assert kefu.nats is not None
        await kefu.nats.connect()
        before = await last_seq(nats_url, STREAM)
        customer = await kefu.bus.handle(
            CreateCustomer(f"nats-boot-{uuid.uuid4().hex}", "赵敏"), SYSTEM_ACTOR
        )
        deadline = time.monotonic() + 20
        while await kefu.outbox_lag_s() != 0 or not await outbox_empty(kefu):
            assert time.monotonic() < deadline, "the relay did not publish the event"
            await asyncio.sleep(0.05)
        ours = [
            m
            for m in await messages_after(nats_url, STREAM, before)
            if m.get("data", {}).get("customer_id") == customer.id
        ]
        assert [m["name"] for m in ours] == ["customer.created"]
        # The in-process bus still gets the event too, for live views in this process.
        assert any(getattr(e, "customer_id", None) == customer.id for e in kefu.local_bus.published)

        transport = httpx.ASGITransport(app=create_app(kefu=kefu))
        async with httpx.AsyncClient(transport=transport, base_url="http://kefu.test") as client:
            health = await client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["checks"]["bus"] == "ok"
        assert health.json()["status"] == "ok"
        assert health.json()["outbox_lag_s"] == 0
    finally:
        await kefu.close()


async def outbox_empty(kefu: Kefu) -> bool:
    """Nothing unsent is left in kefu's outbox."""
    async with kefu.bus.uow_factory() as uow:
        return await uow.outbox.oldest_unsent() is None
