"""A cluster of real kefu processes, for ``kefu bench cluster`` and the cluster tests:
API nodes, routers and workers on one PostgreSQL database and one NATS subject prefix of their own."""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

START_TIMEOUT_S = 60.0


@dataclass
class Proc:
    """One kefu process (``args`` after ``kefu``) with its log in ``workdir``."""

    label: str
    args: list[str]
    env: dict[str, str]
    workdir: Path
    executable: str
    url: str | None = None  # an API node's base URL
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.label}-{self.starts}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, ready: str | None = None) -> None:
        """Start and wait until it is ready: /healthz answers (an API node) or ``ready`` is in its log."""
        self.starts += 1
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own console script
                [self.executable, *self.args],
                env=self.env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.process.returncode}:\n{self.log()}")
            if self.url is not None:
                try:
                    if httpx.get(f"{self.url}/healthz", timeout=2.0).status_code in (200, 503):
                        return
                except httpx.TransportError:
                    pass
            elif ready is not None and ready in self.log():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.label} did not start within {START_TIMEOUT_S} s:\n{self.log()}")

    def signal(self, sig: signal.Signals) -> None:
        if self.process is not None:
            self.process.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, the lease is not released, like a power cut."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None


@dataclass
class Cluster:
    env: dict[str, str]
    workdir: Path
    executable: str
    apis: list[Proc] = field(default_factory=list)
    routers: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)

    def add_api(self, port: int) -> Proc:
        url = f"http://127.0.0.1:{port}"
        args = ["serve", "--roles", "api", "--host", "127.0.0.1", "--port", str(port)]
        proc = Proc(f"api-{len(self.apis) + 1}", args, self.env, self.workdir, self.executable, url)
        self.apis.append(proc)
        return proc

    def add_router(self, partition: str = "all") -> Proc:
        name = f"router-{partition}-{len(self.routers) + 1}"
        args = ["router", "--partition", partition, "--holder", name]
        proc = Proc(name, args, self.env, self.workdir, self.executable)
        self.routers.append(proc)
        return proc

    def add_worker(self) -> Proc:
        name = f"worker-{len(self.workers) + 1}"
        proc = Proc(name, ["worker", "--name", name], self.env, self.workdir, self.executable)
        self.workers.append(proc)
        return proc

    def start(self) -> None:
        for router in self.routers:
            router.start(ready="ready")
        for worker in self.workers:
            worker.start(ready="ready")
        for api in self.apis:
            api.start()

    def stop(self) -> None:
        for proc in [*self.apis, *self.workers, *self.routers]:
            proc.stop()


def create_database(admin_url: str, name: str) -> str:
    """Create PostgreSQL database ``name`` beside ``admin_url``'s and return its URL."""
    import asyncio  # noqa: PLC0415 - only the cluster tools create databases

    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.ext.asyncio import create_async_engine  # noqa: PLC0415

    async def create() -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await engine.dispose()

    asyncio.run(create())
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    import asyncio  # noqa: PLC0415

    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.ext.asyncio import create_async_engine  # noqa: PLC0415

    async def drop() -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            await engine.dispose()

    asyncio.run(drop())
