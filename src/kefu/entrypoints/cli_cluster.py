"""``kefu router`` (one partition's routing engine under its lease) and ``kefu dev cluster`` (every role on
one machine, against the local PostgreSQL, Redis and NATS)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

dev_app = typer.Typer(help="Tools for developing kefu.", no_args_is_help=True)

DEV_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DEV_REDIS = "redis://127.0.0.1:6379/0"
DEV_NATS = "nats://127.0.0.1:4222"


def _emit(line: str) -> None:
    print(line, flush=True)  # noqa: T201 - what the command reports is its output


def router_command(
    ctx: typer.Context,
    partition: Annotated[
        str, typer.Option(help="The partition (KEFU_PARTITIONS) whose engine to run.")
    ] = "all",
    holder: Annotated[
        str | None, typer.Option(help="This router's name in the lease (default host:pid).")
    ] = None,
) -> None:
    """Run one partition's routing engine: active while this process holds the partition's lease, standing by
    otherwise, until stopped (SIGTERM/SIGINT); stopping ends the lease so a standby takes over at once."""
    from kefu.bootstrap import bootstrap_role  # noqa: PLC0415 - load the app only when running
    from kefu.config import load_settings  # noqa: PLC0415
    from kefu.entrypoints.logging import configure_logging  # noqa: PLC0415

    overrides: Any = ctx.obj
    settings = load_settings(**(overrides.values if overrides else {}))
    configure_logging(settings.json_logs, level="WARNING")

    async def main() -> None:
        kefu = await bootstrap_role(settings, "router", partition=partition, holder=holder)
        try:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            assert kefu.node is not None  # noqa: S101 - the router role always has one
            _emit(f"kefu router {kefu.node.holder} of partition {partition} ready")
            await stop.wait()
        finally:
            await kefu.close()

    asyncio.run(main())


@dev_app.command("cluster")
def dev_cluster(
    api: Annotated[int, typer.Option(help="API nodes (kefu serve --roles api).", min=1, max=8)] = 2,
    routers: Annotated[int, typer.Option(help="Routers per partition (one active).", min=1, max=8)] = 2,
    workers: Annotated[int, typer.Option(help="Workers (kefu worker).", min=0, max=8)] = 1,
    port: Annotated[int, typer.Option(help="The first API node's port; the next ones follow.")] = 8100,
    prefix: Annotated[
        str | None, typer.Option(help="NATS subject prefix and database name (default: new).")
    ] = None,
) -> None:
    """Start every role of a cluster on this machine against the local PostgreSQL, Redis and NATS, in a
    database and under a NATS prefix of its own; print where each listens; stop them all on Ctrl-C.

    KEFU_PARTITIONS, when set, is passed on, and each partition gets ``--routers`` routers."""
    from kefu.bench.processes import create_database  # noqa: PLC0415
    from kefu.config import load_settings  # noqa: PLC0415
    from kefu.services.routing.partitions import parse_partitions  # noqa: PLC0415

    name = prefix or f"kefu_dev_{uuid.uuid4().hex[:8]}"
    admin = os.environ.get("KEFU_DATABASE_URL", DEV_PG)
    database_url = create_database(admin, name)
    env = {
        **os.environ,
        "KEFU_DATABASE_URL": database_url,
        "KEFU_REDIS_URL": os.environ.get("KEFU_REDIS_URL", DEV_REDIS),
        "KEFU_NATS_URL": os.environ.get("KEFU_NATS_URL", DEV_NATS),
        "KEFU_NATS_PREFIX": name,
        "KEFU_COUNTERS_PREFIX": f"{name}:scr",
    }
    partitions = parse_partitions(load_settings(partitions=env.get("KEFU_PARTITIONS", "")).partitions)
    kefu = [str(Path(sys.executable).parent / "kefu")]
    subprocess.run([*kefu, "db", "upgrade"], env=env, check=True)  # noqa: S603 - our own interpreter
    started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(label: str, args: list[str]) -> None:
        started.append((label, subprocess.Popen([*kefu, *args], env=env)))  # noqa: S603

    for i in range(api):
        start(
            f"api {i + 1}: http://127.0.0.1:{port + i}", ["serve", "--roles", "api", "--port", str(port + i)]
        )
    for partition in partitions.names:
        for i in range(routers):
            start(
                f"router {partition} {i + 1}",
                ["router", "--partition", partition, "--holder", f"{partition}-{i + 1}"],
            )
    for i in range(workers):
        start(f"worker {i + 1}", ["worker", "--name", f"worker-{i + 1}"])
    _emit(f"kefu dev cluster {name}: database {database_url}, NATS prefix {name}")
    for label, process in started:
        _emit(f"  {label}  (pid {process.pid})")
    _emit("Ctrl-C stops them all")
    try:
        while all(p.poll() is None for _, p in started):
            time.sleep(0.5)
        _emit("a process ended; stopping the rest")
    except KeyboardInterrupt:
        pass
    finally:
        for _, process in started:
            if process.poll() is None:
                process.terminate()
        for _, process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
