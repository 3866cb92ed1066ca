"""The audit log over HTTP (GET /api/v1/audit) and `kefu audit checkpoint|verify` from the command line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from kefu.bootstrap import Kefu
from tests.conftest import TEST_PASSWORD, Database, make_user
from tests.e2e.test_server_process import hermetic_env, run_cli


async def test_admins_and_supervisors_read_the_audit_log_with_filters_and_pages(
    api: httpx.AsyncClient, kefu: Kefu, headers: dict[str, dict[str, str]]
) -> None:
    """GET /audit filters by action and actor, pages with a cursor; agents and integrations get 403."""
    await make_user(kefu, "wang.wu", "agent")
    for _ in range(3):
        await api.post("/api/v1/auth/login", json={"username": "wang.wu", "password": TEST_PASSWORD})
    first = await api.get(
        "/api/v1/audit", params={"action": "login.succeeded", "limit": 2}, headers=headers["admin"]
    )
    assert first.status_code == 200, first.text
    page = first.json()
    assert [e["actor"] for e in page["items"]] == ["wang.wu", "wang.wu"]
    assert all(e["seq"] and len(e["hash"]) == 64 for e in page["items"])
    rest = await api.get(
        "/api/v1/audit",
        params={"action": "login.succeeded", "cursor": page["next_cursor"]},
        headers=headers["supervisor"],
    )
    assert [e["action"] for e in rest.json()["items"]] == ["login.succeeded"]
    assert rest.json()["next_cursor"] is None
    created = await api.get("/api/v1/audit", params={"action": "user.created"}, headers=headers["admin"])
    assert "wang.wu" in [e["detail"]["username"] for e in created.json()["items"]]
    for role in ("agent", "integration"):
        assert (await api.get("/api/v1/audit", headers=headers[role])).status_code == 403


def test_the_cli_checkpoints_and_catches_a_rewritten_entry(sqlite_database: Database, tmp_path: Path) -> None:
    """`kefu audit verify` exits 0 on an intact log and 1 naming the entry once a row was rewritten."""
    env = hermetic_env(sqlite_database)
    made = run_cli(
        ["user", "create", "lin.fang", "--role", "agent"], env, tmp_path, stdin=TEST_PASSWORD + "\n"
    )
    assert made.returncode == 0, made.stderr
    checkpoint = run_cli(["audit", "checkpoint"], env, tmp_path)
    assert checkpoint.returncode == 0 and "checkpoint at seq 1" in checkpoint.stdout, checkpoint.stderr
    intact = run_cli(["audit", "verify"], env, tmp_path)
    assert intact.returncode == 0 and "audit log intact" in intact.stdout, intact.stdout + intact.stderr
    path = sqlite_database.url.split(":///", 1)[1]
    with sqlite3.connect(path) as conn:  # the database's owner, going around kefu and its triggers
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute('UPDATE audit_log SET detail = \'{"username": "mallory"}\' WHERE seq = 1')
    tampered = run_cli(["audit", "verify"], env, tmp_path)
    assert tampered.returncode == 1
    assert "TAMPERED" in tampered.stdout and "changed after it was written" in tampered.stdout
