"""Counter-derived features and the port that keeps them.

A ``CounterStore`` is told about each payment once, in screening order, and answers with the features that
need history: the payer's outflow over 1 h / 24 h / 7 d, whether this payer has paid this payee before, how
many distinct payers the payee collected from in 24 h, how long the payee has been seen, its reports and
watchlist state, and the "small test payment, then a large one" pattern. Two implementations give identical
answers for the same stream: ``InMemoryCounterStore`` here (the embedded default and the hot in-process path)
and ``RedisCounterStore`` in ``kefu.adapters.counters`` (shared by many screening workers).

Exact semantics both implementations follow (times are integer milliseconds since the epoch, ``t`` is the
payment's ``created_at``):

- windows are ``(t - w, t]`` and include the payment itself;
- state older than 7 days before the newest payment of a payer is dropped when that payer pays again;
- ``payee_distinct_payers_24h`` keeps each payer's latest time into the payee and drops those ``<= t - 24h``;
- recording is idempotent on ``payment_id``: a redelivery within ``dedup_ms`` returns the features of the
  first delivery and changes nothing, so a retried stream message can never double-count.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from kefu.screening.payment import Payment

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
WEEK_MS = 7 * DAY_MS


@dataclass(frozen=True, slots=True)
class CounterPolicy:
    """Thresholds that shape the counters; both stores must be built with the same policy."""

    test_payment_max: int = 1_000  # ¥10: scammers "check the line" with ¥0.01-¥10 before the real transfer
    large_payment_min: int = 100_000  # ¥1,000
    test_window_ms: int = DAY_MS
    dedup_ms: int = DAY_MS  # stream redelivery happens within minutes; a day is generous


class CounterFeatures(NamedTuple):
    """Counter-derived features of one payment (a named tuple: built on every payment, so kept cheap)."""

    payer_out_count_1h: int = 1
    payer_out_count_24h: int = 1
    payer_out_count_7d: int = 1
    payer_out_sum_1h: int = 0
    payer_out_sum_24h: int = 0
    payer_out_sum_7d: int = 0
    first_to_payee: bool = True
    payee_distinct_payers_24h: int = 1
    payee_age_s: int = 0
    payee_reports: int = 0
    payee_watchlisted: bool = False
    test_then_large: bool = False
    payer_stopped_24h: int = 0

    def encode(self) -> str:
        """A compact text form (booleans as 0/1) for stores that keep the first answer per payment."""
        return ",".join(str(int(v)) for v in self)

    @classmethod
    def decode(cls, text: str) -> CounterFeatures:
        v = [int(x) for x in text.split(",")]
        return cls(
            v[0], v[1], v[2], v[3], v[4], v[5], bool(v[6]), v[7], v[8], v[9], bool(v[10]), bool(v[11]), v[12]
        )


class CounterStore(Protocol):
    """Port for the services: observe payments, note stops, and keep payee reputation."""

    async def observe(self, payment: Payment) -> CounterFeatures:
        """Record the payment once and return its counter features."""
        ...

    async def note_stopped(self, payment: Payment) -> None:
        """Remember that this payment was held or blocked, so retries after a stop score higher."""
        ...

    async def clear_stopped(self, payer_id: str, payment_id: str) -> None:
        """Forget a stop that turned out to be a false alarm (a released case): it no longer counts."""
        ...

    async def report_payee(self, account_id: str) -> int:
        """Count one user report against a payee account; returns the new count."""
        ...

    async def watchlist_payee(self, account_id: str, listed: bool = True) -> None:
        """Put a payee account on (or take it off) the watchlist; screening sees it at once."""
        ...


def epoch_ms(payment: Payment) -> int:
    """The payment's time as integer milliseconds, the unit every counter uses."""
    return int(payment.created_at.timestamp() * 1000)


@dataclass(slots=True)
class _PayerState:
    # Two parallel lists sorted by time: bisect on plain ints and C-level sums over slices.
    times: list[int] = field(default_factory=list)
    amounts: list[int] = field(default_factory=list)
    stops: dict[str, int] = field(default_factory=dict)  # payment_id -> ms


@dataclass(slots=True)
class _PayeeState:
    first_seen_ms: int
    latest_by_payer: dict[str, int] = field(default_factory=dict)
    expiry: list[tuple[int, str]] = field(default_factory=list)  # heap of (ms, payer)


class InMemoryCounterStore:
    """Counters in plain dicts and lists: O(log n) per payment, synchronous on the hot path.

    ``record`` is the synchronous call the in-process screening loop uses; the async methods satisfy the
    ``CounterStore`` port for the services.
    """

    def __init__(self, policy: CounterPolicy | None = None) -> None:
        self.policy = policy or CounterPolicy()
        self._payers: dict[str, _PayerState] = {}
        self._payees: dict[str, _PayeeState] = {}
        self._pairs: dict[tuple[str, str], int] = {}  # (payer, payee) -> latest small-payment ms, or -1
        self._reports: dict[str, int] = {}
        self._watchlist: set[str] = set()
        self._seen: dict[str, CounterFeatures] = {}
        self._seen_order: deque[tuple[int, str]] = deque()

    # -- the hot path ------------------------------------------------------------------------------------

    def record(self, payment: Payment) -> CounterFeatures:
        """Record ``payment`` once and return its counter features (see the module docstring)."""
        seen = self._seen.get(payment.payment_id)
        if seen is not None:
            return seen
        t = epoch_ms(payment)
        payer = self._payers.get(payment.payer_id)
        if payer is None:
            payer = self._payers[payment.payer_id] = _PayerState()
        c1, c24, c7, s1, s24, s7 = _outflow(payer, t, payment.amount)
        stopped = sum(1 for ms in payer.stops.values() if t - DAY_MS < ms <= t) if payer.stops else 0
        distinct, age_ms = self._payee_seen(payment.payee.account_id, payment.payer_id, t)
        first_to_payee, test_then_large = self._pair_seen(payment, t)
        payee_id = payment.payee.account_id
        features = CounterFeatures(  # positional, in field order: the hot path's cheapest construction
            c1,
            c24,
            c7,
            s1,
            s24,
            s7,
            first_to_payee,
            distinct,
            max(0, age_ms) // 1000,
            self._reports.get(payee_id, 0),
            payee_id in self._watchlist,
            test_then_large,
            stopped,
        )
        self._remember(payment.payment_id, t, features)
        return features

    def _payee_seen(self, payee_id: str, payer_id: str, t: int) -> tuple[int, int]:
        """Note the payer into the payee; (distinct payers in 24 h, ms since the payee was first seen)."""
        payee = self._payees.get(payee_id)
        if payee is None:
            payee = self._payees[payee_id] = _PayeeState(first_seen_ms=t)
        latest = payee.latest_by_payer
        if latest.get(payer_id, -1) < t:
            latest[payer_id] = t
            heapq.heappush(payee.expiry, (t, payer_id))
        expiry = payee.expiry
        cutoff = t - DAY_MS
        while expiry and expiry[0][0] <= cutoff:
            ms, old = heapq.heappop(expiry)
            if latest.get(old) == ms:  # an older entry for a payer seen again since is not an expiry
                del latest[old]
        return len(latest), t - payee.first_seen_ms

    def _pair_seen(self, payment: Payment, t: int) -> tuple[bool, bool]:
        """(first payment from this payer to this payee, a small test payment preceded this large one)."""
        policy = self.policy
        key = (payment.payer_id, payment.payee.account_id)
        small_ms = self._pairs.get(key)
        amount = payment.amount
        test_then_large = (
            small_ms is not None
            and amount >= policy.large_payment_min
            and t - policy.test_window_ms < small_ms <= t
        )
        if amount <= policy.test_payment_max:
            self._pairs[key] = max(t, small_ms if small_ms is not None else -1)
        elif small_ms is None:
            self._pairs[key] = -1
        return small_ms is None, test_then_large

    def _remember(self, payment_id: str, t: int, features: CounterFeatures) -> None:
        self._seen[payment_id] = features
        order = self._seen_order
        order.append((t + self.policy.dedup_ms, payment_id))
        # Arrival order, not a heap: an entry may outlive its window a little, never expire early.
        while order[0][0] <= t:
            self._seen.pop(order.popleft()[1], None)

    def stop(self, payment: Payment) -> None:
        payer = self._payers.get(payment.payer_id)
        if payer is None:
            payer = self._payers[payment.payer_id] = _PayerState()
        payer.stops[payment.payment_id] = epoch_ms(payment)
        cutoff = epoch_ms(payment) - WEEK_MS
        for pid in [p for p, ms in payer.stops.items() if ms <= cutoff]:
            del payer.stops[pid]

    def unstop(self, payer_id: str, payment_id: str) -> None:
        payer = self._payers.get(payer_id)
        if payer is not None:
            payer.stops.pop(payment_id, None)

    def add_report(self, account_id: str) -> int:
        count = self._reports.get(account_id, 0) + 1
        self._reports[account_id] = count
        return count

    def set_watchlisted(self, account_id: str, listed: bool = True) -> None:
        if listed:
            self._watchlist.add(account_id)
        else:
            self._watchlist.discard(account_id)

    @property
    def tracked_payers(self) -> int:
        return len(self._payers)

    # -- the CounterStore port ----------------------------------------------------------------------------

    async def observe(self, payment: Payment) -> CounterFeatures:
        return self.record(payment)

    async def note_stopped(self, payment: Payment) -> None:
        self.stop(payment)

    async def clear_stopped(self, payer_id: str, payment_id: str) -> None:
        self.unstop(payer_id, payment_id)

    async def report_payee(self, account_id: str) -> int:
        return self.add_report(account_id)

    async def watchlist_payee(self, account_id: str, listed: bool = True) -> None:
        self.set_watchlisted(account_id, listed)


def _outflow(payer: _PayerState, t: int, amount: int) -> tuple[int, int, int, int, int, int]:
    """Add the payment, drop what is a week old; (count, sum) over 1 h, 24 h and 7 d up to ``t``."""
    times, amounts = payer.times, payer.amounts
    if not times or times[-1] <= t:  # the usual case: payments arrive in time order
        times.append(t)
        amounts.append(amount)
    else:
        at = bisect_right(times, t)
        times.insert(at, t)
        amounts.insert(at, amount)
    cut = bisect_right(times, t - WEEK_MS)
    if cut:
        del times[:cut]
        del amounts[:cut]
    end = bisect_right(times, t)
    start_24h = bisect_right(times, t - DAY_MS, 0, end)
    start_1h = bisect_right(times, t - HOUR_MS, start_24h, end)
    sum_1h = sum(amounts[start_1h:end])
    sum_24h = sum_1h + sum(amounts[start_24h:start_1h])
    sum_7d = sum_24h + sum(amounts[:start_24h])
    return end - start_1h, end - start_24h, end, sum_1h, sum_24h, sum_7d
