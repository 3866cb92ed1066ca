"""``kefu reports rollup``: recompute the hourly report rollup (run it hourly, e.g. from cron)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any

import typer

reports_app = typer.Typer(help="Service reports.", no_args_is_help=True)


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint=option) from exc
    if parsed.tzinfo is None:
        raise typer.BadParameter("give a zone, e.g. 2026-11-01T00:00:00+00:00", param_hint=option)
    return parsed


@reports_app.command("rollup")
def rollup(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option("--from", help="First hour (ISO 8601 with a zone).")] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="End hour, exclusive; default the last whole hour.")
    ] = None,
    lookback_hours: Annotated[
        int,
        typer.Option(min=1, max=24 * 62, help="Without --from: re-roll this many hours before the last run."),
    ] = 48,
) -> None:
    """Roll up the hours in [--from, --to): contacts, answers, handle times, CSAT, commendations, complaints,
    cases and funds saved per (hour, queue, site, business line, agent)."""
    from kefu.bootstrap import bootstrap  # noqa: PLC0415 - load the app only when running
    from kefu.config import load_settings  # noqa: PLC0415
    from kefu.domain.errors import KefuError  # noqa: PLC0415
    from kefu.domain.users import SYSTEM_ACTOR  # noqa: PLC0415
    from kefu.entrypoints.logging import configure_logging  # noqa: PLC0415
    from kefu.services.reports import service as reports  # noqa: PLC0415

    overrides: Any = ctx.obj
    settings = load_settings(**(overrides.values if overrides else {}))
    configure_logging(settings.json_logs, level="WARNING")
    start, end = _when(since, "--from"), _when(until, "--to")

    async def main() -> dict[str, Any]:
        kefu = await bootstrap(settings, routing=False)
        try:
            return await kefu.bus.handle(reports.RollUpReports(start, end, lookback_hours), SYSTEM_ACTOR)
        finally:
            await kefu.close()

    try:
        done = asyncio.run(main())
    except KefuError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(done))
