"""Single-use stream tickets: the first use of a ticket id wins, in Redis when kefu has one (every API node
sees it), else in this process. Ids are kept as long as the ticket could still be valid."""

from __future__ import annotations

import time

import redis.asyncio as aioredis


class UsedTickets:
    def __init__(self, redis: aioredis.Redis | None = None, prefix: str = "kefu:ticket:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._used: dict[str, float] = {}  # ticket id -> when it may be forgotten (monotonic seconds)

    async def first_use(self, ticket_id: str, ttl_s: int) -> bool:
        """True the first time ``ticket_id`` is presented, False every time after."""
        if self._redis is not None:
            return bool(await self._redis.set(self._prefix + ticket_id, b"1", nx=True, ex=max(1, ttl_s)))
        now = time.monotonic()
        for stale in [k for k, until in self._used.items() if until < now]:
            del self._used[stale]
        if ticket_id in self._used:
            return False
        self._used[ticket_id] = now + ttl_s
        return True
