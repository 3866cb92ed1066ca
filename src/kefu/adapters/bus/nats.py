"""NATS JetStream publisher of the outbox, selected by ``KEFU_NATS_URL``.

The outbox relay hands it committed events (``OutboxRecord``); each goes to ``kefu.events.<event name>`` on
the ``KEFU_EVENTS`` stream as JSON ``{"id", "name", "data", "created_at"}`` with the header
``Nats-Msg-Id`` = the record id. JetStream acknowledges each publish and drops a repeat of a message id
inside the stream's duplicate window, so a batch published again (a relay killed before it marked the
batch sent, two relays on one SQLite file) is stored once. Consumers dedupe by ``id`` as well, for repeats
further apart than the window.

kefu must start and take writes with NATS down: ``start()`` returns at once and connects in the background,
retrying until it succeeds; once connected the client reconnects for ever. While it is not connected,
``publish`` raises ``Unavailable`` immediately (the relay backs off and retries), and ``healthy()`` is false.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence

import nats
import nats.errors
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import BadRequestError, NoStreamResponseError

from kefu.domain.errors import Unavailable
from kefu.services.ports import OutboxRecord

log = structlog.get_logger("kefu.nats")
SUBJECT_PREFIX = "kefu.events"
STREAM = "KEFU_EVENTS"
MAX_AGE_S = 7 * 24 * 3600


def encode(record: OutboxRecord) -> bytes:
    body = {
        "id": record.id,
        "name": record.name,
        "data": record.payload,
        "created_at": record.created_at.isoformat(),
    }
    return json.dumps(body, ensure_ascii=False, default=str).encode()


class NatsOutboxPublisher:
    def __init__(
        self,
        url: str,
        stream: str = STREAM,
        subject_prefix: str = SUBJECT_PREFIX,
        publish_timeout_s: float = 2.0,
        duplicate_window_s: float = 3600.0,
    ) -> None:
        self.url = url
        self.stream = stream
        self.subject_prefix = subject_prefix
        self.publish_timeout_s = publish_timeout_s
        self.duplicate_window_s = duplicate_window_s
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._stream_ready = False
        self._connecting: asyncio.Task[None] | None = None
        self._complained = False  # one warning per outage, not one per reconnect attempt
        self._closing = False

    async def start(self) -> None:
        """Begin connecting in the background; returns at once."""
        if self._connecting is None and self._nc is None:
            self._connecting = asyncio.create_task(self._connect(), name="nats-connect")

    async def connect(self, timeout_s: float = 10.0) -> None:
        """Connect now (tests, tools): ``start()`` and wait until connected; raises ``Unavailable``."""
        await self.start()
        if self._connecting is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._connecting), timeout_s)
            except TimeoutError as exc:
                raise Unavailable(f"cannot reach NATS at {self.url}") from exc

    async def _connect(self) -> None:
        # With max_reconnect_attempts=-1 nats-py keeps trying the first connection too, every
        # reconnect_time_wait seconds, and reconnects for ever after a later loss.
        nc = await nats.connect(
            self.url,
            connect_timeout=2,
            reconnect_time_wait=1,
            max_reconnect_attempts=-1,
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
        )
        self._nc, self._js = nc, nc.jetstream()
        self._complained = False
        log.info("nats connected", url=self.url)
        with contextlib.suppress(Exception):  # retried before the next publish
            await self._ensure_stream()

    async def _on_error(self, exc: Exception) -> None:
        if not self._complained:
            self._complained = True
            log.warning(
                "nats unreachable; events wait in the outbox",
                url=self.url,
                error=str(exc) or type(exc).__name__,
            )

    async def _on_disconnected(self) -> None:
        if not self._complained and not self._closing:
            self._complained = True
            log.warning("nats disconnected; events wait in the outbox", url=self.url)

    async def _on_reconnected(self) -> None:
        self._complained = False
        log.info("nats reconnected", url=self.url)

    async def _ensure_stream(self) -> None:
        if self._js is None:
            raise Unavailable(f"NATS at {self.url} is not connected")
        config = StreamConfig(
            name=self.stream,
            subjects=[f"{self.subject_prefix}.>"],
            max_age=MAX_AGE_S,
            duplicate_window=self.duplicate_window_s,
        )
        try:
            await self._js.add_stream(config)
        except BadRequestError:
            await self._js.update_stream(config)
        self._stream_ready = True

    async def publish(self, records: Sequence[OutboxRecord]) -> None:
        """Publish each record and wait for JetStream's acknowledgement; raises if any was not stored."""
        if self._js is None or self._nc is None or not self._nc.is_connected:
            raise Unavailable(f"NATS at {self.url} is not connected")
        try:
            if not self._stream_ready:
                await self._ensure_stream()
            for record in records:
                await self._js.publish(
                    f"{self.subject_prefix}.{record.name}",
                    encode(record),
                    timeout=self.publish_timeout_s,
                    stream=self.stream,
                    headers={"Nats-Msg-Id": record.id},
                )
        except NoStreamResponseError as exc:
            self._stream_ready = False  # a server without the stream (e.g. replaced): create it next time
            raise Unavailable(f"no JetStream stream {self.stream} answers at {self.url}") from exc
        except (TimeoutError, nats.errors.Error) as exc:
            raise Unavailable(f"publishing to NATS at {self.url} failed: {type(exc).__name__}") from exc

    async def healthy(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    async def close(self) -> None:
        self._closing = True
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connecting
            self._connecting = None
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
            self._nc = None
            self._js = None
