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


Builds = Annotated[
    list[str] | None,
    typer.Option(
        "--build",
        help="LABEL=PATH of another kefu executable to measure beside this one (before=/old/.venv/bin/kefu).",
    ),
]


def _builds(extra: list[str] | None) -> dict[str, str]:
    from kefu.bench.server import this_kefu  # noqa: PLC0415

    builds = {"this": this_kefu()}
    for item in extra or []:
        label, _, path = item.partition("=")
        if not label or not path:
            raise typer.BadParameter(f"--build takes LABEL=PATH, not {item!r}")
        builds[label] = path
    return builds


@bench_app.command("api")
def bench_api(
    quick: Quick = False,
    database_url: Annotated[
        str | None, typer.Option(help="Measure on this database instead of SQLite.")
    ] = None,
    schema: Annotated[str | None, typer.Option(help="PostgreSQL schema to use (must exist, empty).")] = None,
    http: Annotated[
        bool, typer.Option(help="Instead: open conversations over HTTP against real `kefu serve` processes.")
    ] = False,
    connections: Annotated[
        list[int] | None, typer.Option(help="--http: concurrent connections (repeatable).")
    ] = None,
    creates: Annotated[int, typer.Option(help="--http: conversations opened per concurrency.")] = 2000,
    reads: Annotated[int, typer.Option(help="--http: single reads afterwards.")] = 500,
    rounds: Annotated[int, typer.Option(min=1, help="--http: rounds (the summary gives medians).")] = 1,
    workers: Annotated[int, typer.Option(min=1, help="--http: `kefu serve --workers N`.")] = 1,
    build: Builds = None,
) -> None:
    """HTTP latency of create/read/list, at 1k, 10k and 100k conversations (in process); with --http,
    conversations opened per second over real connections, beside other builds if asked."""
    configure_logging(json_logs=False, level="WARNING")
    if http:
        from kefu.bench.api_http import run_api_http_bench  # noqa: PLC0415 - load only what is asked for

        _emit(
            run_api_http_bench(
                _builds(build),
                connections=connections if connections is not None else [1, 16],
                creates=min(creates, 200) if quick else creates,
                reads=min(reads, 100) if quick else reads,
                rounds=rounds,
                database_url=database_url,
                workers=workers,
            )
        )
        return
    from kefu.bench.api import run_api_bench  # noqa: PLC0415 - load only the benchmark asked for

    _emit(run_api_bench(quick=quick, database_url=database_url, schema=schema))


@bench_app.command("routing")
def bench_routing(quick: Quick = False, seed: int = 0) -> None:
    """Routing decisions per second with 1k-100k waiting tasks and 100-10k agents."""
    from kefu.bench.routing import run_routing_bench  # noqa: PLC0415

    _emit(run_routing_bench(quick=quick, seed=seed))


@bench_app.command("screening")
def bench_screening(
    quick: Quick = False,
    rate: Annotated[
        list[float] | None, typer.Option(help="Open loop: requests per second, steady (repeatable).")
    ] = None,
    connections: Annotated[
        list[int] | None, typer.Option(help="Closed loop: concurrent connections (repeatable).")
    ] = None,
    requests: Annotated[int, typer.Option(help="Requests per closed-loop run.")] = 6000,
    seconds: Annotated[float, typer.Option(help="Seconds of each open-loop run.")] = 20.0,
    rounds: Annotated[int, typer.Option(min=1, help="Rounds (the summary gives medians).")] = 1,
    redis_url: Annotated[
        str | None, typer.Option(help="Counters in this Redis (else KEFU_REDIS_URL, else in memory).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="PostgreSQL URL (a fresh schema per run); SQLite if omitted.")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="`kefu serve --workers N` (PostgreSQL only).")] = 1,
    build: Builds = None,
    http: Annotated[bool, typer.Option(help="Measure HTTP against real `kefu serve` processes.")] = True,
    in_process: Annotated[bool, typer.Option(help="Measure the in-process core (minutes).")] = True,
    storm: Annotated[bool, typer.Option(help="Measure /healthz under 24 concurrent logins.")] = True,
    model_lane: Annotated[
        bool, typer.Option(help="Also measure in process with the model lane off and on.")
    ] = True,
) -> None:
    """In-process decisions per second and cost growth; over HTTP, closed loop at N connections and open
    loop at a steady rate against `kefu serve` (optionally beside other builds), with a login storm."""
    import asyncio  # noqa: PLC0415
    import os  # noqa: PLC0415

    from kefu.bench.screening import run_redis_counters_bench, run_screening_bench  # noqa: PLC0415
    from kefu.bench.screening_http import run_http_bench  # noqa: PLC0415

    configure_logging(json_logs=False, level="WARNING")
    figures: dict[str, Any] = {"in_process": run_screening_bench(quick=quick)} if in_process else {}
    if model_lane:
        from kefu.bench.efficacy import run_model_lane_speed  # noqa: PLC0415

        figures["model_lane"] = run_model_lane_speed(quick=quick)
    redis = redis_url or os.environ.get("KEFU_REDIS_URL")
    if redis and in_process:
        count = 4_000 if quick else 20_000
        figures["redis_counters"] = asyncio.run(run_redis_counters_bench(redis, count=count))
    if http:
        figures["http"] = run_http_bench(
            _builds(build),
            closed=connections if connections is not None else [16],
            closed_requests=min(requests, 1000) if quick else requests,
            rates=rate if rate is not None else [300.0],
            seconds=min(seconds, 4.0) if quick else seconds,
            rounds=rounds,
            database_url=database_url,
            redis_url=redis,
            workers=workers,
            storm=storm,
        )
    _emit(figures)


@bench_app.command("efficacy")
def bench_efficacy(
    quick: Quick = False,
    payments: Annotated[
        int, typer.Option(min=1_000, help="Payments of the unseen stream (the test seed).")
    ] = 200_000,
    train: Annotated[int, typer.Option(min=1_000, help="Labelled payments to train on.")] = 1_000_000,
    train_seed: int = 1,
    test_seed: int = 2,
) -> None:
    """Scam value and count stopped, legitimate payments stopped and warned, per typology and cases per
    10,000 payments: rules alone, model alone and both, on a hard stream the model never saw."""
    import sys  # noqa: PLC0415

    from kefu.bench.efficacy import run_efficacy_bench  # noqa: PLC0415

    if quick:
        payments, train = min(payments, 20_000), min(train, 50_000)
    if train_seed == test_seed:
        raise typer.BadParameter("train and test seeds must differ: efficacy is measured on an unseen seed")
    configure_logging(json_logs=False, level="WARNING")
    with typer.progressbar(length=train + 4 * payments, label="efficacy", file=sys.stderr) as bar:
        figures = run_efficacy_bench(payments, train, train_seed, test_seed, progress=bar.update)
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
