"""Follow-ups (回访): callbacks kefu schedules itself when a case or a care conversation is resolved.

The rules are the care core's (``kefu.care.followups``; ``KEFU_FOLLOW_UP_RULES`` may point at a YAML file
of its own): 24 h and 7 d after a case resolved ``dissuaded``, 1 d after the resolved conversation of an
elderly or vulnerable customer. Each follow-up is a callback with origin ``follow_up``; its attempts and
their notes are the follow-up's outcome. A follow-up has a unique key (event, subject, window), so an event
delivered twice schedules nothing twice.
"""

from __future__ import annotations

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
from kefu.domain.errors import Conflict
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.handlers.callbacks import needs_care, new_callback
from kefu.services.messagebus import MessageBus

log = structlog.get_logger("kefu.followups")


def rules_from_settings(settings: Settings) -> FollowUpRules:
    if settings.follow_up_rules is None:
        return default_follow_up_rules()
    return follow_up_rules_from_yaml(Path(settings.follow_up_rules).read_text(encoding="utf-8"))


class FollowUps:
    """Subscribes to resolved cases and conversations and schedules the follow-ups the rules call for."""

    def __init__(self, bus: MessageBus, rules: FollowUpRules) -> None:
        self.bus = bus
        self.rules = rules
        bus.subscribe(CaseResolved, self.on_case_resolved)  # type: ignore[arg-type]
        bus.subscribe(events.ConversationResolved, self.on_conversation_resolved)  # type: ignore[arg-type]

    async def on_case_resolved(self, event: CaseResolved) -> None:
        await self._schedule(CASE_RESOLVED, event.case_id, event.customer_id, event, outcome=event.outcome)

    async def on_conversation_resolved(self, event: events.ConversationResolved) -> None:
        async with self.bus.uow_factory() as uow:
            conversation = await uow.conversations.get(event.conversation_id, with_messages=False)
        if conversation is None:
            return
        await self._schedule(
            CONVERSATION_RESOLVED, conversation.id, conversation.customer_id, event, outcome=event.disposition
        )

    async def _schedule(
        self,
        kind: str,
        subject_id: str,
        customer_id: str,
        event: CaseResolved | events.ConversationResolved,
        outcome: str | None,
    ) -> int:
        ctx = self.bus.context(SYSTEM_ACTOR)
        async with ctx.uow:
            customer = await ctx.uow.customers.get(customer_id)
        if customer is None:
            return 0
        happened = FollowUpEvent(
            kind, subject_id, customer_id, event.at, outcome=outcome, elderly=needs_care(ctx, customer)
        )
        made = 0
        for follow_up in follow_ups_for(happened, self.rules):
            key = f"{kind}:{subject_id}:{follow_up.window_start:%Y%m%dT%H%M}"
            ctx = self.bus.context(SYSTEM_ACTOR)
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
                        after_case=kind == CASE_RESOLVED,
                        follow_up_key=key,
                        follow_up_event=kind,
                        follow_up_subject_id=subject_id,
                    )
                    await ctx.uow.commit()
            except Conflict:
                log.info("follow-up already scheduled", key=key)
                continue
            except InvalidCallbackWindow:
                log.warning("follow-up window already over", key=key)
                continue
            made += 1
            await self.bus.dispatch(ctx.uow.collect_events())
        return made
