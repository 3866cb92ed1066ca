"""Screening counters in Redis: the same answers as ``InMemoryCounterStore``, shared by many workers.

Each payment costs two Lua scripts sent at once (one round trip of latency): one reads and updates the
payer's counters, the other the payee's, each atomically, so two workers screening the same payer at once
cannot both see "first payment to this payee". Each script keeps its first answer per payment (``seen``),
so a redelivered payment returns the features of its first delivery without counting again.

Key layout (``<p>`` is the prefix). Every key a script touches carries the same hash tag — ``{pr:<payer>}``
for the payer's script, ``{pe:<payee>}`` for the payee's — so on Redis Cluster each script's keys land in
one slot; a payer's keys live together, and so do a payee's::

    <p>:{pr:<payer>}:seen:<payment_id>   string  encoded payer part of the first delivery  (TTL dedup_ms)
    <p>:{pr:<payer>}:out                 zset    member "<payment_id>:<amount>", score ms  (TTL 8 days)
    <p>:{pr:<payer>}:stop                zset    member payment_id, score ms               (TTL 8 days)
    <p>:{pr:<payer>}:pair:<payee>        string  latest small-payment ms, or -1           (TTL retention)
    <p>:{pe:<payee>}:seen:<payment_id>   string  encoded payee part of the first delivery  (TTL dedup_ms)
    <p>:{pe:<payee>}:first               string  first-seen ms                             (TTL retention)
    <p>:{pe:<payee>}:payers              zset    member payer, score latest ms             (TTL 2 days)
    <p>:{pe:<payee>}:reports             string  report count
    <p>:{pe:<payee>}:watch               string  present when watchlisted

Expiry is wall-clock (Redis TTL) while the in-memory store forgets by payment time; the two agree for any
stream whose gaps stay within those TTLs. The prefix must not contain ``{``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

from kefu.screening.counters import DAY_MS, CounterFeatures, CounterPolicy, epoch_ms
from kefu.screening.payment import Payment

RETENTION_MS = 90 * DAY_MS

_PAYER = """
local seen = redis.call('GET', KEYS[1])
if seen then return seen end
local t = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local pid = ARGV[3]
local test_max = tonumber(ARGV[4])
local large_min = tonumber(ARGV[5])
local test_window = tonumber(ARGV[6])
local dedup_ms = tonumber(ARGV[7])
local retention = tonumber(ARGV[8])
local hour, day, week = 3600000, 86400000, 604800000

redis.call('ZADD', KEYS[2], t, pid .. ':' .. ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', t - week)
redis.call('PEXPIRE', KEYS[2], week + day)
local entries = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', t, 'WITHSCORES')
local c1, c24, c7, s1, s24, s7 = 0, 0, 0, 0, 0, 0
for i = 1, #entries, 2 do
  local member = entries[i]
  local ms = tonumber(entries[i + 1])
  local a = tonumber(string.sub(member, string.find(member, ':[^:]*$') + 1))
  c7 = c7 + 1; s7 = s7 + a
  if ms > t - day then c24 = c24 + 1; s24 = s24 + a end
  if ms > t - hour then c1 = c1 + 1; s1 = s1 + a end
end

local stopped = redis.call('ZCOUNT', KEYS[3], '(' .. string.format('%.0f', t - day), t)

local small = redis.call('GET', KEYS[4])
local first_to_payee = 0
local test_then_large = 0
if small then
  small = tonumber(small)
  if amount >= large_min and t - test_window < small and small <= t then test_then_large = 1 end
else
  first_to_payee = 1
end
if amount <= test_max then
  redis.call('SET', KEYS[4], string.format('%.0f', math.max(t, small or -1)), 'PX', retention)
elseif first_to_payee == 1 then
  redis.call('SET', KEYS[4], '-1', 'PX', retention)
else
  redis.call('PEXPIRE', KEYS[4], retention)
end

local parts = {c1, c24, c7, s1, s24, s7, first_to_payee, test_then_large, stopped}
for i = 1, #parts do parts[i] = string.format('%.0f', parts[i]) end
local encoded = table.concat(parts, ',')
redis.call('SET', KEYS[1], encoded, 'PX', dedup_ms)
return encoded
"""

_PAYEE = """
local seen = redis.call('GET', KEYS[1])
if seen then return seen end
local t = tonumber(ARGV[1])
local payer = ARGV[2]
local dedup_ms = tonumber(ARGV[3])
local retention = tonumber(ARGV[4])
local day = 86400000

redis.call('SET', KEYS[2], t, 'NX')
redis.call('PEXPIRE', KEYS[2], retention)
local first_seen = tonumber(redis.call('GET', KEYS[2]))
local age = math.floor(math.max(0, t - first_seen) / 1000)

redis.call('ZADD', KEYS[3], 'GT', t, payer)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', t - day)
redis.call('PEXPIRE', KEYS[3], 2 * day)
local distinct = redis.call('ZCARD', KEYS[3])

local reports = tonumber(redis.call('GET', KEYS[4]) or '0')
local watched = redis.call('EXISTS', KEYS[5])

local parts = {distinct, age, reports, watched}
for i = 1, #parts do parts[i] = string.format('%.0f', parts[i]) end
local encoded = table.concat(parts, ',')
redis.call('SET', KEYS[1], encoded, 'PX', dedup_ms)
return encoded
"""

_STOP = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - 604800000)
redis.call('PEXPIRE', KEYS[1], 691200000)
return 1
"""


class RedisCounterStore:
    """``CounterStore`` over Redis (redis-py asyncio); one script call per observed payment."""

    def __init__(self, client: Redis, prefix: str = "kefu:scr", policy: CounterPolicy | None = None) -> None:
        self.client = client
        self.prefix = prefix
        self.policy = policy or CounterPolicy()
        self._payer = client.register_script(_PAYER)
        self._payee = client.register_script(_PAYEE)
        self._stop = client.register_script(_STOP)

    @classmethod
    def from_url(
        cls, url: str, prefix: str = "kefu:scr", policy: CounterPolicy | None = None
    ) -> RedisCounterStore:
        return cls(Redis.from_url(url), prefix, policy)

    async def aclose(self) -> None:
        await self.client.aclose()

    def payer_key(self, payer_id: str, *parts: str) -> str:
        """A key of the payer's slot: every key the payer's script touches shares ``{pr:<payer>}``."""
        return ":".join((self.prefix, f"{{pr:{payer_id}}}", *parts))

    def payee_key(self, account_id: str, *parts: str) -> str:
        """A key of the payee's slot: every key the payee's script touches shares ``{pe:<payee>}``."""
        return ":".join((self.prefix, f"{{pe:{account_id}}}", *parts))

    def payer_keys(self, payment: Payment) -> list[str]:
        """The keys of the payer's script for one payment, in the script's KEYS order."""
        payer = payment.payer_id
        return [
            self.payer_key(payer, "seen", payment.payment_id),
            self.payer_key(payer, "out"),
            self.payer_key(payer, "stop"),
            self.payer_key(payer, "pair", payment.payee.account_id),
        ]

    def payee_keys(self, payment: Payment) -> list[str]:
        """The keys of the payee's script for one payment, in the script's KEYS order."""
        payee = payment.payee.account_id
        return [
            self.payee_key(payee, "seen", payment.payment_id),
            self.payee_key(payee, "first"),
            self.payee_key(payee, "payers"),
            self.payee_key(payee, "reports"),
            self.payee_key(payee, "watch"),
        ]

    async def observe(self, payment: Payment) -> CounterFeatures:
        policy = self.policy
        t = epoch_ms(payment)
        payer_args: list[Any] = [
            t,
            payment.amount,
            payment.payment_id,
            policy.test_payment_max,
            policy.large_payment_min,
            policy.test_window_ms,
            policy.dedup_ms,
            RETENTION_MS,
        ]
        payee_args: list[Any] = [t, payment.payer_id, policy.dedup_ms, RETENTION_MS]
        payer_raw, payee_raw = await asyncio.gather(
            self._payer(keys=self.payer_keys(payment), args=payer_args),
            self._payee(keys=self.payee_keys(payment), args=payee_args),
        )
        c1, c24, c7, s1, s24, s7, first, test_then_large, stopped = _ints(payer_raw)
        distinct, age, reports, watched = _ints(payee_raw)
        return CounterFeatures(
            c1,
            c24,
            c7,
            s1,
            s24,
            s7,
            bool(first),
            distinct,
            age,
            reports,
            bool(watched),
            bool(test_then_large),
            stopped,
        )

    async def note_stopped(self, payment: Payment) -> None:
        await self._stop(
            keys=[self.payer_key(payment.payer_id, "stop")], args=[epoch_ms(payment), payment.payment_id]
        )

    async def clear_stopped(self, payer_id: str, payment_id: str) -> None:
        await self.client.zrem(self.payer_key(payer_id, "stop"), payment_id)

    async def report_payee(self, account_id: str) -> int:
        return int(await self.client.incr(self.payee_key(account_id, "reports")))

    async def watchlist_payee(self, account_id: str, listed: bool = True) -> None:
        key = self.payee_key(account_id, "watch")
        if listed:
            await self.client.set(key, "1")
        else:
            await self.client.delete(key)


def _ints(raw: object) -> list[int]:
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return [int(x) for x in text.split(",")]
