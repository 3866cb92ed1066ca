"""Screening counters in Redis: the same answers as ``InMemoryCounterStore``, shared by many workers.

Each payment costs one round trip: a Lua script reads and updates every counter atomically, so two workers
screening the same payer at once cannot both see "first payment to this payee", and a redelivered payment
returns the features of its first delivery (kept under ``seen:<payment_id>``) without counting again.

Key layout (``<p>`` is the prefix)::

    <p>:seen:<payment_id>       string   encoded CounterFeatures of the first delivery   (TTL dedup_ms)
    <p>:out:<payer>             zset     member "<payment_id>:<amount>", score ms        (TTL 8 days)
    <p>:stop:<payer>            zset     member payment_id, score ms                     (TTL 8 days)
    <p>:first:<payee>           string   first-seen ms                                   (TTL retention)
    <p>:payers:<payee>          zset     member payer, score latest ms                   (TTL 2 days)
    <p>:pair:<payer>:<payee>    string   latest small-payment ms, or -1                  (TTL retention)
    <p>:reports:<payee>         string   report count
    <p>:watch:<payee>           string   present when watchlisted

Expiry is wall-clock (Redis TTL) while the in-memory store forgets by payment time; the two agree for any
stream whose gaps stay within those TTLs. The script touches payer and payee keys together, so on Redis
Cluster it needs those keys in one slot; split it per entity before sharding by payer and payee.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from kefu.screening.counters import DAY_MS, CounterFeatures, CounterPolicy, epoch_ms
from kefu.screening.payment import Payment

RETENTION_MS = 90 * DAY_MS

_OBSERVE = """
local seen = redis.call('GET', KEYS[1])
if seen then return seen end
local t = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local pid = ARGV[3]
local payer = ARGV[4]
local test_max = tonumber(ARGV[5])
local large_min = tonumber(ARGV[6])
local test_window = tonumber(ARGV[7])
local dedup_ms = tonumber(ARGV[8])
local retention = tonumber(ARGV[9])
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

redis.call('SET', KEYS[4], t, 'NX')
redis.call('PEXPIRE', KEYS[4], retention)
local first_seen = tonumber(redis.call('GET', KEYS[4]))
local age = math.floor(math.max(0, t - first_seen) / 1000)

redis.call('ZADD', KEYS[5], 'GT', t, payer)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', t - day)
redis.call('PEXPIRE', KEYS[5], 2 * day)
local distinct = redis.call('ZCARD', KEYS[5])

local small = redis.call('GET', KEYS[6])
local first_to_payee = 0
local test_then_large = 0
if small then
  small = tonumber(small)
  if amount >= large_min and t - test_window < small and small <= t then test_then_large = 1 end
else
  first_to_payee = 1
end
if amount <= test_max then
  redis.call('SET', KEYS[6], string.format('%.0f', math.max(t, small or -1)), 'PX', retention)
elseif first_to_payee == 1 then
  redis.call('SET', KEYS[6], '-1', 'PX', retention)
else
  redis.call('PEXPIRE', KEYS[6], retention)
end

local reports = tonumber(redis.call('GET', KEYS[7]) or '0')
local watched = redis.call('EXISTS', KEYS[8])

local parts = {c1, c24, c7, s1, s24, s7, first_to_payee, distinct, age, reports, watched,
               test_then_large, stopped}
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
        self._observe = client.register_script(_OBSERVE)
        self._stop = client.register_script(_STOP)

    @classmethod
    def from_url(
        cls, url: str, prefix: str = "kefu:scr", policy: CounterPolicy | None = None
    ) -> RedisCounterStore:
        return cls(Redis.from_url(url), prefix, policy)

    async def aclose(self) -> None:
        await self.client.aclose()

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def observe(self, payment: Payment) -> CounterFeatures:
        payer = payment.payer_id
        payee = payment.payee.account_id
        policy = self.policy
        keys = [
            self._key("seen", payment.payment_id),
            self._key("out", payer),
            self._key("stop", payer),
            self._key("first", payee),
            self._key("payers", payee),
            self._key("pair", payer, payee),
            self._key("reports", payee),
            self._key("watch", payee),
        ]
        args: list[Any] = [
            epoch_ms(payment),
            payment.amount,
            payment.payment_id,
            payer,
            policy.test_payment_max,
            policy.large_payment_min,
            policy.test_window_ms,
            policy.dedup_ms,
            RETENTION_MS,
        ]
        raw = await self._observe(keys=keys, args=args)
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        return CounterFeatures.decode(text)

    async def note_stopped(self, payment: Payment) -> None:
        await self._stop(
            keys=[self._key("stop", payment.payer_id)], args=[epoch_ms(payment), payment.payment_id]
        )

    async def clear_stopped(self, payer_id: str, payment_id: str) -> None:
        await self.client.zrem(self._key("stop", payer_id), payment_id)

    async def report_payee(self, account_id: str) -> int:
        return int(await self.client.incr(self._key("reports", account_id)))

    async def watchlist_payee(self, account_id: str, listed: bool = True) -> None:
        key = self._key("watch", account_id)
        if listed:
            await self.client.set(key, "1")
        else:
            await self.client.delete(key)
