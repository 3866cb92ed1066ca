"""The ``kefu`` command line: serve, migrate, users and tokens, demo data.

Errors print one line on stderr and exit non-zero; they never dump a traceback on the user.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from typing import Annotated, Any

import typer

from kefu.bootstrap import Kefu
from kefu.config import Settings, load_settings
from kefu.domain.commands import (
    CheckpointAudit,
    CreateUser,
    DisableUser,
    EnableUser,
    IssueToken,
    RevokeToken,
    SetPassword,
)
from kefu.domain.errors import ConfigurationError, KefuError
from kefu.domain.users import API_TOKEN_DAYS, API_TOKEN_MAX_DAYS, SYSTEM_ACTOR, ApiToken, User, check_role
from kefu.entrypoints.cli_bench import bench_app
from kefu.entrypoints.cli_care import worker_app
from kefu.entrypoints.cli_cluster import dev_app, router_command
from kefu.entrypoints.cli_model import model_app
from kefu.entrypoints.cli_reports import reports_app
from kefu.entrypoints.cli_routing import sim_app, staffing_app
from kefu.entrypoints.cli_run import command_settings as _settings
from kefu.entrypoints.cli_run import run_work as _run
from kefu.entrypoints.cli_screening import labels_app, rules_app, screen_stream, sim_payments
from kefu.entrypoints.logging import configure_logging
from kefu.services.pagination import decode_cursor
from kefu.services.shared.audit import verify as verify_audit
from kefu.services.shared.users import list_tokens, list_users

app = typer.Typer(
    help="kefu (客服): customer service with routing, scam interdiction and elderly care.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users who sign in or call the API.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
token_app = typer.Typer(help="Named, revocable API tokens for integrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(bench_app, name="bench")
app.add_typer(staffing_app, name="staffing")
app.add_typer(sim_app, name="sim")
app.add_typer(reports_app, name="reports")
app.add_typer(rules_app, name="rules")
app.add_typer(labels_app, name="labels")
app.add_typer(model_app, name="model")
sim_app.command("payments")(sim_payments)
app.command("screen-stream")(screen_stream)
app.add_typer(worker_app, name="worker")
app.command("router")(router_command)
app.add_typer(dev_app, name="dev")


class Overrides:
    def __init__(self, **values: Any) -> None:
        self.values = values

    def settings(self, **more: Any) -> Settings:
        return load_settings(**{**self.values, **more})


@app.callback()
def root(
    ctx: typer.Context,
    database_url: Annotated[str | None, typer.Option(help="Overrides KEFU_DATABASE_URL.")] = None,
    redis_url: Annotated[str | None, typer.Option(help="Overrides KEFU_REDIS_URL.")] = None,
    nats_url: Annotated[str | None, typer.Option(help="Overrides KEFU_NATS_URL.")] = None,
    env: Annotated[str | None, typer.Option(help="dev or prod; overrides KEFU_ENV.")] = None,
) -> None:
    ctx.obj = Overrides(database_url=database_url, redis_url=redis_url, nats_url=nats_url, env=env)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="API processes sharing the port (PostgreSQL, Redis and NATS only). With more than one, each "
            "is an API node (as --roles api) and the routing engine runs in `kefu router`.",
        ),
    ] = 1,
    roles: Annotated[
        str | None,
        typer.Option(
            help="`api`: a stateless API node of a cluster (docs/operations.md); default: everything."
        ),
    ] = None,
) -> None:
    """Apply migrations and serve the API, the workspace and the wallboard."""
    import uvicorn  # noqa: PLC0415 - only the server needs it; keeps other commands quick to start

    from kefu.entrypoints.api.app import create_app  # noqa: PLC0415 - same reason

    settings = _settings(ctx, host=host, port=port)
    if workers > 1:
        _serve_workers(ctx, settings, workers)
        return
    configure_logging(settings.json_logs)
    if roles not in (None, "api"):
        raise ConfigurationError(
            "kefu serve --roles takes `api`; routers and workers are `kefu router` and `kefu worker`"
        )
    print(f"kefu serving on http://{settings.host}:{settings.port}  (API docs at /docs)", flush=True)
    uvicorn.run(
        create_app(settings, role=roles),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )


def _serve_workers(ctx: typer.Context, settings: Settings, workers: int) -> None:
    """N API processes on one port, each a cluster's API node. The screening counters must be shared
    (Redis), the database must take writers from several processes (PostgreSQL), and routing commands go
    over NATS to `kefu router`; none of them routes, so two engines never run."""
    import uvicorn  # noqa: PLC0415 - only the server needs it

    if not settings.database_url.startswith("postgresql"):
        print("kefu serve: --workers > 1 needs PostgreSQL (KEFU_DATABASE_URL)", file=sys.stderr)
        raise typer.Exit(2)
    if not settings.redis_url:
        print("kefu serve: --workers > 1 needs Redis for shared counters (KEFU_REDIS_URL)", file=sys.stderr)
        raise typer.Exit(2)
    if not settings.nats_url:
        print("kefu serve: --workers > 1 needs NATS to reach `kefu router` (KEFU_NATS_URL)", file=sys.stderr)
        raise typer.Exit(2)
    # Each worker builds its settings from the environment: hand it the command line's choices.
    overrides: Overrides = ctx.obj
    chosen = {**overrides.values, "host": settings.host, "port": settings.port}
    for name, value in chosen.items():
        if value is not None:
            os.environ[f"KEFU_{name.upper()}"] = str(value)
    configure_logging(settings.json_logs)
    print(
        f"kefu serving on http://{settings.host}:{settings.port} with {workers} API processes "
        "(API nodes: the routing engine runs in `kefu router`)",
        flush=True,
    )
    uvicorn.run(
        "kefu.entrypoints.api.app:api_worker_app",
        factory=True,
        workers=workers,
        # A worker imports kefu and migrates before it is ready; on a busy machine that takes more than
        # uvicorn's 5 s, and a worker killed for it would be restarted for ever.
        timeout_worker_healthcheck=120,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply all pending migrations."""
    from kefu.adapters.store.engine import create_engine, current_revision, upgrade  # noqa: PLC0415

    settings = _settings(ctx)

    async def main() -> str | None:
        engine = create_engine(settings.database_url, schema=settings.database_schema)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    print(f"database at revision {asyncio.run(main())}")


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != first:
            raise KefuError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


@user_app.command("create")
def user_create(
    ctx: typer.Context,
    username: str,
    role: Annotated[str, typer.Option(help="admin, supervisor, agent or integration.")],
    site: Annotated[
        list[str] | None,
        typer.Option(help="A supervisor's base (repeat for several); none: all bases."),
    ] = None,
) -> None:
    """Create a user; the password is read from stdin when it is not a terminal, else prompted."""
    settings = _settings(ctx)
    checked_role = check_role(role)
    password = _read_password()
    made = CreateUser(username, password, checked_role, tuple(site or ()))
    user = _run(settings, lambda k: k.bus.handle(made, SYSTEM_ACTOR))
    bases = f" sites={','.join(user.sites)}" if user.sites else ""
    print(f"created user {user.username} ({user.role}) id={user.id}{bases}")


@user_app.command("disable")
def user_disable(ctx: typer.Context, username: str) -> None:
    """Disable USERNAME: it cannot sign in, and its sessions and API tokens stop working at once."""
    user = _run(_settings(ctx), lambda k: k.bus.handle(DisableUser(username), SYSTEM_ACTOR))
    print(f"disabled user {user.username}; its tokens no longer work")


@user_app.command("enable")
def user_enable(ctx: typer.Context, username: str) -> None:
    """Let USERNAME sign in again (tokens revoked when it was disabled stay revoked)."""
    user = _run(_settings(ctx), lambda k: k.bus.handle(EnableUser(username), SYSTEM_ACTOR))
    print(f"enabled user {user.username}")


@user_app.command("set-password")
def user_set_password(ctx: typer.Context, username: str) -> None:
    """Set USERNAME's password (read like `user create`); every token issued before stops working."""
    settings = _settings(ctx)
    password = _read_password()
    user = _run(settings, lambda k: k.bus.handle(SetPassword(username, password), SYSTEM_ACTOR))
    print(f"password of {user.username} changed; its earlier tokens no longer work")


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """Every user: name, role, whether it may sign in, id."""

    async def work(k: Kefu) -> list[User]:
        users: list[User] = []
        after: str | None = None
        while True:
            page = await list_users(k.bus.context(SYSTEM_ACTOR), after, 200)
            users.extend(page.items)
            if page.next_cursor is None:
                return users
            after = decode_cursor(page.next_cursor)

    for user in _run(_settings(ctx), work):
        print(f"{user.username:<24} {user.role:<12} {'active' if user.active else 'disabled':<9} {user.id}")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for, e.g. the integration's name.")] = "api",
    days: Annotated[
        int, typer.Option(min=1, max=API_TOKEN_MAX_DAYS, help="Days until the token expires.")
    ] = API_TOKEN_DAYS,
    scope: Annotated[
        list[str] | None, typer.Option(help="A permission the token is narrowed to (repeat); default: all.")
    ] = None,
) -> None:
    """Print a new API token for USERNAME (and nothing else, for scripts); `token list` shows its id."""
    settings = _settings(ctx)
    scopes = tuple(scope) if scope else None
    issued = _run(settings, lambda k: k.bus.handle(IssueToken(username, days, name, scopes), SYSTEM_ACTOR))
    print(issued.access_token)


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    username: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
) -> None:
    """API tokens (never the secret): id, user, name, expiry, and whether revoked."""

    async def work(k: Kefu) -> list[ApiToken]:
        tokens: list[ApiToken] = []
        after: str | None = None
        while True:
            page = await list_tokens(k.bus.context(SYSTEM_ACTOR), after, 200, username)
            tokens.extend(page.items)
            if page.next_cursor is None:
                return tokens
            after = decode_cursor(page.next_cursor)

    for t in _run(_settings(ctx), work):
        state = (
            f"revoked {t.revoked_at.isoformat()}" if t.revoked_at else f"expires {t.expires_at.isoformat()}"
        )
        scopes = ",".join(t.scopes) if t.scopes is not None else "*"
        print(f"{t.id}  {t.user_id}  {t.name:<20} {scopes:<20} {state}")


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, token_id: str) -> None:
    """Revoke one API token by its id; it stops working at once."""
    record = _run(_settings(ctx), lambda k: k.bus.handle(RevokeToken(token_id), SYSTEM_ACTOR))
    print(f"revoked token {record.id} ({record.name})")


@audit_app.command("checkpoint")
def audit_checkpoint(ctx: typer.Context) -> None:
    """Sign the audit chain's head with the secret (run daily, e.g. from cron)."""
    made = _run(_settings(ctx), lambda k: k.bus.handle(CheckpointAudit(), SYSTEM_ACTOR))
    if made is None:
        print("nothing new since the last checkpoint")
    else:
        print(f"checkpoint at seq {made.seq} hash {made.hash}")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Check every link of the audit chain and every signed checkpoint; exit 1 if anything was tampered."""
    report = _run(_settings(ctx), lambda k: verify_audit(k.bus.context(SYSTEM_ACTOR)))
    print(
        f"{report.entries} entries, {report.checkpoints} checkpoints; head seq {report.head_seq} "
        f"hash {report.head_hash}"
    )
    for problem in report.problems:
        print(f"TAMPERED: {problem}")
    if not report.intact:
        raise typer.Exit(1)
    print("audit log intact")


@app.command()
def demo(ctx: typer.Context) -> None:
    """Seed demo data (idempotent) and print the demo logins."""
    from kefu.sim.demo import seed_demo  # noqa: PLC0415

    settings = _settings(ctx)
    if settings.env == "prod":
        raise ConfigurationError("demo data and its printed passwords are for KEFU_ENV=dev only")
    result = _run(settings, lambda k: seed_demo(k.bus))
    made = ", ".join(f"{n} {what}" for what, n in result.created.items())
    print(f"demo data ready ({made} new)")
    print("demo logins (password for each):")
    for username, password, role in result.logins:
        print(f"  {username:<12} {password}   {role}")


def main() -> None:
    try:
        app()
    except KefuError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        sys.exit(2 if isinstance(exc, ConfigurationError) else 1)
    except KeyboardInterrupt:
        sys.exit(130)
