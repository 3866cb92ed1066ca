"""Care policy: who gets care, what care changes about routing, and what agents are told.

Elderly (at or above ``elderly_age``) and vulnerable customers skip self-service and go straight to a human
queue with a priority boost, preferring agents with the ``elderly_care`` skill. They are never trapped in a
bot: the skip is unconditional, not a suggestion.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from kefu.care.errors import InvalidCareInput
from kefu.domain.cases import CASE_QUEUE
from kefu.domain.conversations import CARE_PRIORITY_BOOST

ELDERLY_AGE = 60
ELDERLY_CARE_SKILL = "elderly_care"
ELDERLY_CARE_QUEUE = "elderly_care"  # where a care customer's callback waits, when the centre has it


@dataclass(frozen=True, slots=True)
class CarePlan:
    """How a conversation is handled because of who the customer is."""

    care: bool
    skip_self_service: bool
    priority_boost: int
    prefer_skill: str | None
    reasons: tuple[str, ...] = ()  # "elderly", "vulnerable": shown on the agent's care banner


NO_CARE = CarePlan(care=False, skip_self_service=False, priority_boost=0, prefer_skill=None)


def care_plan(
    age_years: int | None,
    vulnerable: bool,
    elderly_age: int = ELDERLY_AGE,
    priority_boost: int = CARE_PRIORITY_BOOST,  # the conversation's own rule, so the two never disagree
) -> CarePlan:
    """The care plan for a customer of ``age_years`` (None when unknown) who may be flagged vulnerable."""
    if age_years is not None and age_years < 0:
        raise InvalidCareInput(f"age must not be negative, got {age_years}", field="age_years")
    reasons: list[str] = []
    if age_years is not None and age_years >= elderly_age:
        reasons.append("elderly")
    if vulnerable:
        reasons.append("vulnerable")
    if not reasons:
        return NO_CARE
    return CarePlan(
        care=True,
        skip_self_service=True,
        priority_boost=priority_boost,
        prefer_skill=ELDERLY_CARE_SKILL,
        reasons=tuple(reasons),
    )


_GUIDANCE: dict[str, tuple[str, ...]] = {
    "zh": (
        "语速放慢，一次只说一件事，句子要短。",
        "每一步都请客户复述或确认，确认听懂了再继续。",
        "不用专业术语和英文缩写，用日常说法解释（例如把“验证码”说成“手机收到的几位数字”）。",
        "耐心等待客户操作，不催促；需要时主动提出稍后回电。",
        "留意诈骗迹象：有人催客户转账、索要验证码、自称公检法或客服——提醒客户不要转账，必要时转反诈专席。",
        "结束前总结要点，告诉客户下一步会发生什么以及何时。",
    ),
    "en": (
        "Speak slowly, one thing at a time, in short sentences.",
        "Confirm understanding at every step: ask the customer to repeat back or confirm before moving on.",
        "Avoid jargon and abbreviations; use everyday words "
        "(say 'the numbers in the text message' for a code).",
        "Be patient while the customer acts, never rush them; offer a callback when that would help.",
        "Watch for signs of a scam: someone urging a transfer, asking for a code, or posing as police, "
        "officials or customer service. Tell the customer not to pay, and bring in an anti-fraud specialist.",
        "Before ending, sum up and say what happens next and when.",
    ),
}


def care_guidance(lang: str) -> list[str]:
    """Agent-facing care guidance in the agent's language (``zh`` or ``en``; anything else gets ``zh``)."""
    return list(_GUIDANCE.get(lang, _GUIDANCE["zh"]))


def special_callback_queue(queue_ids: Collection[str], *, care: bool, after_case: bool) -> str | None:
    """The queue a callback waits in when it is not an ordinary one, or None to choose by business line.

    A care customer's callback goes to ``elderly_care``; a follow-up after an intervention case goes to the
    case queue (the specialists who know the case); each only when the centre has defined that queue.
    """
    if care and ELDERLY_CARE_QUEUE in queue_ids:
        return ELDERLY_CARE_QUEUE
    if after_case and CASE_QUEUE in queue_ids:
        return CASE_QUEUE
    return None
