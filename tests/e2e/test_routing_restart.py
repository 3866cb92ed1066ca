"""Routing survives a power cut: SIGKILL during traffic, restart, and every task is in a valid state."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from kefu.adapters.store.engine import create_engine
from tests.conftest import Database
from tests.e2e.test_server_process import (
    PASSWORD,
    Acknowledged,
    KefuServer,
    bearer,
    create_user_token,
    hermetic_env,
    run_cli,
    server_factory,  # noqa: F401 - fixture
    traffic,
)

EXPECTED_TASK_STATES = {
    "queued": {"waiting", "offered"},
    "assigned": {"assigned"},
    "resolved": {"ended"},
    "closed": {"ended"},
    "abandoned": {"ended"},
}


def agent_at_work(url: str, token: str, agent_id: str, stop: threading.Event, handled: list[str]) -> None:
    """Accept every offer and resolve every other conversation, until the server dies."""
    with httpx.Client(base_url=url, headers=bearer(token), timeout=10.0) as client:
        n = 0
        while not stop.is_set():
            try:
                offers = client.get(f"/api/v1/agents/{agent_id}/offers")
                for offer in offers.json() if offers.status_code == 200 else []:
                    r = client.post(f"/api/v1/offers/{offer['id']}/accept")
                    if r.status_code == 200:
                        n += 1
                        conv = r.json()["conversation_id"]
                        handled.append(conv)
                        if n % 2 == 0:
                            client.post(
                                f"/api/v1/conversations/{conv}/resolve", json={"disposition": "solved"}
                            )
                time.sleep(0.02)
            except httpx.TimeoutException:
                continue  # a slow answer on a busy machine is not the kill
            except httpx.TransportError:
                return


async def task_states(database: Database) -> tuple[list[tuple[str, str, str | None]], dict[str, list]]:
    engine = create_engine(database.url, schema=database.schema)
    try:
        async with engine.connect() as conn:
            convs = (await conn.execute(text("SELECT id, status, agent_id FROM conversations"))).all()
            tasks = (await conn.execute(text("SELECT subject_id, state, agent_id, id FROM tasks"))).all()
            offers = (
                await conn.execute(text("SELECT task_id, agent_id FROM offers WHERE status = 'pending'"))
            ).all()
            audit = (
                await conn.execute(text("SELECT subject_id, action, actor, at FROM audit_log ORDER BY id"))
            ).all()
    finally:
        await engine.dispose()
    by_subject: dict[str, list] = {}
    for t in tasks:
        by_subject.setdefault(t[0], []).append(t)
    history: dict[str, list] = {}
    for a in audit:
        history.setdefault(a[0], []).append((a[1], a[2], str(a[3])))
    found = {"tasks": by_subject, "offers": list(offers), "history": history}
    return [(c[0], c[1], c[2]) for c in convs], found  # type: ignore[return-value]


def check_tasks(convs: list[tuple[str, str, str | None]], found: dict[str, list]) -> None:
    tasks: dict[str, list] = found["tasks"]  # type: ignore[assignment]
    for conv_id, status, agent_id in convs:
        rows = tasks.get(conv_id, [])
        assert len(rows) == 1, f"conversation {conv_id} has {len(rows)} tasks"
        _, state, task_agent, _ = rows[0]
        assert state in EXPECTED_TASK_STATES[status], (conv_id, status, state, found["history"].get(conv_id))
        if status == "assigned":
            assert task_agent == agent_id
    pending = Counter(task_id for task_id, _ in found["offers"])
    assert all(n == 1 for n in pending.values()), "a task is offered twice at once"
    offered = {row[0][3] for row in tasks.values() if row[0][1] == "offered"}
    assert offered == set(pending), "offered tasks and pending offers disagree"


def kill_and_check(database: Database, workdir: Path, servers: list[KefuServer]) -> None:
    env = hermetic_env(database, KEFU_WRAP_UP_S="1")
    gateway = create_user_token("gateway", "integration", env, workdir)
    admin = create_user_token("root", "admin", env, workdir)
    made = run_cli(["user", "create", "fang.qing", "--role", "agent"], env, workdir, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    server = KefuServer(env, workdir)
    servers.append(server)
    server.start()
    with httpx.Client(base_url=server.url, headers=bearer(admin), timeout=10.0) as client:
        body = {
            "name": "方晴",
            "site": "chongqing",
            "skills": {"payments": 4},
            "capacity": {"chat": 3},
            "username": "fang.qing",
        }
        agent_id = client.post("/api/v1/agents", json=body).json()["id"]
    agent_token = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": "fang.qing", "password": PASSWORD}
    ).json()["access_token"]
    r = httpx.put(
        f"{server.url}/api/v1/agents/{agent_id}/presence",
        json={"presence": "available"},
        headers=bearer(agent_token),
    )
    assert r.status_code == 200

    acked, stop, handled = Acknowledged(), threading.Event(), []
    run = uuid.uuid4().hex[:8]
    threads = [
        threading.Thread(target=traffic, args=(server.url, gateway, f"{run}t{i}", acked, stop), daemon=True)
        for i in range(2)
    ]
    threads.append(
        threading.Thread(
            target=agent_at_work, args=(server.url, agent_token, agent_id, stop, handled), daemon=True
        )
    )
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while (acked.count() < 40 or len(handled) < 4) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(handled) >= 4, f"the agent took no work:\n{server.log()}"
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    convs, found = asyncio.run(task_states(database))
    check_tasks(convs, found)  # what the crash left on disk is already consistent

    server.start()
    convs, found = asyncio.run(task_states(database))
    check_tasks(convs, found)
    with httpx.Client(base_url=server.url, headers=bearer(agent_token), timeout=10.0) as client:
        # The engine was rebuilt: once the agent finishes what they hold, waiting work reaches them.
        for conv_id, status, owner in convs:
            if status == "assigned" and owner == agent_id:
                r = client.post(f"/api/v1/conversations/{conv_id}/resolve", json={"disposition": "solved"})
                assert r.status_code == 200, r.text
        waiting = [c for c in convs if c[1] == "queued"]
        assert waiting, "the traffic left no waiting work to check routing with"
        deadline = time.monotonic() + 30
        offers: list = []
        while not offers and time.monotonic() < deadline:
            offers = client.get(f"/api/v1/agents/{agent_id}/offers").json()
            time.sleep(0.05)
        assert offers, "no offer after restart although work was waiting and the agent had room"
        assert {o["conversation_id"] for o in offers} <= {c[0] for c in waiting}
    server.stop()


@pytest.mark.both_databases
@pytest.mark.slow
async def test_sigkill_during_routing_leaves_every_task_valid(
    database: Database,
    tmp_path: Path,
    server_factory: list[KefuServer],  # noqa: F811 - fixture
) -> None:
    """SIGKILL while contacts arrive and an agent works: tasks, offers and conversations still agree."""
    await asyncio.to_thread(kill_and_check, database, tmp_path, server_factory)
