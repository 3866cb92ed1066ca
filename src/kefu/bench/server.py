"""A real ``kefu serve`` for a benchmark: its own database (a fresh SQLite file or a fresh PostgreSQL
schema), optionally Redis counters under a throw-away prefix and several workers, and a bearer token.

``kefu`` names the executable to serve with, so one run can measure two builds side by side (the current
one and a checkout of an older one with its own environment) on the same machine at the same time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import bootstrap
from kefu.config import load_settings
from kefu.domain.commands import CreateUser, IssueToken
from kefu.domain.users import SYSTEM_ACTOR, check_role


@dataclass(frozen=True, slots=True)
class Served:
    """A running server: where it listens, its process id (for its CPU) and a token of ``role``."""

    port: int
    pid: int
    token: str
    database_url: str
    schema: str | None


def this_kefu() -> str:
    """The ``kefu`` executable beside this interpreter (the build being measured)."""
    script = Path(sys.executable).parent / "kefu"
    if script.exists():
        return str(script)
    found = shutil.which("kefu")
    if found is None:
        raise RuntimeError("no kefu executable found beside the interpreter or on PATH")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def make_token(database_url: str, schema: str | None, role: str) -> str:
    """Migrate the database and issue a token of ``role`` (the schema is the same in both builds). The
    password is hashed with the production parameters, so a login storm costs what it does in production."""
    settings = load_settings(database_url=database_url, database_schema=schema)
    kefu = await bootstrap(settings, hasher=Argon2Hasher(), publisher=InProcessBus(), routing=False)
    try:
        await kefu.bus.handle(CreateUser("bench-caller", "bench-password", check_role(role)), SYSTEM_ACTOR)
        issued = await kefu.bus.handle(IssueToken("bench-caller", 1), SYSTEM_ACTOR)
        return str(issued.access_token)
    finally:
        await kefu.close()


async def _wait_ready(port: int, process: asyncio.subprocess.Process, deadline_s: float = 60.0) -> None:
    until = time.monotonic() + deadline_s
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5.0) as client:
        while time.monotonic() < until:
            if process.returncode is not None:
                raise RuntimeError(f"kefu serve exited with {process.returncode} before it was ready")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("kefu serve did not become healthy in time")


async def _schema(database_url: str, name: str, create: bool) -> None:
    import asyncpg  # type: ignore[import-untyped]  # noqa: PLC0415 - no type information; PostgreSQL only

    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        sql = f'CREATE SCHEMA "{name}"' if create else f'DROP SCHEMA IF EXISTS "{name}" CASCADE'
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def serving(
    kefu: str,
    *,
    role: str = "integration",
    database_url: str | None = None,
    redis_url: str | None = None,
    workers: int = 1,
) -> AsyncIterator[Served]:
    """Start ``kefu serve`` on a fresh database; stop it and drop what it made on exit."""
    with tempfile.TemporaryDirectory(prefix="kefu-bench-") as tmp:
        schema = None
        if database_url is None:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        else:
            url = database_url
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            await _schema(url, schema, create=True)
        prefix = f"bench:scr:{uuid.uuid4().hex}"
        try:
            port = free_port()
            env = {
                **os.environ,
                "KEFU_DATABASE_URL": url,
                "KEFU_HOST": "127.0.0.1",
                "KEFU_PORT": str(port),
                "KEFU_LOG_JSON": "true",
            }
            for name in ("KEFU_NATS_URL", "KEFU_REDIS_URL", "KEFU_DATABASE_SCHEMA"):
                env.pop(name, None)
            if schema:
                env["KEFU_DATABASE_SCHEMA"] = schema
            if redis_url:
                env["KEFU_REDIS_URL"] = redis_url
                env["KEFU_COUNTERS_PREFIX"] = prefix
            token = await _cli_token(kefu, env, role)
            args = [kefu, "serve"] + (["--workers", str(workers)] if workers > 1 else [])
            process = await asyncio.create_subprocess_exec(
                *args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
            )
            try:
                await _wait_ready(port, process)
                yield Served(port, process.pid, token, url, schema)
            finally:
                if process.returncode is None:
                    process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), timeout=15)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        finally:
            if schema:
                await _schema(url, schema, create=False)
            if redis_url:
                await drop_prefix(redis_url, prefix)


async def _cli_token(kefu: str, env: dict[str, str], role: str) -> str:
    """Migrate with the build's own ``kefu`` (builds may differ in schema) and issue a token through its
    CLI; the password is hashed with the production parameters, as a login storm should find it."""

    async def cli(*args: str, stdin: bytes = b"") -> bytes:
        process = await asyncio.create_subprocess_exec(
            kefu, *args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = await process.communicate(stdin)
        if process.returncode != 0:
            raise RuntimeError(f"kefu {' '.join(args)} failed: {err.decode(errors='replace')[-500:]}")
        return out

    await cli("user", "create", "bench-caller", "--role", role, stdin=b"bench-password\n")
    return (await cli("token", "create", "bench-caller")).decode().strip()


async def drop_prefix(redis_url: str, prefix: str) -> None:
    from redis.asyncio import Redis  # noqa: PLC0415 - only when Redis was used

    client = Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*", count=1000)]
        for i in range(0, len(keys), 1000):
            await client.delete(*keys[i : i + 1000])
    finally:
        await client.aclose()


__all__ = ["Served", "drop_prefix", "free_port", "make_token", "serving", "this_kefu"]
