"""Self-service first, for those it suits: may the knowledge base answer this message, or a human?

The order of the checks is the policy: only chat is self-served (a caller on the phone cannot read an
article, so voice and callbacks always reach a person), then care (elderly and vulnerable customers are never
answered by a bot), then the customer's own wish for a person, then whether the best article is a confident
answer.

After an answer, the customer's next words settle it: ``says_not_helped`` hands over to a person (checked
first: "没解决" contains "解决"), ``says_solved`` resolves the conversation as self-service.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kefu.care.human import wants_human
from kefu.care.kb import Hit, confident
from kefu.care.policy import CarePlan
from kefu.care.text import normalise

# Checked before ``SOLVED_ZH``: "没解决" contains "解决".
NOT_HELPED_ZH: tuple[str, ...] = (
    "没用", "没有用", "没解决", "没有解决", "未解决", "不行", "不对", "没帮助", "没有帮助", "还是不",
    "看不懂", "不明白", "没看懂", "不管用",
)  # fmt: skip
NOT_HELPED_EN = re.compile(
    r"\b(?:did ?n[o']?t help|does ?n[o']?t help|not helpful|did ?n[o']?t work|does ?n[o']?t work"
    r"|not solved|still (?:not|can'?t|cannot|can not|does ?n[o']?t|did ?n[o']?t)|no use|useless)\b"
)
SOLVED_ZH: tuple[str, ...] = ("解决了", "已解决", "好了", "谢谢", "明白了", "知道了", "可以了")
SOLVED_EN = re.compile(r"\b(?:solved|thanks|thank you|that helped|it worked|got it|all good)\b")

SelfServiceReason = Literal["not_chat", "care", "human_requested", "not_confident", "confident"]


@dataclass(frozen=True, slots=True)
class SelfServiceDecision:
    answer: bool  # True: reply with ``article_id``; False: route to a human with the conversation's context
    reason: SelfServiceReason
    article_id: str | None = None


def decide_self_service(
    plan: CarePlan, text: str, hits: Sequence[Hit], channel: str = "chat"
) -> SelfServiceDecision:
    """Whether the knowledge base answers ``text`` (given the search ``hits`` for it) or a human does."""
    if channel != "chat":
        return SelfServiceDecision(answer=False, reason="not_chat")
    if plan.skip_self_service:
        return SelfServiceDecision(answer=False, reason="care")
    if wants_human(text):
        return SelfServiceDecision(answer=False, reason="human_requested")
    if not confident(hits):
        return SelfServiceDecision(answer=False, reason="not_confident")
    return SelfServiceDecision(answer=True, reason="confident", article_id=hits[0].article_id)


def says_not_helped(text: str) -> bool:
    """The customer says the answer did not help (zh or en)."""
    folded = normalise(text)
    return any(p in folded for p in NOT_HELPED_ZH) or bool(NOT_HELPED_EN.search(folded))


def says_solved(text: str) -> bool:
    """The customer says the answer solved it (zh or en); check ``says_not_helped`` first."""
    folded = normalise(text)
    return any(p in folded for p in SOLVED_ZH) or bool(SOLVED_EN.search(folded))
