"""A new conversation enters the centre: stored, audited and announced in the caller's unit of work.

A customer's own contact (``open_conversation``) and the live contact of a payer who asked for a specialist
(``talk_to_specialist``) both begin this way; what happens next (self-service, a task, a case) is theirs.
"""

from __future__ import annotations

from typing import Any

from kefu.domain import events
from kefu.domain.conversations import Conversation
from kefu.services.context import Context


async def add_conversation(ctx: Context, conversation: Conversation, **audit_detail: Any) -> None:
    """Store ``conversation``, write ``conversation.created`` to the audit log and emit
    ``ConversationCreated`` (at the conversation's own creation time)."""
    await ctx.uow.conversations.add(conversation)
    await ctx.audit(
        "conversation.created",
        "conversation",
        conversation.id,
        customer_id=conversation.customer_id,
        care=conversation.care,
        **audit_detail,
    )
    ctx.uow.emit(
        events.ConversationCreated(
            conversation.id,
            conversation.customer_id,
            conversation.business_line,
            conversation.channel,
            conversation.queue,
            conversation.priority,
            conversation.care,
            conversation.created_at,
        )
    )
