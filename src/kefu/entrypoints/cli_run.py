"""What every one-off CLI command does around its work: settings from the command line and the
environment, quiet logging, and a kefu without a routing engine for the length of the work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer

from kefu.bootstrap import Kefu, bootstrap
from kefu.config import Settings
from kefu.entrypoints.logging import configure_logging

T = TypeVar("T")


def command_settings(ctx: typer.Context, **more: Any) -> Settings:
    """The settings of this invocation (the root command's options in ``ctx.obj``, then ``more``)."""
    settings: Settings = ctx.obj.settings(**more)
    configure_logging(settings.json_logs, level="WARNING")
    return settings


def run_work(settings: Settings, work: Callable[[Kefu], Awaitable[T]]) -> T:
    """Run ``work`` on a kefu bootstrapped for it, closed afterwards whatever happens."""

    async def main() -> T:
        kefu = await bootstrap(settings, routing=False)
        try:
            return await work(kefu)
        finally:
            await kefu.close()

    return asyncio.run(main())
