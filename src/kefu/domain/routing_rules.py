"""Routing rules: which queue a new contact goes to when its integration names none.

An ordered list, like TaskRouter's workflow filters: the first rule whose conditions all hold names the
queue; a condition left out (None) holds for every contact; when no rule matches, the contact goes to the
queue named after its business line (``pick_queue``). Conditions: business line, channel, intent (triage),
language, whether the customer is elderly or vulnerable (``care``) and whether they are a VIP (``vip``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What a rule may look at, as triage and the customer record know them when the contact opens."""

    business_line: str
    channel: str
    intent: str | None
    language: str | None
    care: bool
    vip: bool = False


@dataclass(frozen=True, slots=True)
class RoutingRule:
    id: str
    position: int  # lower is tried first; ties by id
    queue: str
    created_at: datetime
    business_line: str | None = None
    channel: str | None = None
    intent: str | None = None
    language: str | None = None
    care: bool | None = None
    vip: bool | None = None

    def matches(self, facts: ContactFacts) -> bool:
        wanted = (
            (self.business_line, facts.business_line),
            (self.channel, facts.channel),
            (self.intent, facts.intent),
            (self.language, facts.language),
            (self.care, facts.care),
            (self.vip, facts.vip),
        )
        return all(want is None or want == got for want, got in wanted)


def rule_for(rules: Sequence[RoutingRule], facts: ContactFacts) -> RoutingRule | None:
    """The first rule, in order, whose conditions all hold."""
    return next((r for r in sorted(rules, key=lambda r: (r.position, r.id)) if r.matches(facts)), None)
