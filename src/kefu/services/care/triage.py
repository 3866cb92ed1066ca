"""Triage and self-service around a conversation: the care core (``kefu.care``) wired into its lifecycle.

On open: triage stores intent and language on the conversation; an elderly or vulnerable customer is
cared for (human queue, priority boost, ``elderly_care`` agents preferred) and never answered by a bot;
anyone else whose opening words match a knowledge base article confidently gets that article as a system
message, and the conversation waits in ``self_service`` with no routing task.

A later customer message in ``self_service``:

- asks for a person ("转人工", "agent", ...) or says the answer did not help → the conversation joins its
  queue (``open_task``) with everything said so far as context;
- says it is solved ("解决了", "thanks", ...) → resolved with disposition ``self_service``;
- asks something else → answered again when that is confident too, otherwise it goes to a person.
"""

from __future__ import annotations

from kefu.care import (
    Article,
    CarePlan,
    care_guidance,
    care_plan,
    decide_self_service,
    self_service,
    wants_human,
)
from kefu.domain import events
from kefu.domain.conversations import Conversation, Message
from kefu.domain.customers import Customer
from kefu.domain.ids import new_id
from kefu.services.context import Context
from kefu.services.shared.tasks import open_task

# Checked before ``_SOLVED``: "没解决" contains "解决".
_FOOTER = {
    "zh": "如果没有解决您的问题，回复“转人工”即可联系人工客服；已解决请回复“已解决”。",
    "en": 'If this did not solve it, reply "agent" to reach a person; reply "solved" if it did.',
}
_HANDING_OVER = {
    "zh": "正在为您转接人工客服，请稍候，您之前的描述客服都能看到。",
    "en": "Connecting you with a person now; they will see everything you have written so far.",
}


def plan_for(ctx: Context, customer: Customer) -> CarePlan:
    age = customer.age_on(ctx.local_today())
    return care_plan(age, customer.vulnerable, elderly_age=ctx.settings.elderly_age)


def _lang(conversation: Conversation) -> str:
    return conversation.language or "zh"


async def _answer(ctx: Context, conversation: Conversation, plan: CarePlan, text: str) -> Article | None:
    """The article self-service answers ``text`` with, or None when a person should."""
    await ctx.knowledge.refresh(ctx.uow)
    hits = ctx.knowledge.search(text, lang=_lang(conversation))
    decision = decide_self_service(plan, text, hits, conversation.channel)
    if not decision.answer or decision.article_id is None:
        return None
    return ctx.knowledge.base.get(decision.article_id)


def _system_message(conversation: Conversation, body: str, ctx: Context) -> Message:
    now = ctx.clock.now()
    message = Message(new_id(), conversation.id, "system", body, now)
    conversation.post(message)
    return message


def _article_text(article: Article, lang: str) -> str:
    return f"{article.title}\n\n{article.body}\n\n{_FOOTER.get(lang, _FOOTER['zh'])}"


async def answer_on_open(ctx: Context, conversation: Conversation, customer: Customer, text: str) -> bool:
    """Called while opening: answer by self-service when it suits. True when it answered (no task then)."""
    if not text.strip():
        return False
    article = await _answer(ctx, conversation, plan_for(ctx, customer), text)
    if article is None:
        return False
    conversation.status = "self_service"  # the conversation's first state: nothing to transition from
    _system_message(conversation, _article_text(article, _lang(conversation)), ctx)
    await ctx.audit(
        "conversation.self_service_answered", "conversation", conversation.id, article_id=article.id
    )
    ctx.uow.emit(events.SelfServiceAnswered(conversation.id, article.id, ctx.clock.now()))
    return True


async def on_customer_message(ctx: Context, conversation: Conversation, text: str) -> list[Message]:
    """A customer wrote in a ``self_service`` conversation: hand over, settle, or answer again.

    Returns the system messages it added (the caller stores them with the customer's message)."""
    if conversation.status != "self_service":
        return []
    customer = await ctx.uow.customers.get(conversation.customer_id)
    if customer is None:  # pragma: no cover - a conversation always has its customer
        return []
    now = ctx.clock.now()
    if wants_human(text) or self_service.says_not_helped(text):
        reason = "human_requested" if wants_human(text) else "not_helped"
        return [await escalate(ctx, conversation, customer, reason)]
    if self_service.says_solved(text):
        conversation.solve(now)
        await ctx.audit("conversation.resolved", "conversation", conversation.id, disposition="self_service")
        ctx.uow.emit(events.ConversationResolved(conversation.id, None, "self_service", now))
        return []
    article = await _answer(ctx, conversation, plan_for(ctx, customer), text)
    if article is None:
        return [await escalate(ctx, conversation, customer, "not_confident")]
    await ctx.audit(
        "conversation.self_service_answered", "conversation", conversation.id, article_id=article.id
    )
    ctx.uow.emit(events.SelfServiceAnswered(conversation.id, article.id, now))
    return [_system_message(conversation, _article_text(article, _lang(conversation)), ctx)]


async def escalate(ctx: Context, conversation: Conversation, customer: Customer, reason: str) -> Message:
    """Self-service is over: the conversation waits in its queue for a person, with all it holds."""
    now = ctx.clock.now()
    conversation.escalate(now)
    message = _system_message(conversation, _HANDING_OVER.get(_lang(conversation), _HANDING_OVER["zh"]), ctx)
    await open_task(
        ctx, "conversation", conversation.id, conversation.queue, conversation.channel, conversation.care,
        customer.home_site,
    )  # fmt: skip
    await ctx.audit("conversation.escalated", "conversation", conversation.id, reason=reason)
    ctx.uow.emit(events.ConversationEscalated(conversation.id, reason, now))
    return message


async def viewer_language(ctx: Context) -> str | None:
    """The language of the agent who is reading (their strongest ``lang_*`` skill), if that is clear."""
    if ctx.actor.role != "agent":
        return None
    agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
    if agent is None:
        return None
    zh, en = agent.skills.get("lang_zh", 0), agent.skills.get("lang_en", 0)
    if zh == en:
        return None
    return "zh" if zh > en else "en"


async def fill_guidance(ctx: Context, conversations: list[Conversation]) -> None:
    """Put agent-facing care guidance on each care conversation, in the viewer's language."""
    if not any(c.care for c in conversations):
        return
    agent_lang = await viewer_language(ctx)
    for conversation in conversations:
        if conversation.care:
            conversation.care_guidance = care_guidance(agent_lang or _lang(conversation))
