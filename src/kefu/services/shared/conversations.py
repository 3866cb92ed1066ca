"""Conversations: open, message, assign, resolve, close, abandon, read."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.care import triage
from kefu.domain import events
from kefu.domain.agents import Agent
from kefu.domain.cases import CASE_QUEUE, REPORT_PRIORITY
from kefu.domain.commands import (
    AbandonConversation,
    AssignConversation,
    CloseConversation,
    OpenConversation,
    PostMessage,
    ResolveConversation,
)
from kefu.domain.conversations import Conversation, Message, Sender, initial_priority
from kefu.domain.errors import Forbidden, InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.queues import Queue, pick_queue
from kefu.domain.routing_rules import ContactFacts, rule_for
from kefu.domain.vocabulary import ConversationStatus
from kefu.services.authz import Permission, allowed, require
from kefu.services.care import triage as self_service
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of
from kefu.services.screening.report_cases import REPORT_INTENT, open_report_case
from kefu.services.shared.agents import check_base
from kefu.services.shared.bases import check_work_base
from kefu.services.shared.customers import check_channel
from kefu.services.shared.intake import add_conversation
from kefu.services.shared.tasks import close_task, hand_assign_task, open_task
from kefu.services.shared.users import bases_of


async def _load(ctx: Context, conversation_id: str, with_messages: bool = False) -> Conversation:
    conversation = await ctx.uow.conversations.get(conversation_id, with_messages=with_messages)
    if conversation is None:
        raise NotFound("conversation", conversation_id)
    if ctx.actor.role == "integration":
        customer = await ctx.uow.customers.get(conversation.customer_id)
        if customer is not None:
            check_channel(ctx.actor, customer)
    return conversation


async def _agent_id_of_actor(ctx: Context) -> str | None:
    agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
    return None if agent is None else agent.id


async def _check_base(ctx: Context, permission: Permission, conversation: Conversation) -> None:
    """A supervisor given bases reads and acts on the conversations of those bases only."""
    await check_work_base(ctx, permission, "conversation", conversation.agent_id, conversation.customer_id)


async def _check_own(ctx: Context, conversation: Conversation, doing: str, permission: Permission) -> None:
    """Agents act only on conversations assigned to them; supervisors on those of their bases, admins on
    any."""
    await _check_base(ctx, permission, conversation)
    if ctx.actor.role != "agent":
        return
    if conversation.agent_id is None or conversation.agent_id != await _agent_id_of_actor(ctx):
        raise Forbidden(f"agents may {doing} only conversations assigned to them")


# Internal notes (services.shared.notes) follow the same ownership rule as replies.
check_own = _check_own


async def _choose_queue(ctx: Context, named: str | None, facts: ContactFacts) -> Queue:
    """The queue the integration named, else the first routing rule that matches, else the line's queue."""
    queues = {q.id: q for q in await ctx.uow.queues.list()}
    if named is not None:
        queue = queues.get(named)
        if queue is None or facts.channel not in queue.channels:
            raise InvalidInput(f"no queue {named!r} taking {facts.channel}", field="queue")
        return queue
    rule = rule_for(await ctx.uow.routing_rules.list(), facts)
    if rule is not None and rule.queue in queues and facts.channel in queues[rule.queue].channels:
        return queues[rule.queue]
    picked = pick_queue(list(queues.values()), facts.business_line, facts.channel)
    if picked is None:
        raise InvalidInput(
            f"no queue serves business line {facts.business_line!r} on channel {facts.channel!r}",
            field="channel",
        )
    return picked


async def open_conversation(cmd: OpenConversation, ctx: Context) -> Conversation:
    require(ctx.actor, "conversations.open")
    lines = ctx.settings.business_lines
    if cmd.business_line is not None and cmd.business_line not in lines:
        raise InvalidInput(
            f"unknown business line {cmd.business_line!r}; lines are {', '.join(lines)}",
            field="business_line",
        )
    triaged = triage(cmd.text or "", cmd.subject, cmd.business_line)
    line = cmd.business_line or (triaged.business_line if triaged.business_line in lines else lines[0])
    async with ctx.uow:
        customer = await ctx.uow.customers.get(cmd.customer_id)
        if customer is None:
            raise InvalidInput(f"no customer {cmd.customer_id!r}", field="customer_id")
        check_channel(ctx.actor, customer)
        care = customer.needs_care(ctx.local_today(), ctx.settings.elderly_age)
        facts = ContactFacts(line, cmd.channel, triaged.intent, triaged.language, care, customer.vip)
        queue = await _choose_queue(ctx, cmd.queue, facts)
        now = ctx.clock.now()
        # A customer reporting a scam is worked by the anti-fraud desk through a report case, whatever
        # queue a rule or the integration chose.
        report = triaged.intent == REPORT_INTENT
        conversation = Conversation(
            id=new_id(),
            customer_id=customer.id,
            business_line=line,
            channel=cmd.channel,
            queue=CASE_QUEUE if report else queue.id,
            priority=initial_priority(care),
            status="queued",
            created_at=now,
            updated_at=now,
            subject=cmd.subject,
            care=care,
            intent=triaged.intent,
            # No words to read (a voice call): the customer's own language.
            language=triaged.language if (cmd.text or cmd.subject) else customer.language,
        )
        if cmd.text:
            conversation.post(Message(new_id(), conversation.id, "customer", cmd.text, now))
            await self_service.answer_on_open(ctx, conversation, customer, cmd.text)
        await add_conversation(ctx, conversation, intent=triaged.intent, language=conversation.language)
        for message in conversation.messages:
            ctx.uow.emit(events.MessagePosted(conversation.id, message.id, message.sender, now))
        if conversation.status == "queued" and report:
            await open_task(
                ctx,
                "conversation",
                conversation.id,
                CASE_QUEUE,
                cmd.channel,
                care,
                customer.home_site,
                priority=REPORT_PRIORITY,
            )
            await open_report_case(ctx, conversation, customer, care)
        elif conversation.status == "queued":  # not when self-service answered
            await open_task(
                ctx, "conversation", conversation.id, queue.id, cmd.channel, care, customer.home_site
            )
        await self_service.fill_guidance(ctx, [conversation])
        await ctx.uow.commit()
    return conversation


async def post_message(cmd: PostMessage, ctx: Context) -> Message:
    sender: Sender
    if allowed(ctx.actor, "conversations.post_customer"):
        sender = "customer"
    elif allowed(ctx.actor, "conversations.post_agent"):
        sender = "agent"
    else:
        raise Forbidden(f"role {ctx.actor.role!r} may not post messages")
    if not cmd.body.strip():
        raise InvalidInput("body must not be blank", field="body")
    async with ctx.uow:
        conversation = await _load(ctx, cmd.conversation_id)
        if sender == "agent":
            await _check_own(ctx, conversation, "reply to", "conversations.post_agent")
        now = ctx.clock.now()
        message = Message(new_id(), conversation.id, sender, cmd.body, now, ctx.actor.user_id)
        conversation.post(message)
        await ctx.uow.conversations.add_message(message)
        ctx.uow.emit(events.MessagePosted(conversation.id, message.id, sender, now))
        if sender == "customer":  # self-service: hand over, settle or answer again
            for reply in await self_service.on_customer_message(ctx, conversation, cmd.body):
                await ctx.uow.conversations.add_message(reply)
                ctx.uow.emit(events.MessagePosted(conversation.id, reply.id, reply.sender, reply.created_at))
        await ctx.uow.conversations.save(conversation)
        await ctx.uow.commit()
    return message


async def assign_conversation(cmd: AssignConversation, ctx: Context) -> Conversation:
    require(ctx.actor, "conversations.assign")
    async with ctx.uow:
        conversation = await _load(ctx, cmd.conversation_id)
        await _check_base(ctx, "conversations.assign", conversation)
        agent = await ctx.uow.agents.get(cmd.agent_id)
        if agent is None:
            raise InvalidInput(f"no agent {cmd.agent_id!r}", field="agent_id")
        await check_base(ctx, "conversations.assign", agent)
        now = ctx.clock.now()
        conversation.assign(cmd.agent_id, now)
        await ctx.uow.conversations.save(conversation)
        await hand_assign_task(ctx, conversation.id, cmd.agent_id, now)
        await ctx.audit("conversation.assigned", "conversation", conversation.id, agent_id=cmd.agent_id)
        ctx.uow.emit(events.ConversationAssigned(conversation.id, cmd.agent_id, now))
        await ctx.uow.commit()
    return conversation


async def resolve_conversation(cmd: ResolveConversation, ctx: Context) -> Conversation:
    require(ctx.actor, "conversations.resolve")
    if not cmd.disposition.strip():
        raise InvalidInput("disposition must not be blank", field="disposition")
    async with ctx.uow:
        conversation = await _load(ctx, cmd.conversation_id)
        await _check_own(ctx, conversation, "resolve", "conversations.resolve")
        now = ctx.clock.now()
        conversation.resolve(cmd.disposition, cmd.note, now)
        await ctx.uow.conversations.save(conversation)
        await close_task(ctx, conversation.id, "completed")
        await ctx.audit("conversation.resolved", "conversation", conversation.id, disposition=cmd.disposition)
        ctx.uow.emit(
            events.ConversationResolved(conversation.id, conversation.agent_id, cmd.disposition, now)
        )
        await ctx.uow.commit()
    return conversation


async def close_conversation(cmd: CloseConversation, ctx: Context) -> Conversation:
    require(ctx.actor, "conversations.close")
    async with ctx.uow:
        conversation = await _load(ctx, cmd.conversation_id)
        await _check_own(ctx, conversation, "close", "conversations.close")
        now = ctx.clock.now()
        conversation.close(now)
        await ctx.uow.conversations.save(conversation)
        await ctx.audit("conversation.closed", "conversation", conversation.id)
        ctx.uow.emit(events.ConversationClosed(conversation.id, now))
        await ctx.uow.commit()
    return conversation


async def abandon_conversation(cmd: AbandonConversation, ctx: Context) -> Conversation:
    require(ctx.actor, "conversations.abandon")
    async with ctx.uow:
        conversation = await _load(ctx, cmd.conversation_id)
        await _check_base(ctx, "conversations.abandon", conversation)
        now = ctx.clock.now()
        conversation.abandon(now)
        await ctx.uow.conversations.save(conversation)
        await close_task(ctx, conversation.id, "abandoned")
        await ctx.audit("conversation.abandoned", "conversation", conversation.id)
        ctx.uow.emit(events.ConversationAbandoned(conversation.id, now))
        await ctx.uow.commit()
    return conversation


async def get_conversation(conversation_id: str, ctx: Context) -> Conversation:
    require(ctx.actor, "conversations.read")
    async with ctx.uow:
        conversation = await _load(ctx, conversation_id, with_messages=True)
        await _check_base(ctx, "conversations.read", conversation)
        if ctx.actor.role == "agent" and conversation.agent_id != await _agent_id_of_actor(ctx):
            raise Forbidden("agents may read only conversations assigned to them")
        await self_service.fill_guidance(ctx, [conversation])
    if not allowed(ctx.actor, "conversations.read_notes"):
        conversation.messages = [m for m in conversation.messages if m.sender != "note"]
    return conversation


async def list_conversations(
    after: str | None,
    limit: int,
    ctx: Context,
    status: ConversationStatus | None = None,
    queue: str | None = None,
    customer_id: str | None = None,
) -> Page[Conversation]:
    require(ctx.actor, "conversations.read")
    async with ctx.uow:
        # An agent's list is their own work; the queue as a whole is the supervisors' view. An agent who
        # serves a customer may see that customer's other contacts: the history is part of serving well.
        if ctx.actor.role == "integration":
            # A customer channel reads the contacts of one of its customers at a time.
            if customer_id is None:
                raise InvalidInput(
                    "an integration lists the conversations of one customer", field="customer_id"
                )
            owner = await ctx.uow.customers.get(customer_id)
            if owner is not None:
                check_channel(ctx.actor, owner)
        agent_id = await _agent_id_of_actor(ctx) if ctx.actor.role == "agent" else None
        if ctx.actor.role == "agent" and agent_id is None:
            return Page([], None)
        if agent_id is not None and customer_id is not None:
            serving = await ctx.uow.conversations.page(None, 1, customer_id=customer_id, agent_id=agent_id)
            if serving:
                agent_id = None
        rows = await ctx.uow.conversations.page(
            after,
            limit + 1,
            status=status,
            queue=queue,
            customer_id=customer_id,
            agent_id=agent_id,
            bases=await bases_of(ctx, "conversations.read"),
        )
        await self_service.fill_guidance(ctx, rows)
    return page_of(rows, limit)


WAITING_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Waiting:
    """A conversation waiting in a queue: its place in that queue's line (priority, then arrival; the
    router's own view is ``GET /conversations/{id}/queue``) and how long it has waited, for reading only:
    routing offers the work."""

    conversation: Conversation
    position: int
    waiting_s: int


def _serves(agent: Agent, queue: Queue) -> bool:
    """The agent holds every skill the queue requires, at its level or above."""
    return all(agent.skills.get(name, 0) >= level for name, level in queue.skills.items())


async def list_waiting(ctx: Context, limit: int = WAITING_LIMIT) -> list[Waiting]:
    """The queued, unassigned conversations of the queues whose skills the agent holds; a supervisor's of
    every queue, of their bases. Integrations have no waiting view."""
    require(ctx.actor, "conversations.read")
    if ctx.actor.role == "integration":
        raise Forbidden("integrations have no waiting view", permission="conversations.read")
    async with ctx.uow:
        queues = await ctx.uow.queues.list()
        if ctx.actor.role == "agent":
            agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
            if agent is None:
                return []
            queues = [q for q in queues if _serves(agent, q)]
        if not queues:
            return []
        rows = await ctx.uow.conversations.waiting(
            tuple(q.id for q in queues), limit, bases=await bases_of(ctx, "conversations.read")
        )
    now = ctx.clock.now()
    seen: dict[str, int] = {}
    out: list[Waiting] = []
    for row in rows:
        seen[row.queue] = seen.get(row.queue, 0) + 1
        out.append(Waiting(row, seen[row.queue], max(0, int((now - row.created_at).total_seconds()))))
    return out
