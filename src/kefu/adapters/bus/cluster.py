"""NATS between the processes of a cluster: routing requests to a partition's router, and the event feed.

Routing: an API node sends each request to ``<prefix>.routing.<partition>.cmd`` and waits for the reply.
Only the router holding the partition's lease subscribes (in the queue group ``<prefix>.routers.<partition>``,
so a router that has not yet noticed it lost the lease shares the subject with the new holder rather than
doubling every request; its writes are refused by the fencing token). With no subscriber NATS answers "no
responders" at once, and the API node answers 503.

Event feed: the outbox relay publishes every committed event to ``<prefix>.events.<name>`` (JetStream);
an API node also hears them as plain NATS messages and hands them to its live streams, so every node shows
the whole centre. A repeat of an event id (a relay publishing a batch again) is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import nats
import nats.errors
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from kefu.adapters.bus.memory import InProcessBus
from kefu.domain.events import Event
from kefu.services.routing.remote import NoRouter

log = structlog.get_logger("kefu.cluster")

Handler = Callable[[bytes], Awaitable[bytes]]


def routing_subject(prefix: str, partition: str) -> str:
    return f"{prefix}.routing.{partition}.cmd"


async def _connect(url: str, name: str) -> Client:
    return await nats.connect(
        url, name=name, connect_timeout=2, reconnect_time_wait=1, max_reconnect_attempts=-1
    )


class NatsConnection:
    """One NATS connection made in the background (kefu starts with NATS down) and kept for ever."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self.nc: Client | None = None
        self._connecting: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    async def start(self) -> None:
        if self._connecting is None:
            self._connecting = asyncio.create_task(self._connect(), name=f"nats-{self.name}")

    async def _connect(self) -> None:
        while self.nc is None:
            try:
                self.nc = await _connect(self.url, self.name)
            except Exception as exc:
                log.warning("nats unreachable; retrying", url=self.url, error=type(exc).__name__)
                await asyncio.sleep(1)
        self.connected.set()

    async def close(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connecting
        if self.nc is not None:
            with contextlib.suppress(Exception):
                await self.nc.drain()
            self.nc = None


class NatsRoutingLink:
    """An API node's ``RoutingLink``: one request per routing command or question."""

    def __init__(self, connection: NatsConnection, prefix: str) -> None:
        self.connection = connection
        self.prefix = prefix

    async def request(self, partition: str, payload: bytes, timeout_s: float) -> bytes:
        nc = self.connection.nc
        if nc is None or not nc.is_connected:
            raise NoRouter("routing is unreachable (NATS is not connected); retry shortly", partition)
        try:
            reply = await nc.request(routing_subject(self.prefix, partition), payload, timeout=timeout_s)
        except nats.errors.NoRespondersError as exc:
            raise NoRouter(
                f"no router holds partition {partition!r} right now; retry shortly", partition
            ) from exc
        except (TimeoutError, nats.errors.Error) as exc:
            raise NoRouter(
                f"the router of partition {partition!r} did not answer; retry shortly", partition
            ) from exc
        return reply.data


class NatsRoutingServer:
    """A router's side: answers its partition's requests while it holds the lease (``open``/``close``)."""

    def __init__(self, connection: NatsConnection, prefix: str, partition: str) -> None:
        self.connection = connection
        self.prefix = prefix
        self.partition = partition
        self._sub: Subscription | None = None
        self._running: set[asyncio.Task[None]] = set()

    async def open(self, handler: Handler) -> None:
        await self.connection.connected.wait()
        nc = self.connection.nc
        if nc is None or self._sub is not None:
            return

        async def on_request(msg: Msg) -> None:
            async def run() -> None:
                try:
                    await msg.respond(await handler(msg.data))
                except Exception:
                    log.exception("routing request failed", partition=self.partition)

            task = asyncio.create_task(run())
            self._running.add(task)
            task.add_done_callback(self._running.discard)

        self._sub = await nc.subscribe(
            routing_subject(self.prefix, self.partition),
            queue=f"{self.prefix}.routers.{self.partition}",
            cb=on_request,
        )
        await nc.flush()

    async def close(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None


@dataclass(frozen=True, slots=True)
class RelayedEvent(Event):
    """An event committed by another process, as the outbox relay published it."""

    name: ClassVar[str] = "relayed"
    event_name: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return dict(self.data)


class NatsEventFeed:
    """Hands every event published under ``<prefix>.events.>`` to this process's live streams."""

    KEEP = 10_000  # event ids remembered to drop repeats

    def __init__(self, connection: NatsConnection, prefix: str, sink: InProcessBus) -> None:
        self.connection = connection
        self.prefix = prefix
        self.sink = sink
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._sub: Subscription | None = None
        self._starting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._starting = asyncio.create_task(self._subscribe(), name="kefu-event-feed")

    async def _subscribe(self) -> None:
        await self.connection.connected.wait()
        nc = self.connection.nc
        if nc is not None:
            self._sub = await nc.subscribe(f"{self.prefix}.events.>", cb=self._on_event)

    async def _on_event(self, msg: Msg) -> None:
        try:
            body = json.loads(msg.data)
            ident, name, data = str(body["id"]), str(body["name"]), dict(body["data"])
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable event on the feed", subject=msg.subject)
            return
        if ident in self._seen:
            return
        self._seen[ident] = None
        if len(self._seen) > self.KEEP:
            self._seen.popitem(last=False)
        await self.sink.publish([RelayedEvent(name, data)])

    async def close(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._starting
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None
