"""Contract of the routing leases: acquire, renew, expire and take over with a larger token, and the fence
that refuses a write from a holder whose term is over (memory, SQLite, PostgreSQL alike)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.routing.lease import Fence, LeaseLost
from tests.integration.contract.conftest import T0, Stores

LEASE = timedelta(seconds=10)


async def test_acquire_renew_and_refuse_while_held(stores: Stores) -> None:
    """The first router gets token 1, renews with the same token; another is refused while it runs."""
    async with stores.uow() as uow:
        first = await uow.leases.acquire("all", "r1", T0, T0 + LEASE)
        await uow.commit()
    assert first is not None and first.token == 1
    async with stores.uow() as uow:
        assert await uow.leases.acquire("all", "r2", T0 + timedelta(seconds=5), T0 + LEASE * 2) is None
        renewed = await uow.leases.acquire("all", "r1", T0 + timedelta(seconds=5), T0 + LEASE * 2)
        await uow.commit()
    assert renewed is not None and (renewed.token, renewed.expires_at) == (1, T0 + LEASE * 2)
    async with stores.uow() as uow:
        stored = await uow.leases.get("all")
    assert stored is not None and (stored.holder, stored.token, stored.expires_at) == (
        "r1",
        1,
        T0 + LEASE * 2,
    )


async def test_expired_lease_goes_to_the_next_holder_with_a_larger_token(stores: Stores) -> None:
    """After expiry another router takes the lease with token + 1, and the old holder's fence fails."""
    async with stores.uow() as uow:
        await uow.leases.acquire("payments", "r1", T0, T0 + LEASE)
        await uow.commit()
    later = T0 + LEASE + timedelta(seconds=1)
    async with stores.uow() as uow:
        taken = await uow.leases.acquire("payments", "r2", later, later + LEASE)
        await uow.commit()
    assert taken is not None and (taken.holder, taken.token) == ("r2", 2)
    async with stores.uow() as uow:
        assert not await uow.leases.fence(Fence("payments", "r1", 1))
        assert await uow.leases.fence(Fence("payments", "r2", 2))
        assert not await uow.leases.fence(Fence("other", "r2", 2))
    async with stores.uow() as uow:
        again = await uow.leases.acquire("payments", "r1", later, later + LEASE)
    assert again is None


async def test_an_expired_holder_starts_a_new_term(stores: Stores) -> None:
    """A holder renewing after its own lease expired gets a new token: it may have missed writes."""
    async with stores.uow() as uow:
        await uow.leases.acquire("all", "r1", T0, T0 + LEASE)
        await uow.commit()
    async with stores.uow() as uow:
        late = await uow.leases.acquire("all", "r1", T0 + LEASE, T0 + LEASE * 2)
        await uow.commit()
    assert late is not None and late.token == 2


async def test_release_lets_a_standby_take_over_at_once(stores: Stores) -> None:
    """A router stopping cleanly ends its lease; a standby acquires it without waiting for expiry."""
    async with stores.uow() as uow:
        lease = await uow.leases.acquire("all", "r1", T0, T0 + LEASE)
        await uow.commit()
    assert lease is not None
    async with stores.uow() as uow:
        await uow.leases.release(Fence("all", "r1", lease.token), T0 + timedelta(seconds=1))
        await uow.commit()
    async with stores.uow() as uow:
        taken = await uow.leases.acquire("all", "r2", T0 + timedelta(seconds=1), T0 + LEASE)
        await uow.commit()
    assert taken is not None and (taken.holder, taken.token) == ("r2", 2)


@pytest.mark.kinds("memory", "postgresql")
async def test_a_write_fenced_before_a_takeover_fails_at_commit(stores: Stores) -> None:
    """A write that passed its fence cannot commit once a takeover committed first (memory re-checks at
    commit; PostgreSQL makes the takeover wait for the write's row lock, so here the write commits first)."""
    async with stores.uow() as uow:
        await uow.leases.acquire("all", "r1", T0, T0 + LEASE)
        await uow.commit()
    later = T0 + LEASE + timedelta(seconds=1)
    write = stores.uow()
    async with write:
        assert await write.leases.fence(Fence("all", "r1", 1))
        if stores.kind == "memory":
            async with stores.uow() as takeover:
                assert await takeover.leases.acquire("all", "r2", later, later + LEASE) is not None
                await takeover.commit()
            with pytest.raises(LeaseLost):
                await write.commit()
        else:
            await write.commit()
    async with stores.uow() as uow:
        taken = await uow.leases.acquire("all", "r2", later, later + LEASE)
        await uow.commit()
    assert taken is not None and taken.token == 2
