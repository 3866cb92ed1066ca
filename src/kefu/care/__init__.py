"""Care for the elderly and vulnerable: triage, self-service rules, callbacks and follow-ups (回访).

Pure: no I/O frameworks, no clock. The service layer loads state, calls these functions with an explicit
``now``, saves the result and publishes the returned events after commit.

    triage.py      intent, language, business line from the customer's words (shipped zh+en lexicon)
    human.py       wants_human: the customer can always reach a person by asking
    policy.py      care_plan, agent-facing care_guidance, which queue a care or case callback waits in
    self_service.py  decide_self_service: the knowledge base answers, or a human does; the phrases after
    kb.py          knowledge base search (BM25, jieba) and the ``confident`` self-service rule
    callbacks.py   the callback state machine, retries and rollovers
    events.py      events returned by callback transitions
    followups.py   follow-up rules and daytime windows
    keep_place.py  may a waiting voice customer take a callback instead?
    errors.py      IllegalCallbackTransition and the input errors, within kefu's error hierarchy
"""

from kefu.care.callbacks import (
    DEFAULT_RETRY_POLICY,
    TERMINAL_STATES,
    Attempt,
    AttemptResult,
    Callback,
    CallbackOrigin,
    CallbackState,
    RetryPolicy,
    cancel_callback,
    is_due,
    mark_due,
    miss_window,
    next_attempt_at,
    record_attempt,
    release_attempt,
    schedule_callback,
    start_attempt,
    tick,
)
from kefu.care.errors import (
    IllegalCallbackTransition,
    InvalidCallbackWindow,
    InvalidCareInput,
    InvalidFollowUpRules,
)
from kefu.care.followups import (
    CASE_RESOLVED,
    CONVERSATION_RESOLVED,
    FollowUp,
    FollowUpEvent,
    FollowUpRule,
    FollowUpRules,
    daytime_window,
    default_follow_up_rules,
    follow_up_rules_from_dict,
    follow_up_rules_from_yaml,
    follow_ups_for,
)
from kefu.care.human import wants_human
from kefu.care.kb import CONFIDENT_AT, CONFIDENT_LEAD, Article, Hit, KnowledgeBase, confident, seed_articles
from kefu.care.keep_place import CALLBACK_OFFER_S, may_offer_callback
from kefu.care.policy import (
    ELDERLY_AGE,
    ELDERLY_CARE_QUEUE,
    ELDERLY_CARE_SKILL,
    CarePlan,
    care_guidance,
    care_plan,
    special_callback_queue,
)
from kefu.care.self_service import SelfServiceDecision, decide_self_service, says_not_helped, says_solved
from kefu.care.text import detect_language, warm_up
from kefu.care.triage import Triage, triage

__all__ = [
    "CALLBACK_OFFER_S",
    "CASE_RESOLVED",
    "CONFIDENT_AT",
    "CONFIDENT_LEAD",
    "CONVERSATION_RESOLVED",
    "DEFAULT_RETRY_POLICY",
    "ELDERLY_AGE",
    "ELDERLY_CARE_QUEUE",
    "ELDERLY_CARE_SKILL",
    "TERMINAL_STATES",
    "Article",
    "Attempt",
    "AttemptResult",
    "Callback",
    "CallbackOrigin",
    "CallbackState",
    "CarePlan",
    "FollowUp",
    "FollowUpEvent",
    "FollowUpRule",
    "FollowUpRules",
    "Hit",
    "IllegalCallbackTransition",
    "InvalidCallbackWindow",
    "InvalidCareInput",
    "InvalidFollowUpRules",
    "KnowledgeBase",
    "RetryPolicy",
    "SelfServiceDecision",
    "Triage",
    "cancel_callback",
    "care_guidance",
    "care_plan",
    "confident",
    "daytime_window",
    "decide_self_service",
    "default_follow_up_rules",
    "detect_language",
    "follow_up_rules_from_dict",
    "follow_up_rules_from_yaml",
    "follow_ups_for",
    "is_due",
    "mark_due",
    "may_offer_callback",
    "miss_window",
    "next_attempt_at",
    "record_attempt",
    "release_attempt",
    "says_not_helped",
    "says_solved",
    "schedule_callback",
    "seed_articles",
    "special_callback_queue",
    "start_attempt",
    "tick",
    "triage",
    "wants_human",
    "warm_up",
]
