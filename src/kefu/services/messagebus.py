"""The message bus: the one door through which every state change enters kefu.

A command has exactly one handler, which runs in a fresh unit of work (its ``Context``) and commits; its
error propagates to the caller. The events it committed are already in the outbox (written in the same
transaction, see ``services/outbox.py``); after the commit the bus hands them, in order, to the in-process
listeners (the live streams of this process) and then to every event handler subscribed to them. An event
handler that fails is logged and the others still run: a projection that breaks must not undo a customer's
conversation that has already been saved. Event handlers change state only by handling a command.

Events are drained from one queue per outermost command: what a reaction causes is queued behind what caused
it, so the order seen by listeners is causal, and a reaction never runs inside another handler's transaction
or while the routing engine's lock is held.

Handlers get their collaborators (the routing engine, the screening desk, the notifier) injected at
``bootstrap``; no handler imports another handler's module to reach them.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

import structlog

from kefu.config import Settings
from kefu.domain.clock import Clock
from kefu.domain.commands import Command
from kefu.domain.errors import Unavailable
from kefu.domain.events import Event
from kefu.domain.users import Actor
from kefu.services.context import Context
from kefu.services.knowledge import KnowledgeIndex
from kefu.services.ports import PasswordHasher, TokenIssuer, UnitOfWorkFactory

log = structlog.get_logger("kefu.bus")

R = TypeVar("R")
C = TypeVar("C", bound=Command[Any])
E = TypeVar("E", bound=Event)

CommandHandler = Callable[[C, Context], Awaitable[R]]
EventHandler = Callable[[E], Awaitable[None]]

# The queue of committed events of the outermost command being handled, and the task that drains it. A task
# started inside a batch inherits the variable; it must not join a queue another task may have drained.
_pending: ContextVar[tuple[asyncio.Task[Any] | None, deque[Event]] | None] = ContextVar(
    "kefu_bus_pending", default=None
)


def _current_queue() -> deque[Event] | None:
    pending = _pending.get()
    if pending is None or pending[0] is not _task():
        return None
    return pending[1]


def _task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # pragma: no cover - no running loop
        return None


class LocalListeners(Protocol):
    """This process's live views (the SSE streams): told every committed event, never block."""

    async def publish(self, events: Sequence[Event]) -> None: ...


class _NoListeners:
    async def publish(self, events: Sequence[Event]) -> None:
        return None


class MessageBus:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        settings: Settings,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
        listeners: LocalListeners | None = None,
        knowledge: KnowledgeIndex | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.settings = settings
        self.hasher = hasher
        self.tokens = tokens
        self.listeners: LocalListeners = listeners or _NoListeners()
        self.knowledge = knowledge or KnowledgeIndex()  # this process's knowledge base index
        self._commands: dict[type[Command[Any]], CommandHandler[Any, Any]] = {}
        self._events: dict[type[Event], list[EventHandler[Any]]] = defaultdict(list)
        # Called after every commit in this process (the outbox relay's wake-up); cheap and synchronous.
        self.on_commit: list[Callable[[], None]] = []

    # == wiring ======================================================================================
    def register(self, command_type: type[C], handler: CommandHandler[C, Any]) -> None:
        """Set the one handler of a command; a second handler for the same command is a wiring error."""
        if command_type in self._commands:
            raise TypeError(f"{command_type.__name__} already has a handler")
        self._commands[command_type] = handler

    def subscribe(self, event_type: type[E], handler: EventHandler[E]) -> None:
        self._events[event_type].append(handler)

    def command_types(self) -> list[type[Command[Any]]]:
        """Every command this bus handles (for the wiring tests)."""
        return list(self._commands)

    def handler_of(self, command_type: type[Command[Any]]) -> CommandHandler[Any, Any] | None:
        return self._commands.get(command_type)

    # == the door ====================================================================================
    def context(self, actor: Actor) -> Context:
        """A fresh context (a new unit of work) for one command or query."""
        return Context(
            self.uow_factory(), actor, self.clock, self.settings, self.hasher, self.tokens, self.knowledge
        )

    async def handle(self, command: Command[R], actor: Actor) -> R:
        """Run the command's handler in its own unit of work, then the reactions to what it committed."""
        handler = self._commands.get(type(command))
        if handler is None:
            # A job this process does not run (e.g. routing in a one-shot CLI command): 503, not a crash.
            raise Unavailable(f"{type(command).__name__} is not handled by this process")
        async with self.batch():
            ctx = self.context(actor)
            result: R = await handler(command, ctx)
            self._queue(ctx.uow.collect_events())
        return result

    async def dispatch(self, events: Sequence[Event]) -> None:
        """Deliver already-committed events to the listeners and reactions, as after a commit (a replay of
        an event delivered twice must change nothing twice)."""
        async with self.batch():
            self._queue(list(events))

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Queue the events of every command handled inside the block; run their reactions when it ends.

        Nested blocks (a reaction handling a command, a handler calling the routing engine) join the
        outermost one, so reactions run once every change that caused them is committed and no lock of
        the code inside the block is still held."""
        if _current_queue() is not None:
            yield
            return
        queue: deque[Event] = deque()
        token = _pending.set((_task(), queue))
        try:
            yield
        finally:
            _pending.reset(token)
        await self._drain(queue)

    def _queue(self, events: list[Event]) -> None:
        if not events:
            return
        for wake in self.on_commit:
            wake()
        queue = _current_queue()
        if queue is None:  # pragma: no cover - handle() always runs inside batch()
            raise RuntimeError("events committed outside the bus")
        queue.extend(events)

    async def _drain(self, queue: deque[Event]) -> None:
        while queue:
            event = queue.popleft()
            try:
                await self.listeners.publish([event])
            except Exception:
                log.exception("live listeners failed", event_name=event.name)
            token = _pending.set((_task(), queue))  # commands handled by a reaction queue their events here
            try:
                for handler in self._events.get(type(event), []):
                    try:
                        await handler(event)
                    except Exception:
                        log.exception(
                            "event handler failed", event_name=event.name, handler=handler.__qualname__
                        )
            finally:
                _pending.reset(token)
