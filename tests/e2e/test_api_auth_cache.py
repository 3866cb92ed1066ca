"""Authentication from the in-process cache: a changed user is refused at once where the change was made,
and within ``KEFU_AUTH_CACHE_S`` on every other process."""

from __future__ import annotations

from kefu.domain.clock import FakeClock
from kefu.domain.commands import CreateUser, IssueToken, RevokeToken
from kefu.domain.users import SYSTEM_ACTOR
from tests.clocks import MORNING
from tests.conftest import TEST_PASSWORD, Database, asgi_client, make_user, running_kefu, settings_for

TTL_S = 5.0


async def test_a_disabled_user_is_refused_at_once_here_and_within_the_ttl_elsewhere(
    sqlite_database: Database,
) -> None:
    """Two API processes on one database: the one that disables a user refuses its token on the next
    request; the other serves it from its cache until the cache's time has passed, then refuses it too."""
    settings = settings_for(sqlite_database, auth_cache_s=TTL_S)
    clock_a, clock_b = FakeClock(MORNING), FakeClock(MORNING)
    async with running_kefu(settings, clock_a) as node_a, running_kefu(settings, clock_b) as node_b:
        admin = await make_user(node_a, "admin-user", "admin")
        gateway = await make_user(node_a, "gateway-user", "integration")
        async with asgi_client(node_a) as api_a, asgi_client(node_b) as api_b:
            for api in (api_a, api_b):  # both processes have now seen the token
                assert (await api.get("/api/v1/auth/me", headers=gateway)).status_code == 200

            disabled = await api_a.post("/api/v1/users/gateway-user/disable", headers=admin)
            assert disabled.status_code == 200

            assert (await api_a.get("/api/v1/auth/me", headers=gateway)).status_code == 401
            # The other process learns of it when its entry expires.
            clock_b.advance(TTL_S - 1)
            assert (await api_b.get("/api/v1/auth/me", headers=gateway)).status_code == 200
            clock_b.advance(2)
            refused = await api_b.get("/api/v1/auth/me", headers=gateway)
            assert refused.status_code == 401
            assert refused.headers["content-type"].startswith("application/problem+json")


async def test_a_revoked_api_token_is_refused_at_once_by_the_process_that_revoked_it(
    sqlite_database: Database,
) -> None:
    """Revoking an API token drops it from the cache of the process that revoked it."""
    async with running_kefu(settings_for(sqlite_database, auth_cache_s=TTL_S), FakeClock(MORNING)) as node:
        await node.bus.handle(CreateUser("gateway-user", TEST_PASSWORD, "integration"), SYSTEM_ACTOR)
        issued = await node.bus.handle(IssueToken("gateway-user", 1), SYSTEM_ACTOR)
        assert issued.token is not None
        gateway = {"Authorization": f"Bearer {issued.access_token}"}
        async with asgi_client(node) as api:
            assert (await api.get("/api/v1/auth/me", headers=gateway)).status_code == 200
            await node.bus.handle(RevokeToken(issued.token.id), SYSTEM_ACTOR)
            assert (await api.get("/api/v1/auth/me", headers=gateway)).status_code == 401


async def test_without_a_cache_every_request_reads_the_user(sqlite_database: Database) -> None:
    """With KEFU_AUTH_CACHE_S=0 a change made by another process is refused on the next request."""
    settings = settings_for(sqlite_database, auth_cache_s=0)
    async with (
        running_kefu(settings, FakeClock(MORNING)) as node_a,
        running_kefu(settings, FakeClock(MORNING)) as node_b,
    ):
        admin = await make_user(node_a, "admin-user", "admin")
        gateway = await make_user(node_a, "gateway-user", "integration")
        async with asgi_client(node_a) as api_a, asgi_client(node_b) as api_b:
            assert (await api_b.get("/api/v1/auth/me", headers=gateway)).status_code == 200
            assert (await api_a.post("/api/v1/users/gateway-user/disable", headers=admin)).status_code == 200
            assert (await api_b.get("/api/v1/auth/me", headers=gateway)).status_code == 401
