"""Follow-ups (回访): callbacks kefu schedules itself when a case or a care conversation is resolved.

The rules are the care core's (``kefu.care.followups``; ``KEFU_FOLLOW_UP_RULES`` may point at a YAML file
of its own): 24 h and 7 d after a case resolved ``dissuaded``, 1 d after the resolved conversation of an
elderly or vulnerable customer. Each follow-up is a callback with origin ``follow_up``; its attempts and
their notes are the follow-up's outcome. A follow-up has a unique key (event, subject, window), so an event
delivered twice schedules nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog

from kefu.care import (
    CASE_RESOLVED,
    CONVERSATION_RESOLVED,
    CallbackOrigin,
    FollowUpEvent,
    FollowUpRules,
    InvalidCallbackWindow,
    default_follow_up_rules,
    follow_up_rules_from_yaml,
    follow_ups_for,
)
from kefu.config import Settings
from kefu.domain import events
from kefu.domain.cases import CaseResolved
from kefu.domain.commands import Command
from kefu.domain.errors import Conflict
from kefu.services.care.callbacks import needs_care, new_callback
from kefu.services.context import Context

log = structlog.get_logger("kefu.followups")


def rules_from_settings(settings: Settings) -> FollowUpRules:
    if settings.follow_up_rules is None:
        return default_follow_up_rules()
    return follow_up_rules_from_yaml(Path(settings.follow_up_rules).read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class ScheduleFollowUps(Command[int]):
    """Schedule the follow-ups the rules call for after a case or a conversation was resolved.

    The result is how many were scheduled; one already scheduled (same key) is not scheduled again."""

    kind: str
    subject_id: str
    customer_id: str | None  # None: the conversation's customer
    at: datetime
    outcome: str | None


def on_case_resolved(event: CaseResolved) -> ScheduleFollowUps:
    return ScheduleFollowUps(CASE_RESOLVED, event.case_id, event.customer_id, event.at, event.outcome)


def on_conversation_resolved(event: events.ConversationResolved) -> ScheduleFollowUps:
    return ScheduleFollowUps(CONVERSATION_RESOLVED, event.conversation_id, None, event.at, event.disposition)


async def schedule_follow_ups(cmd: ScheduleFollowUps, ctx: Context, rules: FollowUpRules) -> int:
    """Each follow-up commits on its own, so one that clashes or whose window is over skips only itself."""
    customer_id = cmd.customer_id
    async with ctx.uow:
        if customer_id is None:
            conversation = await ctx.uow.conversations.get(cmd.subject_id, with_messages=False)
            customer_id = None if conversation is None else conversation.customer_id
        customer = None if not customer_id else await ctx.uow.customers.get(customer_id)
    if customer is None:
        return 0
    happened = FollowUpEvent(
        cmd.kind, cmd.subject_id, customer.id, cmd.at, outcome=cmd.outcome, elderly=needs_care(ctx, customer)
    )
    made = 0
    for follow_up in follow_ups_for(happened, rules):
        key = f"{cmd.kind}:{cmd.subject_id}:{follow_up.window_start:%Y%m%dT%H%M}"
        try:
            async with ctx.uow:
                await new_callback(
                    ctx,
                    customer,
                    reason=follow_up.reason,
                    window_start=follow_up.window_start,
                    window_end=follow_up.window_end,
                    origin=CallbackOrigin.FOLLOW_UP,
                    roll_over=follow_up.roll_over,
                    after_case=cmd.kind == CASE_RESOLVED,
                    follow_up_key=key,
                    follow_up_event=cmd.kind,
                    follow_up_subject_id=cmd.subject_id,
                )
                await ctx.uow.commit()
        except Conflict:
            log.info("follow-up already scheduled", key=key)
            continue
        except InvalidCallbackWindow:
            log.warning("follow-up window already over", key=key)
            continue
        made += 1
    return made
