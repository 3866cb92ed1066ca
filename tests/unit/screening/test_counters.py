"""The in-memory counter store: windows, payee signals, test-then-large, and idempotent recording."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.screening import CounterFeatures, InMemoryCounterStore

from .helpers import pay


def test_outflow_windows_include_the_payment_and_drop_old_ones():
    """Counts and sums cover (t - window, t] for 1 h, 24 h and 7 d, the payment itself included."""
    store = InMemoryCounterStore()
    store.record(pay("p1", amount=100, minutes=-8 * 24 * 60))  # older than a week: forgotten
    store.record(pay("p2", amount=200, minutes=-3 * 24 * 60))
    store.record(pay("p3", amount=300, minutes=-120))
    store.record(pay("p4", amount=400, minutes=-60))  # exactly an hour ago: outside the 1 h window
    f = store.record(pay("p5", amount=500))
    assert (f.payer_out_count_1h, f.payer_out_sum_1h) == (1, 500)
    assert (f.payer_out_count_24h, f.payer_out_sum_24h) == (3, 1200)
    assert (f.payer_out_count_7d, f.payer_out_sum_7d) == (4, 1400)


def test_first_to_payee_and_payee_age():
    """The first payment to a payee says so; later ones see how long the payee has been known."""
    store = InMemoryCounterStore()
    first = store.record(pay("p1", payer="c-1", payee="acct-9"))
    again = store.record(pay("p2", payer="c-1", payee="acct-9", minutes=30))
    other = store.record(pay("p3", payer="c-2", payee="acct-9", minutes=90))
    assert first.first_to_payee and first.payee_age_s == 0
    assert not again.first_to_payee and again.payee_age_s == 1800
    assert other.first_to_payee and other.payee_age_s == 5400


def test_distinct_payers_into_a_payee_over_24h():
    """A payee collecting from many payers is counted by distinct payer, forgetting those over 24 h old."""
    store = InMemoryCounterStore()
    for i in range(5):
        store.record(pay(f"p{i}", payer=f"c-{i}", payee="mule", minutes=i))
    repeat = store.record(pay("p-rep", payer="c-0", payee="mule", minutes=10))
    assert repeat.payee_distinct_payers_24h == 5
    later = store.record(pay("p-late", payer="c-9", payee="mule", minutes=24 * 60 + 3))
    # c-1, c-2 and c-3 paid at +1..+3 min, now 24 h or more ago; c-4 (+4 min), c-0 (+10 min) and c-9 remain
    assert later.payee_distinct_payers_24h == 3


def test_small_test_payment_then_large():
    """A large payment within 24 h of a small one to the same payee is flagged; elsewhere it is not."""
    store = InMemoryCounterStore()
    store.record(pay("t1", payee="acct-x", amount=1))
    large = store.record(pay("t2", payee="acct-x", amount=500_000, minutes=5))
    other_payee = store.record(pay("t3", payee="acct-y", amount=500_000, minutes=6))
    assert large.test_then_large
    assert not other_payee.test_then_large
    store.record(pay("u1", payee="acct-z", amount=1))
    stale = store.record(pay("u2", payee="acct-z", amount=500_000, minutes=25 * 60))
    assert not stale.test_then_large


def test_reports_watchlist_and_stops_show_at_once():
    """Reports, watchlisting and stopped payments change the very next payment's features."""
    store = InMemoryCounterStore()

    async def reputation():
        assert await store.report_payee("acct-bad") == 1
        assert await store.report_payee("acct-bad") == 2
        await store.watchlist_payee("acct-bad")
        await store.note_stopped(pay("s1", payer="c-7", payee="acct-bad", amount=900_000))

    asyncio.run(reputation())
    f = asyncio.run(store.observe(pay("s2", payer="c-7", payee="acct-bad", minutes=5)))
    assert f.payee_reports == 2 and f.payee_watchlisted and f.payer_stopped_24h == 1
    store.set_watchlisted("acct-bad", listed=False)
    assert not store.record(pay("s3", payer="c-7", payee="acct-bad", minutes=6)).payee_watchlisted


def test_redelivery_returns_the_first_answer_and_counts_nothing():
    """The same payment_id twice returns identical features and leaves the counters as they were."""
    store = InMemoryCounterStore()
    first = store.record(pay("p1", amount=700))
    assert store.record(pay("p1", amount=700)) == first
    nxt = store.record(pay("p2", amount=300, minutes=1))
    assert nxt.payer_out_count_1h == 2 and nxt.payer_out_sum_1h == 1000


def test_features_encode_round_trip():
    """The compact text form used by stores decodes to the same features."""
    f = CounterFeatures(2, 3, 4, 5, 6, 7_000_000_000, False, 8, 9, 10, True, True, 11)
    assert CounterFeatures.decode(f.encode()) == f


events = st.lists(
    st.tuples(
        st.integers(0, 3),  # payer
        st.integers(0, 3),  # payee
        st.integers(1, 2_000_000),  # amount
        st.integers(0, 23 * 60),  # minutes since start, within the redelivery window (a day)
    ),
    max_size=30,
)


@settings(max_examples=60)
@given(events, st.data())
def test_recording_is_idempotent_under_any_redelivery(stream, data):
    """Redelivering payments within the dedup window yields the same features for every payment."""
    stream = sorted(stream, key=lambda e: e[3])
    payments = [
        pay(f"p{i}", payer=f"c-{a}", payee=f"acct-{b}", amount=amt, minutes=m)
        for i, (a, b, amt, m) in enumerate(stream)
    ]
    clean = InMemoryCounterStore()
    expected = [clean.record(p) for p in payments]
    noisy = InMemoryCounterStore()
    got = {}
    for i, p in enumerate(payments):
        got[p.payment_id] = noisy.record(p)
        for j in data.draw(st.lists(st.integers(0, i), max_size=2)):
            assert noisy.record(payments[j]) == expected[j]
    assert [got[p.payment_id] for p in payments] == expected
