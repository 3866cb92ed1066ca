"""Transfers: a conversation goes back to routing, to another queue or offered first to one agent.

The customer keeps their original wait: the new task is enqueued at the old task's ``enqueued_at``, so
priority aging and escalation carry on where they were. The note travels with the conversation as a
system message and in the ``conversation.transferred`` event and audit entry.
"""

from __future__ import annotations

from kefu.domain import events
from kefu.domain.commands import TransferConversation
from kefu.domain.conversations import Conversation, Message
from kefu.domain.errors import Forbidden, InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.services.authz import allowed, require
from kefu.services.context import Context
from kefu.services.shared.bases import check_site, check_work_base
from kefu.services.shared.tasks import close_task, open_task


async def transfer_conversation(cmd: TransferConversation, ctx: Context) -> Conversation:
    """The agent working it, or a supervisor, sends the conversation to ``to_queue`` and/or ``to_agent``."""
    require(ctx.actor, "conversations.resolve")
    if cmd.to_queue is None and cmd.to_agent is None:
        raise InvalidInput("say where to: to_queue or to_agent", field="to_queue")
    async with ctx.uow:
        conversation = await ctx.uow.conversations.get(cmd.conversation_id, with_messages=False)
        if conversation is None:
            raise NotFound("conversation", cmd.conversation_id)
        if not allowed(ctx.actor, "conversations.assign"):
            own = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
            if own is None or conversation.agent_id != own.id:
                raise Forbidden("agents may transfer only conversations assigned to them")
        # A supervisor given bases transfers the conversations of those bases, to agents of them.
        await check_work_base(
            ctx, "conversations.assign", "conversation", conversation.agent_id, conversation.customer_id
        )
        queue_id = cmd.to_queue or conversation.queue
        queue = await ctx.uow.queues.get(queue_id)
        if queue is None:
            raise InvalidInput(f"no queue {queue_id!r}", field="to_queue")
        if conversation.channel not in queue.channels:
            raise InvalidInput(f"queue {queue_id!r} does not take {conversation.channel}", field="to_queue")
        if cmd.to_agent is not None:
            to_agent = await ctx.uow.agents.get(cmd.to_agent)
            if to_agent is None:
                raise InvalidInput(f"no agent {cmd.to_agent!r}", field="to_agent")
            await check_site(ctx, "conversations.assign", "agent", to_agent.site)
        customer = await ctx.uow.customers.get(conversation.customer_id)
        now = ctx.clock.now()
        before = await ctx.uow.tasks.open_for_subject(conversation.id)
        waiting_since = before.enqueued_at if before is not None else conversation.created_at
        from_agent = conversation.agent_id
        conversation.transfer(queue_id, now)
        note = (cmd.note or "").strip() or None
        await ctx.uow.conversations.save(conversation)
        if note is not None:
            body = f"转接备注 / transfer note: {note}"
            message = Message(new_id(), conversation.id, "system", body, now, ctx.actor.user_id)
            await ctx.uow.conversations.add_message(message)
            ctx.uow.emit(events.MessagePosted(conversation.id, message.id, "system", now))
        await close_task(ctx, conversation.id, "transferred", now=now)
        await open_task(
            ctx,
            "conversation",
            conversation.id,
            queue_id,
            conversation.channel,
            conversation.care,
            None if customer is None else customer.home_site,
            enqueued_at=waiting_since,
            preferred_agent_id=cmd.to_agent,
        )
        await ctx.audit(
            "conversation.transferred",
            "conversation",
            conversation.id,
            from_agent_id=from_agent,
            to_queue=queue_id,
            to_agent_id=cmd.to_agent,
            note=note,
        )
        ctx.uow.emit(
            events.ConversationTransferred(conversation.id, from_agent, queue_id, cmd.to_agent, note, now)
        )
        await ctx.uow.commit()
    return conversation
