"""Sign-in throttling with the ``limits`` library: in Redis when kefu has one, else in this process.

Failed attempts are counted per account and per client address in sliding windows of growing length: the
first tier allows ``failures`` attempts in ``backoff_s`` seconds, each next tier twice the attempts in four
times the window, up to ``lockout_max_s``. An attacker who keeps trying is locked out for longer and longer
(1 min, 4 min, 16 min, ... with the defaults); a user who signs in successfully clears the account's count.
An account's attempts are counted before the password is checked, so concurrent guesses cannot overtake the
limit; an address's only when they fail, so many people behind one address may still sign in.

The sliding-window counter (two fixed windows, weighted) rather than the exact moving window: the
library's in-process moving window races its own expiry task when a count is cleared.
"""

from __future__ import annotations

import math
import time

import redis.asyncio as aioredis
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter


def tiers(failures: int, backoff_s: int, lockout_max_s: int) -> list[RateLimitItem]:
    """The escalating windows: ``failures`` per ``backoff_s``, then 2x per 4x, while within the maximum."""
    out: list[RateLimitItem] = []
    amount, window = failures, backoff_s
    while window <= lockout_max_s:
        out.append(RateLimitItemPerSecond(amount, window))
        amount, window = amount * 2, window * 4
    return out or [RateLimitItemPerSecond(failures, lockout_max_s)]


def storage_for(redis: aioredis.Redis | None, key_prefix: str = "kefu:login") -> Storage:
    """kefu's Redis (sharing its connection pool) when configured, else this process's memory."""
    if redis is None:
        return MemoryStorage()
    return RedisStorage(
        "async+redis://",
        implementation="redispy",
        key_prefix=key_prefix,
        connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # limits passes it to redis-py
    )


class LimitsLoginThrottle:
    def __init__(self, storage: Storage, account: list[RateLimitItem], address: list[RateLimitItem]) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._account = account
        self._address = address

    async def admit(self, account: str, address: str | None) -> float | None:
        wait = await self._wait(self._account, "account", account)
        if address is not None:
            wait = max(wait, await self._wait(self._address, "address", address))
        if wait > 0:
            return wait
        for item in self._account:
            if not await self._limiter.hit(item, "account", account):
                return max(1.0, await self._wait(self._account, "account", account))
        return None

    async def settle(self, account: str, address: str | None, succeeded: bool) -> float:
        if succeeded:
            for item in self._account:
                await self._limiter.clear(item, "account", account)
            return 0.0
        if address is not None:
            for item in self._address:
                await self._limiter.hit(item, "address", address)
        return await self._wait(self._account, "account", account)

    async def _wait(self, items: list[RateLimitItem], kind: str, key: str) -> float:
        """Seconds until every exhausted window of ``key`` has room again (0 when none is exhausted)."""
        wait = 0.0
        for item in items:
            if not await self._limiter.test(item, kind, key):
                stats = await self._limiter.get_window_stats(item, kind, key)
                # The library keeps its windows on the wall clock (time.time), as Redis does.
                wait = max(wait, math.ceil(stats.reset_time - time.time()), 1.0)
        return wait
