"""``kefu serve --workers N``: several API processes on one port (each a cluster's API node), on PostgreSQL
with Redis counters and NATS only; the embedded default refuses more than one."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import Database
from tests.e2e.test_server_process import (
    START_TIMEOUT_S,
    bearer,
    create_user_token,
    free_port,
    hermetic_env,
    kefu_executable,
    run_cli,
)


def test_more_than_one_worker_is_refused_on_sqlite(sqlite_database: Database, tmp_path: Path) -> None:
    """SQLite takes one writer: --workers 2 on the embedded default exits non-zero with a one-line error."""
    done = run_cli(["serve", "--workers", "2"], hermetic_env(sqlite_database), tmp_path)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == ["kefu serve: --workers > 1 needs PostgreSQL (KEFU_DATABASE_URL)"]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_more_than_one_worker_needs_redis(database: Database, tmp_path: Path) -> None:
    """Counters kept in each process would undercount a payer: without Redis, --workers 2 is refused."""
    done = run_cli(["serve", "--workers", "2"], hermetic_env(database), tmp_path)
    assert done.returncode != 0
    assert "needs Redis" in done.stderr


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_more_than_one_worker_needs_nats(database: Database, redis_url: str, tmp_path: Path) -> None:
    """The API processes route nothing themselves: without NATS to reach `kefu router`, --workers 2 is
    refused."""
    done = run_cli(["serve", "--workers", "2"], hermetic_env(database, KEFU_REDIS_URL=redis_url), tmp_path)
    assert done.returncode != 0
    assert "needs NATS" in done.stderr


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_workers_on_postgresql_answer_screenings(
    database: Database, redis_url: str, nats_url: str, tmp_path: Path
) -> None:
    """Two API processes share the port and the counters: every payment is answered and stored once, and
    the repeated payment gets the stored answer whichever process takes it."""
    env = hermetic_env(
        database,
        KEFU_REDIS_URL=redis_url,
        KEFU_COUNTERS_PREFIX=f"t:{uuid.uuid4().hex}",
        KEFU_NATS_URL=nats_url,
        KEFU_NATS_PREFIX=f"t{uuid.uuid4().hex[:12]}",
    )
    token = create_user_token("gateway", "integration", env, tmp_path)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [kefu_executable(), "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=bearer(token), timeout=30) as client:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                assert process.poll() is None, (tmp_path / "serve.log").read_text()
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
            answers = {}
            for n in range(40):
                body = {
                    "payment_id": f"w-{n}",
                    "payer": {"external_id": f"payer-{n % 5}"},
                    "payee": {"account_id": f"acct-{n}", "name": "商户"},
                    "amount": 1000 + n,
                    "currency": "CNY",
                    "channel": "transfer",
                    "created_at": "2026-01-05T02:00:00+00:00",
                }
                # Fresh connections, so the kernel spreads them over both processes.
                with httpx.Client(base_url=client.base_url, headers=client.headers, timeout=30) as one:
                    first = one.post("/api/v1/payments/screen", json=body)
                    again = one.post("/api/v1/payments/screen", json=body)
                assert first.status_code == 200, first.text
                assert again.json() == first.json()
                answers[body["payment_id"]] = first.json()["decision"]
            for payment_id, decision in answers.items():
                stored = client.get(f"/api/v1/payments/{payment_id}")
                assert stored.status_code == 200
                assert stored.json()["decision"] == decision
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
            assert len(children) >= 2, "uvicorn should run two worker processes"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
