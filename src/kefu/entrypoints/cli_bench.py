"""``kefu bench …``: measured figures as JSON on stdout (recorded in docs/performance.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from kefu.entrypoints.logging import configure_logging

bench_app = typer.Typer(help="Benchmarks; each prints its figures as JSON.", no_args_is_help=True)

Quick = Annotated[
    bool, typer.Option("--quick", help="A small, fast run (for a smoke check, not for figures).")
]


def _emit(figures: dict[str, Any]) -> None:
    print(json.dumps(figures, ensure_ascii=False, indent=2))  # noqa: T201 - the figures are the output


@bench_app.command("api")
def bench_api(
    quick: Quick = False,
    database_url: Annotated[
        str | None, typer.Option(help="Measure on this database instead of SQLite.")
    ] = None,
    schema: Annotated[str | None, typer.Option(help="PostgreSQL schema to use (must exist, empty).")] = None,
) -> None:
    """HTTP latency of create/read/list, at 1k, 10k and 100k conversations."""
    from kefu.bench.api import run_api_bench  # noqa: PLC0415 - load only the benchmark asked for

    configure_logging(json_logs=False, level="WARNING")
    _emit(run_api_bench(quick=quick, database_url=database_url, schema=schema))


@bench_app.command("routing")
def bench_routing(quick: Quick = False, seed: int = 0) -> None:
    """Routing decisions per second with 1k-100k waiting tasks and 100-10k agents."""
    from kefu.bench.routing import run_routing_bench  # noqa: PLC0415

    _emit(run_routing_bench(quick=quick, seed=seed))


@bench_app.command("screening")
def bench_screening(
    quick: Quick = False,
    rate: Annotated[float, typer.Option(help="HTTP requests per second, steady (open loop).")] = 500.0,
    seconds: Annotated[float, typer.Option(help="Seconds of HTTP load per run.")] = 20.0,
    redis_url: Annotated[
        str | None, typer.Option(help="Also measure HTTP with counters in this Redis (else KEFU_REDIS_URL).")
    ] = None,
    http: Annotated[bool, typer.Option(help="Measure HTTP against a real `kefu serve`.")] = True,
    in_process: Annotated[bool, typer.Option(help="Measure the in-process core (minutes).")] = True,
) -> None:
    """In-process decisions per second and cost growth; HTTP p50/p99 at a steady rate against `kefu serve`,
    with in-memory and with Redis counters."""
    import asyncio  # noqa: PLC0415
    import os  # noqa: PLC0415

    from kefu.bench.screening import run_redis_counters_bench, run_screening_bench  # noqa: PLC0415
    from kefu.bench.screening_http import run_http_bench  # noqa: PLC0415

    configure_logging(json_logs=False, level="WARNING")
    figures: dict[str, Any] = {"in_process": run_screening_bench(quick=quick)} if in_process else {}
    redis = redis_url or os.environ.get("KEFU_REDIS_URL")
    if redis and in_process:
        count = 4_000 if quick else 20_000
        figures["redis_counters"] = asyncio.run(run_redis_counters_bench(redis, count=count))
    if http:
        span = min(seconds, 4.0) if quick else seconds
        figures["http_memory_counters"] = run_http_bench(rate=rate, seconds=span)
        if redis:
            figures["http_redis_counters"] = run_http_bench(rate=rate, seconds=span, redis_url=redis)
    _emit(figures)


@bench_app.command("counters-replay")
def bench_counters_replay(
    screenings: Annotated[
        int, typer.Option(min=1, max=10_000_000, help="Stored screenings (a week).")
    ] = 100_000,
    database_url: Annotated[
        str | None,
        typer.Option(help="PostgreSQL URL (a schema of its own); a temporary SQLite file if omitted."),
    ] = None,
    seed: int = 0,
) -> None:
    """Seconds a restart takes to rebuild in-memory counters from a week of stored screenings."""
    from kefu.bench.replay import run_replay_bench  # noqa: PLC0415

    configure_logging(json_logs=False, level="WARNING")
    _emit(run_replay_bench(screenings, database_url, seed))


@bench_app.command("reports")
def bench_reports(
    quick: Quick = False,
    conversations: Annotated[
        list[int] | None, typer.Option(help="Conversations per run (repeat for several sizes).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="PostgreSQL URL (default: the local test database).")
    ] = None,
    seed: int = 0,
    keep: Annotated[bool, typer.Option(help="Keep the generated schema for inspection.")] = False,
) -> None:
    """Report query p50/p95 on PostgreSQL with a month of 1M+ conversations, before and after the rollup."""
    from kefu.bench.reports import run_reports_bench  # noqa: PLC0415

    configure_logging(json_logs=False, level="WARNING")
    _emit(run_reports_bench(conversations, quick, database_url, seed, keep))


@bench_app.command("all")
def bench_all(quick: Quick = False) -> None:
    """The in-process benchmarks (API on SQLite, routing, screening core) in one JSON document; the HTTP
    screening and PostgreSQL report benchmarks run on their own (`make bench` runs them all)."""
    from kefu.bench.api import run_api_bench  # noqa: PLC0415
    from kefu.bench.routing import run_routing_bench  # noqa: PLC0415
    from kefu.bench.screening import run_screening_bench  # noqa: PLC0415

    configure_logging(json_logs=False, level="WARNING")
    _emit(
        {
            "api": run_api_bench(quick=quick),
            "routing": run_routing_bench(quick=quick),
            "screening": run_screening_bench(quick=quick),
        }
    )


@bench_app.command("cluster")
def bench_cluster(
    kills: Annotated[int, typer.Option(help="Router kills to time the takeover over.", min=1)] = 10,
    chats: Annotated[int, typer.Option(help="Chats per throughput run.", min=10)] = 300,
    agents: Annotated[int, typer.Option(help="Agents (one client each).", min=2)] = 20,
    database_url: Annotated[
        str, typer.Option(help="A PostgreSQL database to create the bench databases beside.")
    ] = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
    nats_url: Annotated[str, typer.Option(help="NATS with JetStream.")] = "nats://127.0.0.1:4222",
) -> None:
    """Routing decisions/s over HTTP through 2 API nodes with 1 and 2 partitions and through 3; router
    takeover time over N kills (real processes on the local PostgreSQL and NATS)."""
    from kefu.bench.cluster import run_cluster_bench  # noqa: PLC0415

    configure_logging(json_logs=False, level="WARNING")
    _emit(
        run_cluster_bench(admin_url=database_url, nats_url=nats_url, kills=kills, chats=chats, agents=agents)
    )
