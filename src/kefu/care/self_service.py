"""Self-service first, for those it suits: may the knowledge base answer this message, or a human?

The order of the checks is the policy: care comes first (elderly and vulnerable customers are never answered
by a bot), then the customer's own wish for a person, then whether the best article is a confident answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kefu.care.human import wants_human
from kefu.care.kb import Hit, confident
from kefu.care.policy import CarePlan

SelfServiceReason = Literal["care", "human_requested", "not_confident", "confident"]


@dataclass(frozen=True, slots=True)
class SelfServiceDecision:
    answer: bool  # True: reply with ``article_id``; False: route to a human with the conversation's context
    reason: SelfServiceReason
    article_id: str | None = None


def decide_self_service(plan: CarePlan, text: str, hits: Sequence[Hit]) -> SelfServiceDecision:
    """Whether the knowledge base answers ``text`` (given the search ``hits`` for it) or a human does."""
    if plan.skip_self_service:
        return SelfServiceDecision(answer=False, reason="care")
    if wants_human(text):
        return SelfServiceDecision(answer=False, reason="human_requested")
    if not confident(hits):
        return SelfServiceDecision(answer=False, reason="not_confident")
    return SelfServiceDecision(answer=True, reason="confident", article_id=hits[0].article_id)
