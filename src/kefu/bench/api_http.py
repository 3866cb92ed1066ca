"""Opening conversations over HTTP against real ``kefu serve`` processes, as a helpdesk client would: 200
customers, then ``creates`` new conversations (closed loop at each concurrency), then ``reads`` single reads
of conversations just opened. Several builds can be measured in one run, as in ``screening_http``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import uuid
from collections.abc import Mapping
from typing import Any

from kefu.bench.load import Request, run_load
from kefu.bench.server import serving

CUSTOMERS = 200
TEXTS = ("我的账户被冻结了，怎么办？", "充值没有到账", "How do I change my phone number?", "游戏账号被盗了")


async def _one_build(
    kefu: str, connections: list[int], creates: int, reads: int, database_url: str | None, workers: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    run = uuid.uuid4().hex[:8]
    # Several API processes need shared counters (kefu serve refuses otherwise).
    redis = os.environ.get("KEFU_REDIS_URL") if workers > 1 else None
    async with serving(kefu, database_url=database_url, redis_url=redis, workers=workers) as served:
        people = [
            Request(
                "POST",
                "/api/v1/customers",
                json.dumps({"external_id": f"{run}-{n}", "name": f"客户{n}"}).encode(),
            )
            for n in range(CUSTOMERS)
        ]
        made = await run_load(
            served.port, served.token, people, connections=4, keep_bodies=True, progress=False
        )
        ids = [json.loads(b)["id"] for b in made.pop("_bodies")]
        for c in connections:
            opens = [
                Request(
                    "POST",
                    "/api/v1/conversations",
                    json.dumps(
                        {"customer_id": ids[n % len(ids)], "channel": "chat", "text": TEXTS[n % len(TEXTS)]},
                        ensure_ascii=False,
                    ).encode(),
                )
                for n in range(creates)
            ]
            result = await run_load(
                served.port,
                served.token,
                opens,
                connections=c,
                server_pid=served.pid,
                keep_bodies=True,
                label=f"open conversations, {c} connections",
            )
            opened = [json.loads(b)["id"] for b in result.pop("_bodies") if b.startswith(b'{"id"')]
            out[f"create_{c}"] = result
        gets = [Request("GET", f"/api/v1/conversations/{opened[n % len(opened)]}") for n in range(reads)]
        out["read_1"] = await run_load(
            served.port, served.token, gets, connections=1, server_pid=served.pid, label="single reads"
        )
    return out


async def run_api_http_bench_async(
    builds: Mapping[str, str],
    *,
    connections: list[int],
    creates: int,
    reads: int,
    rounds: int,
    database_url: str | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in builds}
    order = list(builds)
    for n in range(rounds):
        for label in order if n % 2 == 0 else order[::-1]:
            runs[label].append(
                await _one_build(builds[label], connections, creates, reads, database_url, workers)
            )
    median = {
        label: {
            shape: {
                "throughput_per_s": statistics.median(r[shape]["throughput_per_s"] for r in rs),
                **{
                    f"{q}_ms": statistics.median(r[shape]["latency_ms"][q] for r in rs)
                    for q in ("p50", "p90", "p99", "max")
                },
                "errors": max(r[shape]["errors"] for r in rs),
                "server_cores": statistics.median(r[shape]["cpu"]["server_cores"] or 0.0 for r in rs),
            }
            for shape in rs[0]
        }
        for label, rs in runs.items()
    }
    return {
        "server": {
            "database": "PostgreSQL" if database_url else "SQLite (embedded default)",
            "workers": workers,
        },
        "rounds": rounds,
        "median": median,
        "runs": runs,
    }


def run_api_http_bench(builds: Mapping[str, str], **options: Any) -> dict[str, Any]:
    return asyncio.run(run_api_http_bench_async(builds, **options))


__all__ = ["run_api_http_bench"]
