"""Routing across processes: an API node hands routing commands and questions to its partition's router.

In a cluster the engine of each partition runs in one ``kefu router`` process at a time (the lease holder,
see ``kefu.routing.lease``). API nodes put ``RemoteRouting`` on their bus instead of a ``Router``: it takes
the same routing commands (``RouteTask`` from a committed ``TaskOpened``, ``AcceptOffer`` from a route, …)
and the same questions (an agent's offers, a customer's place, a queue's figures) and sends each, with the
caller, to the router of the partition that routes the queue concerned, over a ``RoutingLink`` (NATS
request/reply). The router answers with its handler's result or error, so an accept answered 200 means the
assignment is committed. With no router holding the lease, the caller gets ``NoRouter`` (503 with
``Retry-After``), never a silent success; what was committed meanwhile (a task opened) is read from the
database when the next router rebuilds its engine.

The wire format is JSON: ``{"kind": "command"|"query", "name", "body", "actor"}`` in, ``{"ok": result}`` or
``{"error": {"code", "status", "detail", "fields"}}`` out.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import structlog
from pydantic import TypeAdapter

from kefu.domain.commands import AcceptOffer, Command, DeclineOffer
from kefu.domain.errors import KefuError, NotFound, Unavailable
from kefu.domain.users import Actor
from kefu.services.context import Context
from kefu.services.messagebus import MessageBus
from kefu.services.routing.partitions import Partitions
from kefu.services.routing.router import (
    AssignRoutingTask,
    EndRoutingTask,
    EndWrapUp,
    ExtendWrapUp,
    OfferCard,
    QueuePlace,
    QueueStats,
    RebuildRouting,
    Router,
    RouteTask,
    SyncAgent,
    SyncQueue,
    TickRouting,
    react,
)

log = structlog.get_logger("kefu.routing.remote")

RETRY_AFTER_S = 2

COMMANDS: dict[str, type[Command[Any]]] = {
    t.__name__: t
    for t in (
        RouteTask,
        EndRoutingTask,
        AssignRoutingTask,
        EndWrapUp,
        ExtendWrapUp,
        SyncAgent,
        SyncQueue,
        AcceptOffer,
        DeclineOffer,
        RebuildRouting,
        TickRouting,
    )
}
_WRAP_UP: TypeAdapter[dict[str, datetime]] = TypeAdapter(dict[str, datetime])
_RESULTS: dict[str, TypeAdapter[Any]] = {
    "AcceptOffer": TypeAdapter(str),
    "EndWrapUp": _WRAP_UP,
    "ExtendWrapUp": _WRAP_UP,
}
_NONE: TypeAdapter[None] = TypeAdapter(type(None))
_QUERIES: dict[str, TypeAdapter[Any]] = {
    "offers": TypeAdapter(list[OfferCard]),
    "place": TypeAdapter(QueuePlace),
    "stats": TypeAdapter(QueueStats),
    "wrap_up": _WRAP_UP,
}
_ACTOR: TypeAdapter[Actor] = TypeAdapter(Actor)


class NoRouter(Unavailable):
    """No router of the partition holds its lease (or it did not answer in time): try again shortly."""

    code = "routing_unavailable"
    title = "Routing unavailable"

    def __init__(self, detail: str, partition: str) -> None:
        super().__init__(detail, partition=partition, retry_after_s=RETRY_AFTER_S)


class RoutingLink(Protocol):
    """How a request reaches a partition's active router and its answer comes back."""

    async def request(self, partition: str, payload: bytes, timeout_s: float) -> bytes:
        """The router's answer; raises ``NoRouter`` if none answers within ``timeout_s``."""
        ...


class RoutingView(Protocol):
    """The questions the API asks the routing engine, wherever it runs."""

    async def offers(self, agent_id: str, ctx: Context) -> list[OfferCard]: ...
    async def place(self, conversation_id: str, ctx: Context) -> QueuePlace: ...
    async def stats(self, queue_id: str, ctx: Context) -> QueueStats: ...
    async def wrap_up_until(self, agent_id: str, ctx: Context) -> dict[str, datetime]: ...


# == the router's side =============================================================================
async def answer(router: Router, bus: MessageBus, payload: bytes) -> bytes:
    """Run one request from an API node on this router and encode its result or error."""
    try:
        message = json.loads(payload)
        actor = _ACTOR.validate_python(message["actor"])
        name, body = message["name"], message["body"]
        if message["kind"] == "command":
            command_type = COMMANDS[name]
            command = TypeAdapter(command_type).validate_python(body)
            result = await bus.handle(command, actor)
            out = _RESULTS.get(name, _NONE).dump_python(result, mode="json")
        else:
            ctx = bus.context(actor)
            ident = body["id"]
            asked: Any
            if name == "offers":
                asked = await router.offers(ident, ctx)
            elif name == "place":
                asked = await router.place(ident, ctx)
            elif name == "stats":
                asked = await router.stats(ident, ctx)
            else:
                asked = await router.wrap_up_until(ident, ctx)
            out = _QUERIES[name].dump_python(asked, mode="json")
        return json.dumps({"ok": out}).encode()
    except KefuError as exc:
        error = {"code": exc.code, "status": exc.status, "detail": exc.detail, "fields": exc.fields}
        return json.dumps({"error": error}, default=str).encode()
    except (KeyError, ValueError, TypeError) as exc:
        log.warning("unreadable routing request", error=type(exc).__name__)
        error = {"code": "invalid_input", "status": 422, "detail": "unreadable routing request", "fields": {}}
        return json.dumps({"error": error}).encode()


def _error_types() -> dict[str, type[KefuError]]:
    found: dict[str, type[KefuError]] = {}
    todo: list[type[KefuError]] = [KefuError]
    while todo:
        kind = todo.pop()
        found.setdefault(kind.code, kind)
        todo.extend(kind.__subclasses__())
    return found


def _raise(error: dict[str, Any]) -> None:
    """Raise on this side the error the router raised: the same class (by its code), detail and fields."""
    kind = _error_types().get(str(error.get("code")), Unavailable)
    exc = kind.__new__(kind)
    KefuError.__init__(exc, str(error.get("detail", "")), **dict(error.get("fields") or {}))
    if kind.__name__ == "TooManyRequests" or isinstance(exc, NoRouter):
        exc.retry_after_s = int(exc.fields.get("retry_after_s", RETRY_AFTER_S))  # type: ignore[attr-defined]
    raise exc


# == the API node's side ===========================================================================
class RemoteRouting:
    """The routing commands and questions of an API node, sent to the routers of their partitions."""

    def __init__(self, bus: MessageBus, link: RoutingLink, partitions: Partitions, timeout_s: float) -> None:
        self.bus = bus
        self.link = link
        self.partitions = partitions
        self.timeout_s = timeout_s
        for name, command_type in COMMANDS.items():
            bus.register(command_type, self._forwarder(name))
        react(bus)

    async def _ask(self, partition: str, kind: str, name: str, body: Any, actor: Actor) -> Any:
        payload = json.dumps(
            {"kind": kind, "name": name, "body": body, "actor": _ACTOR.dump_python(actor, mode="json")}
        ).encode()
        reply = json.loads(await self.link.request(partition, payload, self.timeout_s))
        if "error" in reply:
            _raise(reply["error"])
        return reply["ok"]

    def _forwarder(self, name: str) -> Callable[[Command[Any], Context], Any]:
        async def forward(command: Command[Any], ctx: Context) -> Any:
            body = TypeAdapter(type(command)).dump_python(command, mode="json")
            targets = await self._partitions_of(command, ctx)
            if targets is None:
                results = await self._every_answering("command", name, body, ctx.actor)
            else:
                results = [await self._ask(p, "command", name, body, ctx.actor) for p in targets]
            adapter = _RESULTS.get(name, _NONE)
            if adapter is _WRAP_UP:
                merged: dict[str, datetime] = {}
                for r in results:
                    merged.update(_WRAP_UP.validate_python(r))
                return merged
            return adapter.validate_python(results[0]) if results else None

        return forward

    async def _every_answering(self, kind: str, name: str, body: Any, actor: Actor) -> list[Any]:
        """Ask every partition's router at once; those without a router are left out, unless none answers
        (an agent's offers, wrap-up or presence concern every partition; one down must not hide the rest)."""
        asked = await asyncio.gather(
            *(self._ask(p, kind, name, body, actor) for p in self.partitions.names), return_exceptions=True
        )
        answered = [a for a in asked if not isinstance(a, NoRouter)]
        for a in answered:
            if isinstance(a, BaseException):
                raise a
        if not answered:
            raise asked[0]
        return answered

    async def _partitions_of(self, command: Command[Any], ctx: Context) -> list[str] | None:
        """Where a command goes: the partition of the queue it concerns, or (None) every partition."""
        if isinstance(command, RouteTask):
            return [self.partitions.of(command.queue_id)]
        if isinstance(command, SyncQueue):
            return [self.partitions.of(command.queue_id)]
        if isinstance(command, AcceptOffer | DeclineOffer):
            async with ctx.uow:
                offer = await ctx.uow.offers.get(command.offer_id)
                task = None if offer is None else await ctx.uow.tasks.get(offer.task_id)
            if task is None:
                raise NotFound("offer", command.offer_id)
            return [self.partitions.of(task.queue_id)]
        if isinstance(command, EndRoutingTask | AssignRoutingTask):
            async with ctx.uow:
                task = await ctx.uow.tasks.get(command.task_id)
            return [] if task is None else [self.partitions.of(task.queue_id)]
        return None

    async def offers(self, agent_id: str, ctx: Context) -> list[OfferCard]:
        cards: list[OfferCard] = []
        for found in await self._every_answering("query", "offers", {"id": agent_id}, ctx.actor):
            cards.extend(_QUERIES["offers"].validate_python(found))
        return sorted(cards, key=lambda c: c.created_at)

    async def place(self, conversation_id: str, ctx: Context) -> QueuePlace:
        async with ctx.uow:
            task = await ctx.uow.tasks.open_for_subject(conversation_id)
        partition = self.partitions.of(task.queue_id if task is not None else "")
        found = await self._ask(partition, "query", "place", {"id": conversation_id}, ctx.actor)
        place: QueuePlace = _QUERIES["place"].validate_python(found)
        return place

    async def stats(self, queue_id: str, ctx: Context) -> QueueStats:
        partition = self.partitions.of(queue_id)
        found = await self._ask(partition, "query", "stats", {"id": queue_id}, ctx.actor)
        stats: QueueStats = _QUERIES["stats"].validate_python(found)
        return stats

    async def wrap_up_until(self, agent_id: str, ctx: Context) -> dict[str, datetime]:
        merged: dict[str, datetime] = {}
        for found in await self._every_answering("query", "wrap_up", {"id": agent_id}, ctx.actor):
            merged.update(_WRAP_UP.validate_python(found))
        return merged
