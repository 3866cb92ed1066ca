"""The in-process event bus: the embedded default, and a recording fake for tests.

Subscribers (e.g. a live wallboard stream) receive each committed event; ``published`` keeps the last events
so tests can assert exactly what left the unit of work.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

from kefu.domain.events import Event

_QUEUE_LIMIT = 1000


class InProcessBus:
    def __init__(self, keep: int = 10_000) -> None:
        self.published: deque[Event] = deque(maxlen=keep)
        self._subscribers: set[asyncio.Queue[Event]] = set()

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            self.published.append(event)
            for queue in list(self._subscribers):
                if queue.full():
                    # A slow listener loses its oldest event rather than blocking the whole centre.
                    queue.get_nowait()
                queue.put_nowait(event)

    async def healthy(self) -> bool:
        return True

    def subscribe(self) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=_QUEUE_LIMIT)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._subscribers.discard(queue)

    async def close(self) -> None:
        self._subscribers.clear()
