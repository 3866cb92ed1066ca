"""Authentication and authorisation over HTTP."""

from __future__ import annotations

import httpx
import pytest

from kefu.bootstrap import Kefu
from kefu.domain.commands import DisableUser
from kefu.domain.users import SYSTEM_ACTOR
from tests.conftest import TEST_PASSWORD, make_user

PROBLEM = "application/problem+json"


async def test_login_returns_a_bearer_token_that_works(api: httpx.AsyncClient, kefu: Kefu) -> None:
    """A correct username and password yield a bearer token accepted by protected endpoints."""
    await make_user(kefu, "lin.fang", "supervisor")
    r = await api.post("/api/v1/auth/login", json={"username": "lin.fang", "password": TEST_PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_at"].endswith("Z") or "+00:00" in body["expires_at"]
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "lin.fang"
    assert me.json()["role"] == "supervisor"


@pytest.mark.parametrize("password", ["wrong-password", ""])
async def test_login_with_a_bad_password_is_401_problem(
    api: httpx.AsyncClient, kefu: Kefu, password: str
) -> None:
    """Wrong or empty passwords never yield a token, and the error is problem+json."""
    await make_user(kefu, "lin.fang", "agent")
    r = await api.post("/api/v1/auth/login", json={"username": "lin.fang", "password": password})
    assert r.status_code in {401, 422}
    assert r.headers["content-type"].startswith(PROBLEM)
    assert "access_token" not in r.json()


async def test_unknown_user_gets_the_same_answer_as_a_wrong_password(api: httpx.AsyncClient) -> None:
    """Login does not reveal which usernames exist."""
    r = await api.post("/api/v1/auth/login", json={"username": "nobody", "password": "whatever1"})
    assert r.status_code == 401
    assert r.json()["detail"] == "wrong username or password"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/sites"),
        ("GET", "/api/v1/customers"),
        ("POST", "/api/v1/customers"),
        ("GET", "/api/v1/agents"),
        ("GET", "/api/v1/conversations"),
        ("GET", "/api/v1/auth/me"),
    ],
)
async def test_protected_endpoints_need_a_token(api: httpx.AsyncClient, method: str, path: str) -> None:
    """Every API endpoint but login and health answers 401 problem+json without a token."""
    r = await api.request(method, path, json={} if method == "POST" else None)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("token", ["garbage", "eyJhbGciOiJIUzI1NiJ9.e30.x", ""])
async def test_a_forged_or_malformed_token_is_401(api: httpx.AsyncClient, token: str) -> None:
    """Tokens that were not signed by this kefu are refused."""
    r = await api.get("/api/v1/sites", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_public_endpoints_need_no_token(api: httpx.AsyncClient) -> None:
    """Health, the OpenAPI document and the docs page are open."""
    assert (await api.get("/healthz")).status_code == 200
    assert (await api.get("/openapi.json")).json()["info"]["title"] == "kefu"
    assert (await api.get("/docs")).status_code == 200


async def test_roles_are_enforced_with_403(
    api: httpx.AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    """An agent may not register customers or create agents; an integration may not list agents."""
    customer = {"external_id": "c-1", "name": "张三", "language": "zh"}
    assert (await api.post("/api/v1/customers", json=customer, headers=headers["agent"])).status_code == 403
    agent = {"name": "李四", "site": "wuhan", "skills": {"social": 3}, "capacity": {"chat": 2}}
    r = await api.post("/api/v1/agents", json=agent, headers=headers["agent"])
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert (await api.get("/api/v1/agents", headers=headers["integration"])).status_code == 403
    user = {"username": "x.y", "password": "long-enough", "role": "agent"}
    assert (await api.post("/api/v1/users", json=user, headers=headers["supervisor"])).status_code == 403
    assert (await api.post("/api/v1/users", json=user, headers=headers["admin"])).status_code == 201


async def test_a_disabled_or_deleted_user_loses_access_at_once(api: httpx.AsyncClient, kefu: Kefu) -> None:
    """A user disabled through the bus loses access on the next request of this process (its cached
    actor is dropped on commit; other processes within KEFU_AUTH_CACHE_S, see test_api_auth_cache)."""
    h = await make_user(kefu, "temp.worker", "agent")
    assert (await api.get("/api/v1/sites", headers=h)).status_code == 200
    await kefu.bus.handle(DisableUser("temp.worker"), SYSTEM_ACTOR)
    assert (await api.get("/api/v1/sites", headers=h)).status_code == 401
