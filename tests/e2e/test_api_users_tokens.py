"""Users and API tokens that can be revoked: the admin API and the `kefu user` / `kefu token` commands."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from kefu.bootstrap import Kefu
from tests.conftest import TEST_PASSWORD, Database, make_user
from tests.e2e.test_server_process import hermetic_env, run_cli

LOGIN = "/api/v1/auth/login"


async def _login(api: httpx.AsyncClient, username: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    r = await api.post(LOGIN, json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_disabling_a_user_over_the_api_revokes_its_live_session_at_once(
    api: httpx.AsyncClient, kefu: Kefu, headers: dict[str, dict[str, str]]
) -> None:
    """POST /users/{name}/disable: the user's open session is 401 on its next call; enable lets it sign in."""
    await make_user(kefu, "wang.wu", "agent")
    session = await _login(api, "wang.wu")
    assert (await api.get("/api/v1/auth/me", headers=session)).status_code == 200
    r = await api.post("/api/v1/users/wang.wu/disable", headers=headers["admin"])
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await api.get("/api/v1/auth/me", headers=session)).status_code == 401
    assert (await api.post(LOGIN, json={"username": "wang.wu", "password": TEST_PASSWORD})).status_code == 401
    assert (await api.post("/api/v1/users/wang.wu/enable", headers=headers["admin"])).json()["active"] is True
    assert (await api.get("/api/v1/auth/me", headers=session)).status_code == 401
    assert (await api.get("/api/v1/auth/me", headers=await _login(api, "wang.wu"))).status_code == 200


async def test_setting_a_password_over_the_api_revokes_earlier_sessions(
    api: httpx.AsyncClient, kefu: Kefu, headers: dict[str, dict[str, str]]
) -> None:
    """PUT /users/{name}/password: sessions from before are 401, the new password signs in, the old not."""
    await make_user(kefu, "wang.wu", "agent")
    session = await _login(api, "wang.wu")
    r = await api.put(
        "/api/v1/users/wang.wu/password", json={"password": "new-pass-4321"}, headers=headers["admin"]
    )
    assert r.status_code == 200, r.text
    assert (await api.get("/api/v1/auth/me", headers=session)).status_code == 401
    assert (await api.post(LOGIN, json={"username": "wang.wu", "password": TEST_PASSWORD})).status_code == 401
    await _login(api, "wang.wu", "new-pass-4321")


async def test_user_administration_is_for_admins_only(
    api: httpx.AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    """Supervisors, agents and integrations get 403 on every user and token endpoint."""
    for role in ("supervisor", "agent", "integration"):
        h = headers[role]
        assert (await api.get("/api/v1/users", headers=h)).status_code == 403
        assert (await api.post("/api/v1/users/agent-user/disable", headers=h)).status_code == 403
        assert (await api.get("/api/v1/tokens", headers=h)).status_code == 403
        body = {"username": "integration", "name": "x"}
        assert (await api.post("/api/v1/tokens", json=body, headers=h)).status_code == 403
    listed = (await api.get("/api/v1/users", params={"limit": 2}, headers=headers["admin"])).json()
    assert len(listed["items"]) == 2 and listed["next_cursor"]
    assert "password_hash" not in listed["items"][0]


async def test_an_integration_token_is_named_listed_scoped_and_revoked(
    api: httpx.AsyncClient, kefu: Kefu, headers: dict[str, dict[str, str]]
) -> None:
    """POST /tokens issues a scoped token shown once; GET lists it without the secret; DELETE kills it."""
    admin = headers["admin"]
    await make_user(kefu, "gateway", "integration")
    r = await api.post(
        "/api/v1/tokens",
        json={"username": "gateway", "name": "payments", "scopes": ["kb.read"]},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["name"] == "payments" and issued["scopes"] == ["kb.read"]
    token = {"Authorization": f"Bearer {issued['access_token']}"}
    assert (await api.get("/api/v1/kb/articles", headers=token)).status_code == 200
    refused = await api.get("/api/v1/customers", headers=token)
    assert refused.status_code == 403 and "scopes" in refused.json()["detail"]
    listed = (await api.get("/api/v1/tokens", params={"username": "gateway"}, headers=admin)).json()["items"]
    assert [t["name"] for t in listed] == ["api", "payments"]  # make_user's token, then this one
    assert listed[1]["id"] == issued["id"]
    assert all("access_token" not in t for t in listed)
    revoked = await api.delete(f"/api/v1/tokens/{issued['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert (await api.get("/api/v1/kb/articles", headers=token)).status_code == 401
    assert (await api.delete("/api/v1/tokens/nope", headers=admin)).status_code == 404


@pytest.mark.parametrize("days", [0, 366, 3650])
async def test_a_token_lives_at_most_a_year(
    api: httpx.AsyncClient, kefu: Kefu, headers: dict[str, dict[str, str]], days: int
) -> None:
    """POST /tokens refuses a lifetime outside 1..365 days with 422."""
    await make_user(kefu, "gateway", "integration")
    body = {"username": "gateway", "name": "long", "days": days}
    assert (await api.post("/api/v1/tokens", json=body, headers=headers["admin"])).status_code == 422


def test_the_cli_lists_disables_enables_and_revokes(sqlite_database: Database, tmp_path: Path) -> None:
    """`kefu user list|disable|enable|set-password` and `kefu token create|list|revoke` work end to end."""
    env = hermetic_env(sqlite_database)

    def ok(*args: str, stdin: str | None = None) -> str:
        result = run_cli(list(args), env, tmp_path, stdin=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout

    ok("user", "create", "gateway", "--role", "integration", stdin=TEST_PASSWORD + "\n")
    ok("token", "create", "gateway", "--name", "payments", "--scope", "kb.read")
    (line,) = ok("token", "list", "--username", "gateway").splitlines()
    token_id = line.split()[0]
    assert "payments" in line and "kb.read" in line and "expires" in line
    assert "revoked token" in ok("token", "revoke", token_id)
    assert "revoked" in ok("token", "list")
    assert "disabled" in ok("user", "disable", "gateway")
    assert "gateway" in ok("user", "list") and "disabled" in ok("user", "list")
    ok("user", "enable", "gateway")
    assert "active" in ok("user", "list")
    assert "changed" in ok("user", "set-password", "gateway", stdin="another-pass-7\n")
    too_long = run_cli(["token", "create", "gateway", "--days", "3650"], env, tmp_path)
    assert too_long.returncode != 0
    made = ok(
        "user", "create", "wu.sup", "--role", "supervisor", "--site", "wuhan", stdin=TEST_PASSWORD + "\n"
    )
    assert "sites=wuhan" in made
    unknown = ["user", "create", "x.sup", "--role", "supervisor", "--site", "atlantis"]
    assert run_cli(unknown, env, tmp_path, stdin=TEST_PASSWORD + "\n").returncode != 0
