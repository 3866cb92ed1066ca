"""``kefu bench cluster``: a real cluster on the local PostgreSQL and NATS, measured end to end over HTTP.

- Routing decisions per second through 2 API nodes, with 1 partition and with 2: chats are opened through
  the nodes in turn while agents (one client each) read their offers, accept and resolve; a decision is an
  accepted offer, counted from the first chat opened to the last resolved.
- Router takeover: the active router is SIGKILLed N times; the time from the kill until the standby holds
  the lease (min/median/max), then the killed router is started again as the next standby.
- What one more API node adds: the first figure again with 3 API nodes.

Each scenario runs in a database and under a NATS prefix of its own, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from kefu.bench.processes import Cluster, create_database, drop_database
from kefu.services.routing.partitions import parse_partitions

PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway user of a throwaway database
LEASE_S = 2.0


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)  # noqa: T201 - the progress goes to stderr, figures to stdout


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Scenario:
    """One cluster in a database of its own."""

    def __init__(self, admin_url: str, nats_url: str, partitions: str, workdir: Path) -> None:
        self.admin_url = admin_url
        self.name = f"kefu_bench_{uuid.uuid4().hex[:8]}"
        url = create_database(admin_url, self.name)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KEFU_")},
            "KEFU_DATABASE_URL": url,
            "KEFU_NATS_URL": nats_url,
            "KEFU_NATS_PREFIX": self.name,
            "KEFU_PARTITIONS": partitions,
            "KEFU_ROUTER_LEASE_S": str(LEASE_S),
            "KEFU_WRAP_UP_S": "0",
            "KEFU_OFFER_TIMEOUT_S": "30",
        }
        kefu = str(Path(sys.executable).parent / "kefu")
        subprocess.run([kefu, "db", "upgrade"], env=self.env, check=True, capture_output=True)  # noqa: S603
        self.kefu = kefu
        self.cluster = Cluster(self.env, workdir, kefu)

    def cli(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run(  # noqa: S603 - our own console script
            [self.kefu, *args], env=self.env, input=stdin, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def close(self) -> None:
        self.cluster.stop()
        drop_database(self.admin_url, self.name)


async def _people(scenario: Scenario, url: str, agents: int, lines: list[str]) -> tuple[str, dict[str, str]]:
    scenario.cli("user", "create", "admin", "--role", "admin", stdin=PASSWORD + "\n")
    admin = {"Authorization": f"Bearer {scenario.cli('token', 'create', 'admin')}"}
    tokens: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def user(name: str, role: str) -> str:
            r = await client.post(
                "/api/v1/users", json={"username": name, "password": PASSWORD, "role": role}, headers=admin
            )
            r.raise_for_status()
            r = await client.post("/api/v1/tokens", json={"username": name, "name": "bench"}, headers=admin)
            r.raise_for_status()
            return str(r.json()["access_token"])

        gateway = await user("gateway", "integration")
        for i in range(agents):
            name = f"agent{i:03d}"
            token = await user(name, "agent")
            body = {
                "name": name,
                "site": "wuhan",
                "skills": {lines[i % len(lines)]: 3},
                "capacity": {"chat": 4},
                "username": name,
            }
            r = await client.post("/api/v1/agents", json=body, headers=admin)
            r.raise_for_status()
            tokens[r.json()["id"]] = token
    return gateway, tokens


async def _decisions(
    urls: list[str], gateway: str, agents: dict[str, str], lines: list[str], chats: int
) -> dict[str, Any]:
    clients = [httpx.AsyncClient(base_url=u, timeout=30) for u in urls]
    accepted = 0
    resolved = 0
    try:
        for i, (agent_id, token) in enumerate(agents.items()):
            while True:
                r = await clients[i % len(clients)].put(
                    f"/api/v1/agents/{agent_id}/presence",
                    json={"presence": "available"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                if r.status_code == 200:
                    break
                await asyncio.sleep(0.2)
        began = time.monotonic()

        async def open_all() -> None:
            for n in range(chats):
                client = clients[n % len(clients)]
                head = {"Authorization": f"Bearer {gateway}"}
                r = await client.post(
                    "/api/v1/customers", json={"external_id": f"b-{n}", "name": "王芳"}, headers=head
                )
                body = {
                    "customer_id": r.json()["id"],
                    "business_line": lines[n % len(lines)],
                    "channel": "chat",
                    "text": "你好",
                }
                await client.post("/api/v1/conversations", json=body, headers=head)

        async def agent(i: int, agent_id: str, token: str) -> None:
            nonlocal accepted, resolved
            head = {"Authorization": f"Bearer {token}"}
            while resolved < chats:
                client = clients[i % len(clients)]
                r = await client.get(f"/api/v1/agents/{agent_id}/offers", headers=head)
                offers = r.json() if r.status_code == 200 else []
                if not offers:
                    await asyncio.sleep(0.05)
                for offer in offers:
                    r = await client.post(f"/api/v1/offers/{offer['id']}/accept", headers=head)
                    if r.status_code == 200:
                        accepted += 1
                        conv = r.json()["conversation_id"]
                        r = await client.post(
                            f"/api/v1/conversations/{conv}/resolve", json={"disposition": "ok"}, headers=head
                        )
                        resolved += r.status_code == 200
                        if resolved % max(1, chats // 10) == 0:
                            _progress(f"  {resolved}/{chats} chats resolved")

        workers = [agent(i, a, t) for i, (a, t) in enumerate(agents.items())]
        await asyncio.wait_for(asyncio.gather(open_all(), *workers), timeout=600)
        elapsed = time.monotonic() - began
    finally:
        for c in clients:
            await c.aclose()
    return {
        "chats": chats,
        "accepted": accepted,
        "seconds": round(elapsed, 2),
        "decisions_per_s": round(accepted / elapsed, 1),
    }


def _holder(scenario: Scenario) -> tuple[str, int]:
    import asyncpg  # type: ignore[import-untyped]  # noqa: PLC0415 - asyncpg ships no type information
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    dsn = make_url(scenario.env["KEFU_DATABASE_URL"]).set(drivername="postgresql").render_as_string(False)

    async def read() -> tuple[str, int]:
        conn = await asyncpg.connect(dsn)
        try:
            row = await conn.fetchrow("SELECT holder, token FROM router_leases WHERE partition = 'all'")
        finally:
            await conn.close()
        return ("", 0) if row is None else (str(row["holder"]), int(row["token"]))

    return asyncio.run(read())


def _throughput(
    admin_url: str,
    nats_url: str,
    apis: int,
    partitions: str,
    lines: list[str],
    chats: int,
    agents: int,
    workdir: Path,
) -> dict[str, Any]:
    scenario = Scenario(admin_url, nats_url, partitions, workdir)
    try:
        nodes = [scenario.cluster.add_api(_free_port()) for _ in range(apis)]
        for name in parse_partitions(partitions).names:
            scenario.cluster.add_router(name)
        scenario.cluster.start()
        urls = [n.url or "" for n in nodes]
        gateway, tokens = asyncio.run(_people(scenario, urls[0], agents, lines))
        return asyncio.run(_decisions(urls, gateway, tokens, lines, chats))
    finally:
        scenario.close()


def _takeovers(admin_url: str, nats_url: str, kills: int, workdir: Path) -> dict[str, Any]:
    scenario = Scenario(admin_url, nats_url, "", workdir)
    try:
        routers = [scenario.cluster.add_router(), scenario.cluster.add_router()]
        scenario.cluster.start()
        times: list[float] = []
        for n in range(kills):
            while not _holder(scenario)[0]:
                time.sleep(0.05)
            holder, token = _holder(scenario)
            (victim,) = [r for r in routers if r.label == holder]
            killed = time.monotonic()
            victim.kill()
            while _holder(scenario)[1] <= token:
                time.sleep(0.02)
            times.append(time.monotonic() - killed)
            _progress(f"  takeover {n + 1}/{kills}: {times[-1]:.2f} s")
            victim.start(ready="ready")
        return {
            "kills": kills,
            "lease_s": LEASE_S,
            "min_s": round(min(times), 2),
            "median_s": round(statistics.median(times), 2),
            "max_s": round(max(times), 2),
        }
    finally:
        scenario.close()


def run_cluster_bench(
    *, admin_url: str, nats_url: str, kills: int, chats: int, agents: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kefu-bench-cluster-") as tmp:
        workdir = Path(tmp)
        _progress("[1/4] 2 API nodes, 1 partition")
        one = _throughput(admin_url, nats_url, 2, "", ["social"], chats, agents, workdir)
        _progress("[2/4] 2 API nodes, 2 partitions")
        two = _throughput(admin_url, nats_url, 2, "games=games", ["social", "games"], chats, agents, workdir)
        _progress("[3/4] 3 API nodes, 1 partition")
        three = _throughput(admin_url, nats_url, 3, "", ["social"], chats, agents, workdir)
        _progress(f"[4/4] router takeover over {kills} kills")
        takeover = _takeovers(admin_url, nats_url, kills, workdir)
    return {
        "decisions_2_api_1_partition": one,
        "decisions_2_api_2_partitions": two,
        "decisions_3_api_1_partition": three,
        "third_api_node_adds_pct": round(100 * (three["decisions_per_s"] / one["decisions_per_s"] - 1), 1),
        "takeover": takeover,
        "cores": os.cpu_count(),
    }
