"""Screening over HTTP against a real ``kefu serve`` process, at a steady request rate.

The load is open-loop: request *i* is due at ``start + i / rate`` whatever happened before, and its latency
is measured from that due time, so a slow server cannot hide its queueing by slowing the client down
(coordinated omission). Each request is a fresh payment from the labelled generator (payers by external id,
so every screening also looks the customer up), and every answer is stored with its audit entry, as in
production. The server runs in its own process on a fresh SQLite file; with ``redis_url`` its counters live
in Redis under a throw-away prefix.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import bootstrap
from kefu.config import load_settings
from kefu.domain.commands import CreateUser, IssueToken
from kefu.domain.users import SYSTEM_ACTOR
from kefu.sim.payments import generate_payments


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _requests(count: int, seed: int) -> list[dict[str, Any]]:
    # Payment times run with the wall clock so counters and hold expiry behave as in production.
    now = datetime.now(UTC)
    out = []
    records = list(generate_payments(count, seed=seed, scam_rate=0.02))
    first = datetime.fromisoformat(records[0]["created_at"])
    for r in records:
        body = {k: v for k, v in r.items() if k not in {"payer_profile", "label"}}
        body["payment_id"] = f"b-{uuid.uuid4().hex[:8]}-{r['payment_id']}"
        body["payer"] = {"external_id": r["payer"]["customer_id"]}
        shifted = now + (datetime.fromisoformat(r["created_at"]) - first) / 1000
        body["created_at"] = shifted.isoformat()
        out.append(body)
    return out


async def _token(database_url: str) -> str:
    settings = load_settings(database_url=database_url)
    kefu = await bootstrap(settings, hasher=Argon2Hasher(fast=True), publisher=InProcessBus(), routing=False)
    try:
        await kefu.bus.handle(CreateUser("bench-gateway", "bench-password", "integration"), SYSTEM_ACTOR)
        issued = await kefu.bus.handle(IssueToken("bench-gateway", 1), SYSTEM_ACTOR)
        return str(issued.access_token)
    finally:
        await kefu.close()


def _kefu_command() -> list[str]:
    script = Path(sys.executable).parent / "kefu"
    if script.exists():
        return [str(script)]
    found = shutil.which("kefu")
    return [found] if found else [sys.executable, "-c", "from kefu.entrypoints.cli import main; main()"]


async def _wait_ready(client: httpx.AsyncClient, deadline_s: float = 30.0) -> None:
    until = time.monotonic() + deadline_s
    while time.monotonic() < until:
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("kefu serve did not become healthy in time")


def _quantile(sorted_ms: list[float], q: float) -> float:
    return round(sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * q))], 2)


class _Connection:
    """One keep-alive HTTP/1.1 connection with the bare minimum of parsing: the load generator must cost
    far less than the server it measures (a general-purpose client pool does not at 500 requests/s)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.head = (
            "POST /api/v1/payments/screen HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


async def _steady_load(
    port: int, token: str, bodies: list[dict[str, Any]], rate: float, connections: int = 64
) -> dict[str, Any]:
    """Open loop: a dispatcher releases request i at its due time; a pool of connections sends them."""
    encoded = [json.dumps(b, ensure_ascii=False).encode() for b in bodies]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    decisions: dict[str, int] = {}
    due_queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    async def worker() -> None:
        conn = _Connection(port, token)
        try:
            while (item := await due_queue.get()) is not None:
                i, due = item
                status, payload = await conn.post(encoded[i])
                latencies.append((time.perf_counter() - due) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    d = json.loads(payload)["decision"]
                    decisions[d] = decisions.get(d, 0) + 1
        finally:
            await conn.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start = time.perf_counter() + 0.05
    late = 0
    for i in range(len(encoded)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.005:
            late += 1
        due_queue.put_nowait((i, due))
    for _ in workers:
        due_queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(encoded),
        "target_rate_per_s": rate,
        "achieved_rate_per_s": round(len(encoded) / elapsed, 1),
        "latency_ms": {
            "p50": _quantile(latencies, 0.50),
            "p90": _quantile(latencies, 0.90),
            "p99": _quantile(latencies, 0.99),
            "max": round(latencies[-1], 2),
        },
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "decisions": dict(sorted(decisions.items())),
        "dispatched_late_over_5ms": late,
        "connections": connections,
    }


async def run_http_bench_async(
    rate: float, seconds: float, redis_url: str | None, warmup: int, seed: int
) -> dict[str, Any]:
    count = int(rate * seconds)
    with tempfile.TemporaryDirectory(prefix="kefu-bench-screen-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        token = await _token(url)
        port = _free_port()
        env = {
            **os.environ,
            "KEFU_DATABASE_URL": url,
            "KEFU_HOST": "127.0.0.1",
            "KEFU_PORT": str(port),
            "KEFU_LOG_JSON": "true",
        }
        env.pop("KEFU_NATS_URL", None)
        env.pop("KEFU_REDIS_URL", None)
        prefix = f"bench:scr:{uuid.uuid4().hex}"
        if redis_url:
            env["KEFU_REDIS_URL"] = redis_url
            env["KEFU_COUNTERS_PREFIX"] = prefix
        server = await asyncio.create_subprocess_exec(
            *_kefu_command(), "serve", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30.0
            ) as client:
                await _wait_ready(client)
                bodies = _requests(warmup + count, seed)
                await _steady_load(port, token, bodies[:warmup], min(rate, 200.0))
                result = await _steady_load(port, token, bodies[warmup:], rate)
        finally:
            server.terminate()
            try:
                await asyncio.wait_for(server.wait(), timeout=10)
            except TimeoutError:
                server.kill()
                await server.wait()
            if redis_url:
                await _drop_prefix(redis_url, prefix)
    result["server"] = "kefu serve (uvicorn, one process), SQLite, " + (
        "Redis counters" if redis_url else "in-memory counters"
    )
    result["warmup_requests"] = warmup
    return result


async def _drop_prefix(redis_url: str, prefix: str) -> None:
    from redis.asyncio import Redis  # noqa: PLC0415 - only when Redis was used

    client = Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*", count=1000)]
        for i in range(0, len(keys), 1000):
            await client.delete(*keys[i : i + 1000])
    finally:
        await client.aclose()


def run_http_bench(
    rate: float = 500.0,
    seconds: float = 20.0,
    redis_url: str | None = None,
    warmup: int = 500,
    seed: int = 11,
) -> dict[str, Any]:
    return asyncio.run(run_http_bench_async(rate, seconds, redis_url, warmup, seed))


__all__ = ["run_http_bench"]
