"""NATS JetStream event publisher, selected by ``KEFU_NATS_URL``.

Events go to ``kefu.events.<event name>`` on the ``KEFU_EVENTS`` stream, as JSON with the event name, so any
number of API nodes, wallboards and report builders can consume them. JetStream acknowledges each publish,
and the message id (``Nats-Msg-Id``) lets the server drop a duplicate publish of the same event.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import nats
import nats.errors
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import BadRequestError

from kefu.domain.errors import Unavailable
from kefu.domain.events import Event

log = structlog.get_logger("kefu.nats")
SUBJECT_PREFIX = "kefu.events"
STREAM = "KEFU_EVENTS"
_FIRST_CONNECT_S = 5.0


async def _log_error(exc: Exception) -> None:
    log.warning("nats connection problem", error=str(exc) or type(exc).__name__)


def encode(event: Event) -> bytes:
    return json.dumps({"name": event.name, "data": event.payload()}, ensure_ascii=False, default=str).encode()


def message_id(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


class NatsPublisher:
    def __init__(self, url: str, stream: str = STREAM, subject_prefix: str = SUBJECT_PREFIX) -> None:
        self.url = url
        self.stream = stream
        self.subject_prefix = subject_prefix
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    async def connect(self) -> None:
        try:
            # nats-py retries a first connection forever; a server that is down must be a clear error at
            # start-up instead. Once connected, reconnecting is unlimited.
            self._nc = await asyncio.wait_for(
                nats.connect(
                    self.url,
                    connect_timeout=2,
                    max_reconnect_attempts=-1,
                    error_cb=_log_error,
                ),
                timeout=_FIRST_CONNECT_S,
            )
        except (TimeoutError, OSError, nats.errors.Error) as exc:
            raise Unavailable(f"cannot reach NATS at {self.url}") from exc
        self._js = self._nc.jetstream()
        config = StreamConfig(name=self.stream, subjects=[f"{self.subject_prefix}.>"], max_age=7 * 24 * 3600)
        try:
            await self._js.add_stream(config)
        except BadRequestError:
            await self._js.update_stream(config)

    async def publish(self, events: Sequence[Event]) -> None:
        if self._js is None:
            raise Unavailable("NATS publisher is not connected")
        for event in events:
            body = encode(event)
            headers: dict[str, Any] = {"Nats-Msg-Id": message_id(body)}
            await self._js.publish(f"{self.subject_prefix}.{event.name}", body, headers=headers)

    async def healthy(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    async def close(self) -> None:
        if self._nc is not None:
            await self._nc.drain()
            self._nc = None
            self._js = None
