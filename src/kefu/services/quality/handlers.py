"""Quality: CSAT ratings, commendations (锦旗) and complaints, each audited."""

from __future__ import annotations

from kefu.domain.conversations import Conversation
from kefu.domain.errors import AlreadyExists, Forbidden, IllegalTransition, InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.quality import (
    COMPLAINT_CATEGORIES,
    RATEABLE,
    Commendation,
    CommendationGiven,
    Complaint,
    ComplaintChanged,
    ComplaintFiled,
    ComplaintStatus,
    CsatRating,
    CsatRecorded,
    FileComplaint,
    GiveCommendation,
    HandleComplaint,
    RecordCsat,
    check_score,
)
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of


def _text(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidInput(f"{field} must not be blank", field=field)
    return value.strip()


async def _conversation_of(
    ctx: Context, conversation_id: str | None, customer_id: str
) -> Conversation | None:
    """The conversation named in feedback; it must be the same customer's."""
    if conversation_id is None:
        return None
    conversation = await ctx.uow.conversations.get(conversation_id, with_messages=False)
    if conversation is None:
        raise InvalidInput(f"no conversation {conversation_id!r}", field="conversation_id")
    if conversation.customer_id != customer_id:
        raise InvalidInput("the conversation belongs to another customer", field="conversation_id")
    return conversation


async def record_csat(cmd: RecordCsat, ctx: Context) -> CsatRating:
    require(ctx.actor, "quality.feedback")
    check_score(cmd.score)
    async with ctx.uow:
        conversation = await ctx.uow.conversations.get(cmd.conversation_id, with_messages=False)
        if conversation is None:
            raise NotFound("conversation", cmd.conversation_id)
        if conversation.status not in RATEABLE:
            raise IllegalTransition("conversation", conversation.id, conversation.status, "rate")
        if await ctx.uow.quality.csat_for(conversation.id) is not None:
            raise AlreadyExists(
                f"conversation {conversation.id!r} is already rated; a rating is given once",
                conversation_id=conversation.id,
            )
        now = ctx.clock.now()
        rating = CsatRating(
            id=new_id(),
            conversation_id=conversation.id,
            customer_id=conversation.customer_id,
            queue=conversation.queue,
            business_line=conversation.business_line,
            agent_id=conversation.agent_id,
            score=cmd.score,
            comment=(cmd.comment or "").strip() or None,
            at=now,
        )
        await ctx.uow.quality.add_csat(rating)
        await ctx.audit("csat.recorded", "conversation", conversation.id, score=cmd.score)
        ctx.uow.emit(CsatRecorded(conversation.id, conversation.agent_id, cmd.score, now))
        await ctx.uow.commit()
    return rating


async def give_commendation(cmd: GiveCommendation, ctx: Context) -> Commendation:
    require(ctx.actor, "quality.feedback")
    message = _text(cmd.message, "message")
    async with ctx.uow:
        if await ctx.uow.agents.get(cmd.agent_id) is None:
            raise NotFound("agent", cmd.agent_id)
        if await ctx.uow.customers.get(cmd.customer_id) is None:
            raise InvalidInput(f"no customer {cmd.customer_id!r}", field="customer_id")
        conversation = await _conversation_of(ctx, cmd.conversation_id, cmd.customer_id)
        if conversation is not None and conversation.agent_id != cmd.agent_id:
            raise InvalidInput("that conversation was not handled by this agent", field="conversation_id")
        now = ctx.clock.now()
        commendation = Commendation(
            id=new_id(),
            agent_id=cmd.agent_id,
            customer_id=cmd.customer_id,
            conversation_id=cmd.conversation_id,
            queue=None if conversation is None else conversation.queue,
            business_line=None if conversation is None else conversation.business_line,
            message=message,
            by=ctx.actor.username,
            at=now,
        )
        await ctx.uow.quality.add_commendation(commendation)
        await ctx.audit(
            "commendation.given",
            "agent",
            cmd.agent_id,
            commendation_id=commendation.id,
            customer_id=cmd.customer_id,
        )
        ctx.uow.emit(CommendationGiven(commendation.id, cmd.agent_id, cmd.customer_id, now))
        await ctx.uow.commit()
    return commendation


async def file_complaint(cmd: FileComplaint, ctx: Context) -> Complaint:
    require(ctx.actor, "complaints.file")
    if cmd.category not in COMPLAINT_CATEGORIES:
        raise InvalidInput(
            f"unknown category {cmd.category!r}; categories are {', '.join(COMPLAINT_CATEGORIES)}",
            field="category",
        )
    text = _text(cmd.text, "text")
    async with ctx.uow:
        if await ctx.uow.customers.get(cmd.customer_id) is None:
            raise InvalidInput(f"no customer {cmd.customer_id!r}", field="customer_id")
        conversation = await _conversation_of(ctx, cmd.conversation_id, cmd.customer_id)
        agent_id = cmd.agent_id or (None if conversation is None else conversation.agent_id)
        if cmd.agent_id is not None and await ctx.uow.agents.get(cmd.agent_id) is None:
            raise InvalidInput(f"no agent {cmd.agent_id!r}", field="agent_id")
        now = ctx.clock.now()
        complaint = Complaint(
            id=new_id(),
            customer_id=cmd.customer_id,
            conversation_id=cmd.conversation_id,
            agent_id=agent_id,
            queue=None if conversation is None else conversation.queue,
            business_line=None if conversation is None else conversation.business_line,
            category=cmd.category,
            text=text,
            status="open",
            created_at=now,
            updated_at=now,
        )
        await ctx.uow.quality.add_complaint(complaint)
        await ctx.audit(
            "complaint.filed", "complaint", complaint.id, category=cmd.category, agent_id=agent_id
        )
        ctx.uow.emit(ComplaintFiled(complaint.id, cmd.customer_id, agent_id, cmd.category, now))
        await ctx.uow.commit()
    return complaint


async def handle_complaint(cmd: HandleComplaint, ctx: Context) -> Complaint:
    require(ctx.actor, "complaints.handle")
    async with ctx.uow:
        complaint = await ctx.uow.quality.get_complaint(cmd.complaint_id)
        if complaint is None:
            raise NotFound("complaint", cmd.complaint_id)
        now = ctx.clock.now()
        complaint.step(cmd.action, ctx.actor.username, (cmd.note or "").strip() or None, now)
        await ctx.uow.quality.save_complaint(complaint)
        await ctx.audit(f"complaint.{cmd.action}", "complaint", complaint.id, status=complaint.status)
        ctx.uow.emit(ComplaintChanged(complaint.id, complaint.status, now))
        await ctx.uow.commit()
    return complaint


async def list_complaints(
    after: str | None,
    limit: int,
    ctx: Context,
    status: ComplaintStatus | None = None,
    agent_id: str | None = None,
) -> Page[Complaint]:
    require(ctx.actor, "complaints.read")
    async with ctx.uow:
        rows = await ctx.uow.quality.complaints(after, limit + 1, status=status, agent_id=agent_id)
    return page_of(rows, limit)


async def get_complaint(complaint_id: str, ctx: Context) -> Complaint:
    require(ctx.actor, "complaints.read")
    async with ctx.uow:
        complaint = await ctx.uow.quality.get_complaint(complaint_id)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    return complaint


async def agent_commendations(
    agent_id: str, after: str | None, limit: int, ctx: Context
) -> tuple[int, Page[Commendation]]:
    """An agent's commendations, with the total; agents see their own, supervisors anyone's."""
    require(ctx.actor, "quality.read")
    async with ctx.uow:
        if await ctx.uow.agents.get(agent_id) is None:
            raise NotFound("agent", agent_id)
        if ctx.actor.role == "agent":
            own = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
            if own is None or own.id != agent_id:
                raise Forbidden("agents may read only their own commendations")
        total = await ctx.uow.quality.commendation_count(agent_id)
        rows = await ctx.uow.quality.commendations(agent_id, after, limit + 1)
    return total, page_of(rows, limit)
