"""Shared fixtures: real services on 127.0.0.1, isolated per test run.

A test that needs PostgreSQL, Redis or NATS skips when the service is missing on a developer machine, and
fails under ``CI=true``: CI must never go green by skipping what it was meant to prove.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

PG_URL = os.environ.get("KEFU_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
NATS_URL = os.environ.get("KEFU_TEST_NATS_URL", "nats://127.0.0.1:4222")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (developer machine) or fail (CI) when a real service is not listening."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{message}; under CI=true a test that needs it must fail, not skip")
    pytest.skip(message)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """URL of the local Redis (database 15, for tests); skips or fails when Redis is down."""
    require_service("Redis", "127.0.0.1", 6379)
    yield REDIS_URL


@pytest.fixture
def nats_url() -> Iterator[str]:
    """URL of the local NATS with JetStream; skips or fails when NATS is down."""
    require_service("NATS", "127.0.0.1", 4222)
    yield NATS_URL
