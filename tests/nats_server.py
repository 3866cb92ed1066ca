"""A private ``nats-server`` with JetStream for tests that stop and restart NATS.

The shared NATS on :4222 must never be stopped, so a test that needs an outage starts its own server on a
free port with a store directory of its own; stopping and starting it again on the same directory keeps
the stream, as a restarted production server would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.errors import NotFoundError

NATS_SERVER = os.environ.get("KEFU_TEST_NATS_SERVER", "/usr/sbin/nats-server")
START_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class NatsServer:
    """One ``nats-server -js`` on ``port`` storing in ``store``; it can be stopped and started again."""

    store: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.store.parent / f"nats-{self.port}-{self.starts}.log"

    def start(self) -> None:
        """Start the server and wait (with a deadline) until it accepts connections."""
        binary = shutil.which(NATS_SERVER) or shutil.which("nats-server")
        if binary is None:
            if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
                pytest.fail(f"{NATS_SERVER} is missing; under CI=true a test that needs it must fail")
            pytest.skip(f"{NATS_SERVER} is not installed")
        self.starts += 1
        self.store.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"nats-server exited with {self.process.returncode}:\n{self.log_path.read_text()}"
                )
            if _listening(self.port):
                return
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"nats-server did not listen within {START_TIMEOUT_S} s")

    def stop(self) -> None:
        """A clean shutdown (SIGTERM): JetStream writes its store before it exits."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A private NATS server, not yet started; stopped at the end of the test."""
    server = NatsServer(tmp_path / "nats-store")
    yield server
    server.stop()


async def stream_bodies(url: str, stream: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Every message of ``stream`` as (JSON body, headers), in stream order; [] if the stream is missing."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        try:
            last = (await js.stream_info(stream)).state.last_seq
        except NotFoundError:
            return []
        out = []
        for seq in range(1, last + 1):
            try:
                msg = await js.get_msg(stream, seq)
            except NotFoundError:
                continue
            out.append((json.loads(msg.data or b"{}"), dict(msg.headers or {})))
        return out
    finally:
        await nc.close()
