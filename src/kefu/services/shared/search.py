"""Search over work: customers by name, external id or the last four digits of their phone, and
conversations by subject, each within what the actor may read (the rules of ``list_customers`` and
``list_conversations``). A read: no command, no event."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from kefu.domain.conversations import Conversation
from kefu.domain.customers import Customer
from kefu.domain.errors import Forbidden, InvalidInput
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.shared.customers import present_customer
from kefu.services.shared.users import bases_of

MAX_QUERY = 100
MAX_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Found:
    customers: list[Customer]
    conversations: list[Conversation]


def check_query(q: str) -> str:
    """The words to look for: not blank, at most 100 characters, no control characters."""
    text = q.strip()
    if not text:
        raise InvalidInput("q must not be blank", field="q")
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"q must be at most {MAX_QUERY} characters", field="q")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise InvalidInput("q must not hold control characters", field="q")
    return text


async def search_work(q: str, limit: int, ctx: Context) -> Found:
    """Customers and conversations matching ``q``, newest first, at most ``limit`` (1 to 20) of each."""
    if ctx.actor.role == "integration":
        raise Forbidden("integrations do not search staff work", permission="customers.read")
    require(ctx.actor, "customers.read")
    require(ctx.actor, "conversations.read")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}", field="limit")
    text = check_query(q)
    async with ctx.uow:
        if ctx.actor.role == "agent":
            agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
            if agent is None:
                return Found([], [])
            customers = await ctx.uow.customers.search(text, limit, home_site=agent.site)
            conversations = await ctx.uow.conversations.search(text, limit, agent_id=agent.id)
        else:
            customers = await ctx.uow.customers.search(
                text, limit, home_sites=await bases_of(ctx, "customers.read")
            )
            conversations = await ctx.uow.conversations.search(
                text, limit, bases=await bases_of(ctx, "conversations.read")
            )
    return Found([present_customer(c, ctx.actor) for c in customers], conversations)
