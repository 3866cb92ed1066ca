"""The NATS JetStream publisher against the local NATS: committed events arrive on the stream as JSON.

Each test uses a stream and subject prefix of its own and deletes the stream afterwards, so parallel runs
never see each other's events. The bootstrap test uses kefu's real stream and finds its own event by id.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import pytest
import pytest_asyncio
from nats.js.errors import NotFoundError

from kefu.adapters.bus.nats import STREAM, SUBJECT_PREFIX, NatsPublisher
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.commands import CreateCustomer, OpenConversation
from kefu.domain.errors import AlreadyExists, Unavailable
from kefu.domain.events import CustomerCreated
from kefu.domain.users import SYSTEM_ACTOR
from kefu.entrypoints.api.app import create_app
from tests.conftest import Database, settings_for


@dataclass(frozen=True)
class StreamMessage:
    subject: str
    body: dict[str, Any]
    headers: dict[str, str]


async def read_stream(url: str, stream: str, after_seq: int = 0) -> list[StreamMessage]:
    """Every message in ``stream`` with a sequence number above ``after_seq``, in order."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        last = (await js.stream_info(stream)).state.last_seq
        out = []
        for seq in range(after_seq + 1, last + 1):
            try:
                msg = await js.get_msg(stream, seq)
            except NotFoundError:  # removed by the stream's age limit
                continue
            out.append(
                StreamMessage(msg.subject or "", json.loads(msg.data or b"{}"), dict(msg.headers or {}))
            )
        return out
    finally:
        await nc.close()


async def last_seq(url: str, stream: str) -> int:
    nc = await nats.connect(url)
    try:
        return int((await nc.jetstream().stream_info(stream)).state.last_seq)
    finally:
        await nc.close()


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
async def publisher(isolated: Isolated) -> AsyncIterator[NatsPublisher]:
    nats_publisher = NatsPublisher(isolated.url, stream=isolated.stream, subject_prefix=isolated.prefix)
    await nats_publisher.connect()
    try:
        yield nats_publisher
    finally:
        await nats_publisher.close()


@pytest_asyncio.fixture
async def kefu_on_nats(sqlite_database: Database, publisher: NatsPublisher) -> AsyncIterator[Kefu]:
    instance = await bootstrap(
        settings_for(sqlite_database), hasher=Argon2Hasher(fast=True), publisher=publisher
    )
    try:
        yield instance
    finally:
        await instance.close()


async def test_committed_events_arrive_on_their_subjects_as_json(
    kefu_on_nats: Kefu, isolated: Isolated
) -> None:
    """Opening a conversation publishes exactly its events, in causal order, on <prefix>.<name> as JSON."""
    customer = await kefu_on_nats.bus.handle(CreateCustomer("nats-1", "王秀英", language="zh"), SYSTEM_ACTOR)
    conversation = await kefu_on_nats.bus.handle(
        OpenConversation(customer.id, "payments", "chat", text="有人冒充客服让我转账"), SYSTEM_ACTOR
    )
    messages = await read_stream(isolated.url, isolated.stream)
    assert [m.subject for m in messages] == [
        f"{isolated.prefix}.customer.created",
        f"{isolated.prefix}.conversation.created",
        f"{isolated.prefix}.message.posted",
        f"{isolated.prefix}.task.opened",
        f"{isolated.prefix}.task.queued",
    ]
    assert [m.body["name"] for m in messages] == [
        "customer.created",
        "conversation.created",
        "message.posted",
        "task.opened",
        "task.queued",
    ]
    created, opened, posted = (m.body["data"] for m in messages[:3])
    assert created["customer_id"] == customer.id
    assert opened["conversation_id"] == conversation.id
    assert opened["customer_id"] == customer.id
    assert opened["business_line"] == "payments"
    assert opened["channel"] == "chat"
    assert posted["conversation_id"] == conversation.id
    assert posted["message_id"] == conversation.messages[0].id
    assert posted["sender"] == "customer"
    assert datetime.fromisoformat(posted["at"]).tzinfo is not None
    assert all(m.headers.get("Nats-Msg-Id") for m in messages)


async def test_a_failed_command_publishes_nothing(kefu_on_nats: Kefu, isolated: Isolated) -> None:
    """A command that fails (duplicate external_id) rolls back and sends no event to the stream."""
    await kefu_on_nats.bus.handle(CreateCustomer("nats-dup", "李娜"), SYSTEM_ACTOR)
    with pytest.raises(AlreadyExists):
        await kefu_on_nats.bus.handle(CreateCustomer("nats-dup", "李娜"), SYSTEM_ACTOR)
    messages = await read_stream(isolated.url, isolated.stream)
    assert [m.body["name"] for m in messages] == ["customer.created"]


async def test_publishing_the_same_event_twice_stores_it_once(
    publisher: NatsPublisher, isolated: Isolated
) -> None:
    """The message id lets JetStream drop a repeated publish of the same event (e.g. a retry)."""
    event = CustomerCreated("c-1", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    await publisher.publish([event])
    await publisher.publish([event])
    messages = await read_stream(isolated.url, isolated.stream)
    assert len(messages) == 1
    assert messages[0].body == {"name": "customer.created", "data": event.payload()}


async def test_health_follows_the_connection(isolated: Isolated) -> None:
    """The publisher is healthy only while connected, and refuses to publish before it connects."""
    nats_publisher = NatsPublisher(isolated.url, stream=isolated.stream, subject_prefix=isolated.prefix)
    assert not await nats_publisher.healthy()
    with pytest.raises(Unavailable):
        await nats_publisher.publish([])
    await nats_publisher.connect()
    assert await nats_publisher.healthy()
    await nats_publisher.close()
    assert not await nats_publisher.healthy()


async def test_reconnecting_to_an_existing_stream_keeps_its_messages(
    publisher: NatsPublisher, isolated: Isolated
) -> None:
    """A second publisher (a restarted node) binds to the existing stream instead of failing or wiping it."""
    event = CustomerCreated("c-2", datetime(2026, 1, 2, tzinfo=UTC))
    await publisher.publish([event])
    again = NatsPublisher(isolated.url, stream=isolated.stream, subject_prefix=isolated.prefix)
    await again.connect()
    try:
        assert await again.healthy()
    finally:
        await again.close()
    assert len(await read_stream(isolated.url, isolated.stream)) == 1


async def test_an_unreachable_nats_is_a_clear_error_not_a_hang(unused_tcp_port: int) -> None:
    """Connecting to a closed port raises Unavailable (kefu serve then exits with a clear error)."""
    nats_publisher = NatsPublisher(f"nats://127.0.0.1:{unused_tcp_port}")
    try:
        # The guard only stops a hang; connect gives up on its own after a few seconds.
        with pytest.raises(Unavailable):
            await asyncio.wait_for(nats_publisher.connect(), timeout=10)
    finally:
        await nats_publisher.close()


async def test_bootstrap_with_nats_url_publishes_to_the_kefu_stream(
    sqlite_database: Database, nats_url: str
) -> None:
    """With KEFU_NATS_URL set, a customer created through kefu.bus shows up on the kefu event stream."""
    kefu = await bootstrap(settings_for(sqlite_database, nats_url=nats_url), hasher=Argon2Hasher(fast=True))
    try:
        before = await last_seq(nats_url, STREAM)
        external_id = f"nats-boot-{uuid.uuid4().hex}"
        customer = await kefu.bus.handle(CreateCustomer(external_id, "赵敏"), SYSTEM_ACTOR)
        ours = [
            m
            for m in await read_stream(nats_url, STREAM, after_seq=before)
            if m.body.get("data", {}).get("customer_id") == customer.id
        ]
        assert [m.subject for m in ours] == [f"{SUBJECT_PREFIX}.customer.created"]
        assert ours[0].body["name"] == "customer.created"
        # The in-process bus still gets the event too, for live views in this process.
        assert any(getattr(e, "customer_id", None) == customer.id for e in kefu.local_bus.published)

        transport = httpx.ASGITransport(app=create_app(kefu=kefu))
        async with httpx.AsyncClient(transport=transport, base_url="http://kefu.test") as client:
            health = await client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["checks"]["bus"] == "ok"
        assert health.json()["status"] == "ok"
    finally:
        await kefu.close()
