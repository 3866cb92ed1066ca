"""Sign-in throttling kept in Redis: every API node sees the same count for an account."""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis

from kefu.adapters.security.throttle import LimitsLoginThrottle, storage_for, tiers


async def test_two_nodes_share_one_account_count_through_redis(redis_url: str) -> None:
    """Failures counted by one node lock the account on another; a success clears it for both."""
    account = f"acct-{uuid.uuid4().hex[:8]}"
    clients = [aioredis.from_url(redis_url) for _ in range(2)]
    nodes = [
        LimitsLoginThrottle(storage_for(client, "kefu-test:login"), tiers(3, 60, 3600), tiers(100, 60, 3600))
        for client in clients
    ]
    try:
        await _share(nodes, account)
    finally:
        for client in clients:
            await client.aclose()


async def _share(nodes: list[LimitsLoginThrottle], account: str) -> None:
    for i in range(3):
        node = nodes[i % 2]
        assert await node.admit(account, "10.0.0.1") is None
        await node.settle(account, "10.0.0.1", succeeded=False)
    wait = await nodes[1].admit(account, "10.0.0.1")
    assert wait is not None and 1 <= wait <= 60
    await nodes[0].settle(account, None, succeeded=True)
    assert await nodes[1].admit(account, None) is None
    await nodes[1].settle(account, None, succeeded=True)


def test_tiers_grow_from_the_first_window_to_the_longest_lockout() -> None:
    """Each window allows twice the failures in four times the time, up to the configured maximum."""
    assert [(t.amount, t.get_expiry()) for t in tiers(5, 60, 86_400)] == [
        (5, 60),
        (10, 240),
        (20, 960),
        (40, 3840),
        (80, 15360),
        (160, 61440),
    ]
