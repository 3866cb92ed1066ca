"""Screening over HTTP against real ``kefu serve`` processes: closed loop at N connections and open loop at
a steady rate, each request a fresh payment from the labelled generator (payers by external id, so every
screening also looks the customer up) with a unique ``payment_id``; every answer is stored with its audit
entry, as in production. A login storm (24 concurrent logins) measures ``/healthz`` beside it.

Several builds can be measured in one run (``builds``: label → ``kefu`` executable): each round starts every
build in turn on a fresh database, with the same load; the rounds alternate the order, and the summary
gives the median of each figure over the rounds.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kefu.bench.load import Request, run_load
from kefu.bench.server import serving
from kefu.sim.payments import generate_payments

PATH = "/api/v1/payments/screen"


def payment_requests(count: int, seed: int) -> list[Request]:
    """``count`` screen requests with unique payment ids; payment times run with the wall clock so counters
    and hold expiry behave as in production."""
    now = datetime.now(UTC)
    out = []
    records = list(generate_payments(count, seed=seed, scam_rate=0.02))
    first = datetime.fromisoformat(records[0]["created_at"])
    run = uuid.uuid4().hex[:8]
    for r in records:
        body = {k: v for k, v in r.items() if k not in {"payer_profile", "label"}}
        body["payment_id"] = f"b-{run}-{r['payment_id']}"
        body["payer"] = {"external_id": r["payer"]["customer_id"]}
        shifted = now + (datetime.fromisoformat(r["created_at"]) - first) / 1000
        body["created_at"] = shifted.isoformat()
        out.append(Request("POST", PATH, json.dumps(body, ensure_ascii=False).encode()))
    return out


def _decided(status: int, payload: bytes) -> bool:
    return b'"decision"' in payload


async def _login_storm(port: int, seconds: float, logins: int = 24) -> dict[str, Any]:
    """``logins`` connections signing in back to back while /healthz is asked 50 times a second."""
    body = json.dumps({"username": "bench-caller", "password": "bench-password"}).encode()
    count = max(logins, int(seconds * 20))
    storm = asyncio.create_task(
        run_load(
            port,
            None,
            [Request("POST", "/api/v1/auth/login", body)] * count,
            connections=logins,
            progress=False,
        )
    )
    await asyncio.sleep(0.2)
    probes = [Request("GET", "/healthz")] * int(seconds * 50)
    health = await run_load(port, None, probes, connections=4, rate=50.0, progress=False)
    logins_done = await storm
    return {"healthz": health, "logins": logins_done}


async def _one_build(
    kefu: str,
    *,
    closed: list[int],
    closed_requests: int,
    rates: list[float],
    seconds: float,
    warmup: int,
    seed: int,
    database_url: str | None,
    redis_url: str | None,
    workers: int,
    storm: bool,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with serving(kefu, database_url=database_url, redis_url=redis_url, workers=workers) as served:
        total = warmup + len(closed) * closed_requests + sum(int(r * seconds) for r in rates)
        # requests=0 or seconds=0 leaves that shape out (e.g. to measure the login storm alone).
        bodies = payment_requests(total, seed)
        await run_load(served.port, served.token, bodies[:warmup], connections=8, progress=False)
        at = warmup
        for connections in closed if closed_requests else []:
            chunk = bodies[at : at + closed_requests]
            at += closed_requests
            out[f"closed_{connections}"] = await run_load(
                served.port,
                served.token,
                chunk,
                connections=connections,
                server_pid=served.pid,
                label=f"closed loop, {connections} connections",
                check=_decided,
            )
        for rate in rates if seconds else []:
            count = int(rate * seconds)
            chunk = bodies[at : at + count]
            at += count
            out[f"open_{rate:g}"] = await run_load(
                served.port,
                served.token,
                chunk,
                connections=64,
                rate=rate,
                server_pid=served.pid,
                label=f"open loop, {rate:g}/s",
                check=_decided,
            )
        if storm:
            out["login_storm"] = await _login_storm(served.port, 10.0)
    return out


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median over rounds of each shape's throughput, latencies, errors and CPU."""
    summary: dict[str, Any] = {}
    for shape in runs[0]:
        if shape == "login_storm":
            values = [r[shape]["healthz"]["latency_ms"] for r in runs]
            summary[shape] = {
                "healthz_p50_ms": statistics.median(v["p50"] for v in values),
                "healthz_p99_ms": statistics.median(v["p99"] for v in values),
                "healthz_max_ms": statistics.median(v["max"] for v in values),
                "logins_per_s": statistics.median(r[shape]["logins"]["throughput_per_s"] for r in runs),
            }
            continue
        rs = [r[shape] for r in runs]
        summary[shape] = {
            "throughput_per_s": statistics.median(x["throughput_per_s"] for x in rs),
            **{
                f"{q}_ms": statistics.median(x["latency_ms"][q] for x in rs)
                for q in ("p50", "p90", "p99", "max")
            },
            "errors": max(x["errors"] for x in rs),
            "server_cores": statistics.median(x["cpu"]["server_cores"] or 0.0 for x in rs),
            "generator_cores": statistics.median(x["cpu"]["generator_cores"] for x in rs),
            "machine_idle_cores": statistics.median(x["cpu"]["machine_idle_cores"] or 0.0 for x in rs),
        }
    return summary


async def run_http_bench_async(
    builds: Mapping[str, str],
    *,
    closed: list[int],
    closed_requests: int,
    rates: list[float],
    seconds: float,
    rounds: int,
    warmup: int = 300,
    seed: int = 11,
    database_url: str | None = None,
    redis_url: str | None = None,
    workers: int = 1,
    storm: bool = True,
) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in builds}
    order = list(builds)
    for n in range(rounds):
        for label in order if n % 2 == 0 else order[::-1]:
            runs[label].append(
                await _one_build(
                    builds[label],
                    closed=closed,
                    closed_requests=closed_requests,
                    rates=rates,
                    seconds=seconds,
                    warmup=warmup,
                    seed=seed + n,
                    database_url=database_url,
                    redis_url=redis_url,
                    workers=workers,
                    storm=storm,
                )
            )
    return {
        "server": {
            "database": "PostgreSQL" if database_url else "SQLite (embedded default)",
            "counters": "Redis" if redis_url else "in memory",
            "workers": workers,
        },
        "rounds": rounds,
        "median": {label: _medians(r) for label, r in runs.items()},
        "runs": runs,
    }


def run_http_bench(builds: Mapping[str, str], **options: Any) -> dict[str, Any]:
    return asyncio.run(run_http_bench_async(builds, **options))


__all__ = ["payment_requests", "run_http_bench"]
