"""The message bus: one handler per command, many per event; events leave the process after commit.

A command's error propagates to the caller. An event handler that fails is logged and the others still
run: a projection that breaks must not undo a customer's conversation that has already been saved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from kefu.config import Settings
from kefu.domain import commands as c
from kefu.domain.clock import Clock
from kefu.domain.events import Event
from kefu.domain.quality import FileComplaint, GiveCommendation, HandleComplaint, RecordCsat
from kefu.domain.users import Actor
from kefu.services.context import Context
from kefu.services.handlers import agents, callbacks, conversations, customers, kb, queues, users
from kefu.services.handlers import quality as quality_handlers
from kefu.services.knowledge import KnowledgeIndex
from kefu.services.ports import EventPublisher, PasswordHasher, TokenIssuer, UnitOfWorkFactory

log = structlog.get_logger("kefu.bus")

CommandHandler = Callable[[Any, Context], Awaitable[Any]]
EventHandler = Callable[[Event], Awaitable[None]]

COMMAND_HANDLERS: dict[type[c.Command], CommandHandler] = {
    c.CreateUser: users.create_user,
    c.Authenticate: users.authenticate,
    c.IssueToken: users.issue_token,
    c.CreateCustomer: customers.create_customer,
    c.UpdateCustomer: customers.update_customer,
    c.CreateAgent: agents.create_agent,
    c.UpdateAgent: agents.update_agent,
    c.SetPresence: agents.set_presence,
    c.OpenConversation: conversations.open_conversation,
    c.PostMessage: conversations.post_message,
    c.AssignConversation: conversations.assign_conversation,
    c.ResolveConversation: conversations.resolve_conversation,
    c.CloseConversation: conversations.close_conversation,
    c.AbandonConversation: conversations.abandon_conversation,
    c.CreateQueue: queues.create_queue,
    c.UpdateQueue: queues.update_queue,
    c.PutArticle: kb.put_article,
    c.ScheduleCallback: callbacks.schedule,
    c.CancelCallback: callbacks.cancel,
    c.RecordCallbackAttempt: callbacks.record_attempt_of,
    c.TakeCallbackInstead: callbacks.take_callback_instead,
    RecordCsat: quality_handlers.record_csat,
    GiveCommendation: quality_handlers.give_commendation,
    FileComplaint: quality_handlers.file_complaint,
    HandleComplaint: quality_handlers.handle_complaint,
}


class MessageBus:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        publisher: EventPublisher,
        clock: Clock,
        settings: Settings,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
    ) -> None:
        self.uow_factory = uow_factory
        self.publisher = publisher
        self.clock = clock
        self.settings = settings
        self.hasher = hasher
        self.tokens = tokens
        self._event_handlers: dict[type[Event], list[EventHandler]] = defaultdict(list)
        # Handlers wired at bootstrap with their own dependencies (e.g. the screening desk's counters).
        self._command_handlers: dict[type[c.Command], CommandHandler] = {}
        self.knowledge = KnowledgeIndex()  # this process's knowledge base index (care self-service)

    def register(self, command_type: type[c.Command], handler: CommandHandler) -> None:
        """Add the one handler of a command whose handler needs more than a context."""
        self._command_handlers[command_type] = handler

    def subscribe(self, event_type: type[Event], handler: EventHandler) -> None:
        self._event_handlers[event_type].append(handler)

    def context(self, actor: Actor) -> Context:
        """A fresh context (new unit of work) for one command or query."""
        return Context(
            self.uow_factory(), actor, self.clock, self.settings, self.hasher, self.tokens, self.knowledge
        )

    async def handle(self, command: c.Command, actor: Actor) -> Any:
        handler = self._command_handlers.get(type(command)) or COMMAND_HANDLERS.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        ctx = self.context(actor)
        result = await handler(command, ctx)
        await self.dispatch(ctx.uow.collect_events())
        return result

    async def dispatch(self, events: list[Event]) -> None:
        """Publish, then run in-process reactions; both only ever see committed facts. Publishing first keeps
        the stream in causal order: what a reaction causes is published after what caused it."""
        if not events:
            return
        try:
            await self.publisher.publish(events)
        except Exception:
            # The change is committed: a lost notification must not turn the caller's success into an error.
            log.exception("publishing events failed", events=[e.name for e in events])
        for event in events:
            for handler in self._event_handlers.get(type(event), []):
                try:
                    await handler(event)
                except Exception:
                    log.exception("event handler failed", event_name=event.name, handler=handler.__qualname__)
