"""Live updates over Server-Sent Events, fed by the in-process event bus (on an API node of a cluster, by
the events every process committed, heard from NATS: see ``kefu.adapters.bus.cluster``).

Why a ticket: the browser's ``EventSource`` cannot send an ``Authorization`` header, and putting the session
token in the URL would leave a 12-hour credential in access logs and browser history. So a signed-in client
first asks ``POST /api/v1/stream/tickets`` (with its bearer token) for a *ticket*: a JWT signed with
``KEFU_SECRET`` for a different audience (``kefu-stream``), valid for one minute, that opens the stream and
nothing else (the API refuses it as a bearer token, the stream refuses session tokens), once: a ticket that
opened a stream opens no other (its id is remembered, in Redis when configured). The ticket is checked
against the live user record when the stream opens, like a bearer token. A stream ends after
``STREAM_MAX_S``; the client then fetches a fresh ticket, so a revoked user is cut off within that time.

What is sent: every committed domain event as ``event: <name>`` with its JSON payload (agents receive only
events that concern no other agent), a comment line every ``KEEPALIVE_S`` so proxies keep the connection, and
with ``?wallboard=true`` a ``wallboard`` event carrying the full snapshot after each burst of events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from kefu.adapters.security.tokens import read_claims, sign_claims
from kefu.domain.errors import Unauthenticated
from kefu.domain.events import Event
from kefu.domain.users import Actor
from kefu.entrypoints.api.deps import ContextDep, KefuDep
from kefu.entrypoints.api.reports.schemas import WallboardOut
from kefu.entrypoints.api.shared.schemas import StreamTicketOut
from kefu.services.authz import allowed, require
from kefu.services.routing import wallboard as wallboard_svc
from kefu.services.shared.users import whose_agent

router = APIRouter(prefix="/api/v1", tags=["stream"])

TICKET_TTL_S = 60
STREAM_MAX_S = 15 * 60
KEEPALIVE_S = 15.0
COALESCE_S = 0.3  # a burst of events (an offer accepted moves several figures) gives one wallboard push
_AUDIENCE = "kefu-stream"


def _sign(user_id: str, version: int, expires_at: datetime, secret: str) -> str:
    claims = {"sub": user_id, "ver": version, "aud": _AUDIENCE, "jti": secrets.token_urlsafe(16)}
    return sign_claims(claims, expires_at, secret)


def _read(ticket: str, secret: str, now: datetime) -> tuple[str, int, str]:
    try:
        claims = read_claims(ticket, secret, _AUDIENCE, now, ["jti"])
    except Unauthenticated as exc:
        raise Unauthenticated("stream ticket is not valid or has expired; ask for a new one") from exc
    sub, ver, jti = claims.get("sub"), claims.get("ver"), claims.get("jti")
    if not isinstance(sub, str) or not isinstance(ver, int) or not isinstance(jti, str):
        raise Unauthenticated("stream ticket is not valid")
    return sub, ver, jti


@router.post(
    "/stream/tickets",
    response_model=StreamTicketOut,
    status_code=201,
    summary="A one-minute ticket that opens the event stream (EventSource cannot send headers)",
)
async def issue_ticket(ctx: ContextDep, kefu: KefuDep) -> StreamTicketOut:
    require(ctx.actor, "queues.stats")
    async with ctx.uow:
        user = await ctx.uow.users.get(ctx.actor.user_id)
    if user is None:
        raise Unauthenticated("token is no longer valid")
    expires_at = ctx.clock.now() + timedelta(seconds=TICKET_TTL_S)
    secret = kefu.settings.secret.get_secret_value()
    return StreamTicketOut(
        ticket=_sign(user.id, user.token_version, expires_at, secret), expires_at=expires_at
    )


def _frame(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def _name(event: Event) -> str:
    """The event's name; one committed by another process (fed from NATS) carries it as ``event_name``."""
    relayed = getattr(event, "event_name", None)
    return relayed if isinstance(relayed, str) else event.name


def _concerns_other_agent(event: Event, agent_id: str | None) -> bool:
    owner = event.payload().get("agent_id")
    return owner is not None and owner != agent_id


@router.get(
    "/stream",
    summary="Server-Sent Events: committed domain events, and wallboard snapshots with ?wallboard=true",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an endless event stream"}},
)
async def stream(
    kefu: KefuDep,
    ticket: Annotated[str, Query(min_length=1, max_length=2000, description="from POST /stream/tickets")],
    wallboard: Annotated[bool, Query(description="also push the wallboard snapshot")] = False,
) -> StreamingResponse:
    user_id, version, ticket_id = _read(ticket, kefu.settings.secret.get_secret_value(), kefu.bus.clock.now())
    if not await kefu.used_tickets.first_use(ticket_id, TICKET_TTL_S + 60):
        raise Unauthenticated("stream ticket was used already; ask for a new one")
    bus = kefu.bus
    async with bus.uow_factory() as uow:
        user = await uow.users.get(user_id)
    if user is None or not user.active or user.token_version != version:
        raise Unauthenticated("stream ticket is no longer valid")
    actor = Actor(user.id, user.username, user.role)
    require(actor, "queues.stats")
    agent_id = await whose_agent(bus.context(actor))
    filtered = not allowed(actor, "offers.read_any")

    async def snapshot() -> str:
        board = await wallboard_svc.snapshot(bus.context(actor), kefu.router)
        return _frame("wallboard", WallboardOut.model_validate(board).model_dump(mode="json"))

    async def frames() -> AsyncIterator[str]:
        queue = kefu.local_bus.subscribe()
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_MAX_S
        try:
            yield "retry: 3000\n\n"
            yield _frame("hello", {"user": user.username, "agent_id": agent_id})
            if wallboard:
                yield await snapshot()
            while loop.time() < ends:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_S)
                except TimeoutError:
                    # Waits grow while nothing happens: a quiet centre still gets fresh figures.
                    yield await snapshot() if wallboard else ": keep-alive\n\n"
                    continue
                burst = [event]
                if wallboard:
                    burst_ends = loop.time() + COALESCE_S
                    while (left := burst_ends - loop.time()) > 0:
                        with contextlib.suppress(TimeoutError):
                            burst.append(await asyncio.wait_for(queue.get(), timeout=left))
                for e in burst:
                    if not (filtered and _concerns_other_agent(e, agent_id)):
                        yield _frame(_name(e), e.payload())
                if wallboard:
                    yield await snapshot()
            yield _frame("bye", {"reason": "stream lifetime reached; reconnect with a new ticket"})
        finally:
            kefu.local_bus.unsubscribe(queue)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(frames(), media_type="text/event-stream", headers=headers)
