"""Routing rules: an ordered list choosing a new contact's queue when its integration names none.

Every rule is validated on write: its queue exists and serves the channel it names, the business line,
channel, intent and language are known values. See ``kefu.domain.routing_rules`` for how they match.
"""

from __future__ import annotations

from kefu.care.triage import default_lexicon
from kefu.domain.commands import CreateRoutingRule, DeleteRoutingRule
from kefu.domain.errors import InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.routing_rules import RoutingRule
from kefu.domain.vocabulary import CHANNELS, LANGUAGES
from kefu.services.authz import require
from kefu.services.context import Context


def _known(value: str | None, allowed: tuple[str, ...] | frozenset[str], field: str) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(f"unknown {field} {value!r}; known: {', '.join(sorted(allowed))}", field=field)


async def create_rule(cmd: CreateRoutingRule, ctx: Context) -> RoutingRule:
    require(ctx.actor, "queues.write")
    _known(cmd.business_line, tuple(ctx.settings.business_lines), "business_line")
    _known(cmd.channel, CHANNELS, "channel")
    _known(cmd.intent, frozenset({*default_lexicon().intents, "general"}), "intent")
    _known(cmd.language, LANGUAGES, "language")
    async with ctx.uow:
        queue = await ctx.uow.queues.get(cmd.queue)
        if queue is None:
            raise InvalidInput(f"no queue {cmd.queue!r}", field="queue")
        if cmd.channel is not None and cmd.channel not in queue.channels:
            raise InvalidInput(f"queue {cmd.queue!r} does not take {cmd.channel}", field="channel")
        rules = await ctx.uow.routing_rules.list()
        last = max((r.position for r in rules), default=0)
        position = cmd.position if cmd.position is not None else last + 10
        rule = RoutingRule(
            id=new_id(),
            position=position,
            queue=queue.id,
            created_at=ctx.clock.now(),
            business_line=cmd.business_line,
            channel=cmd.channel,
            intent=cmd.intent,
            language=cmd.language,
            care=cmd.care,
            vip=cmd.vip,
        )
        await ctx.uow.routing_rules.add(rule)
        await ctx.audit("routing_rule.created", "routing_rule", rule.id, queue=rule.queue, position=position)
        await ctx.uow.commit()
    return rule


async def delete_rule(cmd: DeleteRoutingRule, ctx: Context) -> None:
    require(ctx.actor, "queues.write")
    async with ctx.uow:
        if not await ctx.uow.routing_rules.delete(cmd.rule_id):
            raise NotFound("routing rule", cmd.rule_id)
        await ctx.audit("routing_rule.deleted", "routing_rule", cmd.rule_id)
        await ctx.uow.commit()


async def list_rules(ctx: Context) -> list[RoutingRule]:
    require(ctx.actor, "queues.read")
    async with ctx.uow:
        return await ctx.uow.routing_rules.list()
