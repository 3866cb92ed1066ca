"""The lease rule (``grant``): a running lease stays with its holder; every new term has a larger token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kefu.routing.lease import Lease, grant

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 30)), max_size=40))
def test_tokens_only_grow_and_a_running_lease_is_never_taken(asks: list[tuple[str, int]]) -> None:
    """Whatever routers ask and however time moves, a token never goes back, a holder keeps its token while
    its lease runs, and nobody else gets a lease that has not expired."""
    now, current = T0, None
    for holder, step_s in asks:
        now += timedelta(seconds=step_s)
        granted = grant(current, holder, now, now + timedelta(seconds=10))
        if current is not None and current.expires_at > now and current.holder != holder:
            assert granted is None
            continue
        assert granted is not None
        if current is not None:
            same_term = current.expires_at > now
            assert granted.token == (current.token if same_term else current.token + 1)
        current = Lease("all", granted.holder, granted.token, granted.expires_at, granted.acquired_at)
