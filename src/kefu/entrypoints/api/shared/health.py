"""Liveness, readiness and the state of the backing services.

``/healthz`` is what a load balancer reads: 200 while every configured service answers, 503 naming the
one that does not. ``/readyz`` says whether this node can serve at all: its database answers and is
migrated to the revision this kefu ships, and Redis answers when one is configured. NATS down leaves a
node ready (writes wait in the outbox) but ``/healthz`` degraded. Every check gives up after
``KEFU_DEPENDENCY_TIMEOUT_S``, so neither endpoint hangs on a service that stopped answering."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from functools import lru_cache
from importlib.metadata import version
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field

from kefu.adapters.store.engine import current_revision, head_revision
from kefu.bootstrap import Kefu
from kefu.entrypoints.api.deps import KefuDep
from kefu.entrypoints.api.shared.schemas import HealthOut, Out

router = APIRouter(tags=["health"])


class ReadyOut(Out):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str] = Field(description="each requirement: ok, or why not")


@router.get(
    "/healthz",
    response_model=HealthOut,
    summary="Health of kefu and its database, bus and Redis",
    responses={503: {"model": HealthOut, "description": "a backing service is down (named in checks)"}},
)
async def healthz(kefu: KefuDep) -> JSONResponse:
    """``degraded`` (503) when a backing service is down, NATS included when it is configured;
    ``outbox_lag_s`` is how long the oldest committed event has waited to be published."""
    # Side by side: with the database down each waits out its own timeout, and they should not add up.
    checks, lag = await asyncio.gather(kefu.health(), kefu.outbox_lag_s())
    ok = all(v == "ok" for v in checks.values())
    body = HealthOut(
        status="ok" if ok else "degraded", checks=checks, version=version("kefu"), outbox_lag_s=lag
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get(
    "/readyz",
    response_model=ReadyOut,
    summary="Whether this node can serve: database reachable and migrated, Redis up when configured",
    responses={503: {"model": ReadyOut, "description": "not ready (the failing requirement is named)"}},
)
async def readyz(kefu: KefuDep) -> JSONResponse:
    checks = await _readiness(kefu)
    ready = all(v == "ok" for v in checks.values())
    body = ReadyOut(status="ready" if ready else "not_ready", checks=checks)
    headers = None if ready else {"Retry-After": "5"}
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503, headers=headers)


@lru_cache(maxsize=1)
def _head() -> str | None:
    return head_revision()


async def _bounded(check: Awaitable[str], timeout_s: float) -> str:
    try:
        return await asyncio.wait_for(check, timeout_s)
    except TimeoutError:
        return f"down: no answer in {timeout_s:g} s"
    except Exception as exc:
        return f"down: {type(exc).__name__}"


async def _readiness(kefu: Kefu) -> dict[str, str]:
    timeout_s = kefu.settings.dependency_timeout_s * 2  # a connect, then a query

    async def migrations() -> str:
        if kefu.engine is None:
            return "ok"  # the in-memory store has no migrations
        found = await current_revision(kefu.engine)
        return "ok" if found == _head() else f"at {found}, this kefu needs {_head()}"

    async def redis() -> str:
        assert kefu.redis is not None  # noqa: S101 - checked only when configured
        await kefu.redis.ping()
        return "ok"

    checks = {"database": _bounded(migrations(), timeout_s)}
    if kefu.redis is not None:
        checks["redis"] = _bounded(redis(), timeout_s)
    results = await asyncio.gather(*checks.values())
    return dict(zip(checks, results, strict=True))
