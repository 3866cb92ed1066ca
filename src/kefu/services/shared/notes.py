"""Internal notes: staff write to each other in a conversation's thread (sender ``note``). A note is not a
reply: it starts no first-response clock, is never sent to the customer's channel, and only staff read it
(``conversations.read_notes``). It emits no event, so nothing downstream (a customer channel following
``message.posted``) can pass it on."""

from __future__ import annotations

from kefu.domain.commands import AddInternalNote
from kefu.domain.conversations import Message
from kefu.domain.errors import InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.shared.conversations import check_own


async def add_internal_note(cmd: AddInternalNote, ctx: Context) -> Message:
    require(ctx.actor, "conversations.note")
    if not cmd.body.strip():
        raise InvalidInput("body must not be blank", field="body")
    async with ctx.uow:
        conversation = await ctx.uow.conversations.get(cmd.conversation_id)
        if conversation is None:
            raise NotFound("conversation", cmd.conversation_id)
        await check_own(ctx, conversation, "add notes to")
        note = Message(
            new_id(), conversation.id, "note", cmd.body.strip(), ctx.clock.now(), ctx.actor.user_id
        )
        conversation.post(note)
        await ctx.uow.conversations.add_message(note)
        await ctx.uow.conversations.save(conversation)
        await ctx.audit("conversation.note_added", "conversation", conversation.id, message_id=note.id)
        await ctx.uow.commit()
    return note
