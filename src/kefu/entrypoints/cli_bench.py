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


@bench_app.command("all")
def bench_all(quick: Quick = False) -> None:
    """Every benchmark, one JSON document."""
    from kefu.bench.api import run_api_bench  # noqa: PLC0415
    from kefu.bench.routing import run_routing_bench  # noqa: PLC0415

    configure_logging(json_logs=False, level="WARNING")
    _emit({"api": run_api_bench(quick=quick), "routing": run_routing_bench(quick=quick)})
