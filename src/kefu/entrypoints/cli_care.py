"""``kefu worker``: the durable callback scheduler and the outbox relay (any number, on one PostgreSQL)."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated, Any

import typer

worker_app = typer.Typer(help="Run the callback scheduler and the outbox relay.", invoke_without_command=True)


def _emit(line: str) -> None:
    print(line, flush=True)  # noqa: T201 - the worker's progress is its output


@worker_app.callback()
def worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now, then exit.")] = False,
    name: Annotated[str | None, typer.Option(help="Worker name in the audit log.")] = None,
    poll_s: Annotated[float | None, typer.Option(help="Overrides KEFU_SCHEDULER_POLL_S.")] = None,
    batch: Annotated[int | None, typer.Option(help="Overrides KEFU_SCHEDULER_BATCH.")] = None,
    retrain_every_h: Annotated[
        float,
        typer.Option(min=0.0, help="Retrain a shadow screening model on labels this often (0: never)."),
    ] = 0.0,
) -> None:
    """Claim due callbacks from the database and hand them to routing, and publish the outbox to NATS,
    until stopped (SIGTERM/SIGINT). ``--once`` delivers due callbacks only."""
    from kefu.bootstrap import bootstrap, bootstrap_role  # noqa: PLC0415 - load the app only when running
    from kefu.config import load_settings  # noqa: PLC0415
    from kefu.entrypoints.logging import configure_logging  # noqa: PLC0415
    from kefu.services.care.scheduler import Scheduler  # noqa: PLC0415
    from kefu.services.screening.holds import HoldKeeper  # noqa: PLC0415

    overrides: Any = ctx.obj
    settings = load_settings(
        **{**(overrides.values if overrides else {}), "scheduler_poll_s": poll_s, "scheduler_batch": batch}
    )
    configure_logging(settings.json_logs, level="WARNING")

    async def main() -> int:
        # No routing engine here (serve or the routers route the tasks); the outbox relay runs unless this
        # is one pass. With NATS, the tasks it opens reach the routers at once (the worker role).
        if settings.nats_url and not once:
            kefu = await bootstrap_role(settings, "worker")
        else:
            kefu = await bootstrap(settings, routing=False, relay=not once)
        scheduler = Scheduler(kefu.bus, name=name)
        keeper = HoldKeeper(kefu.bus, settings.hold_check_s)
        try:
            if once:
                return await scheduler.drain()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await scheduler.start()
            await keeper.start()
            retrainer = None
            if retrain_every_h > 0:
                from kefu.services.screening.model_retrain import ModelRetrainer  # noqa: PLC0415

                retrainer = ModelRetrainer(kefu.bus, retrain_every_h * 3600)
                await retrainer.start()
            _emit(f"kefu worker {scheduler.name} ready")
            await stop.wait()
            if retrainer is not None:
                await retrainer.stop()
            await keeper.stop()
            await scheduler.stop()
            return scheduler.delivered
        finally:
            await kefu.close()

    claimed = asyncio.run(main())
    _emit(f"kefu worker done: {claimed} callbacks {'claimed' if once else 'delivered'}")
