"""Screening (劝阻止付): decide allow / warn / hold / block on one payment, in memory, in microseconds.

Pure core: no I/O frameworks. The services feed it payments and counter features and persist its
decisions; ``kefu.adapters.counters`` keeps the same counters in Redis for many workers.
"""

from kefu.screening.backtest import backtest, format_backtest
from kefu.screening.counters import CounterFeatures, CounterPolicy, CounterStore, InMemoryCounterStore
from kefu.screening.decision import OUTCOMES, Decision, Outcome, Screener, screen
from kefu.screening.errors import InvalidPayment, InvalidRuleSet
from kefu.screening.features import FEATURE_SCHEMA, FeatureBuilder
from kefu.screening.lexicon import MemoLexicon
from kefu.screening.payment import DeviceSignals, Payee, PayerProfile, Payment
from kefu.screening.rules import (
    AllowRule,
    ProtectPolicy,
    Reason,
    Rule,
    RuleIndex,
    RuleSet,
    Thresholds,
    default_rule_set,
    load_rule_set,
)
from kefu.screening.typologies import PLAYBOOKS, TYPOLOGIES, Playbook, Typology, playbook

__all__ = [
    "FEATURE_SCHEMA",
    "OUTCOMES",
    "PLAYBOOKS",
    "TYPOLOGIES",
    "AllowRule",
    "CounterFeatures",
    "CounterPolicy",
    "CounterStore",
    "Decision",
    "DeviceSignals",
    "FeatureBuilder",
    "InMemoryCounterStore",
    "InvalidPayment",
    "InvalidRuleSet",
    "MemoLexicon",
    "Outcome",
    "Payee",
    "PayerProfile",
    "Payment",
    "Playbook",
    "ProtectPolicy",
    "Reason",
    "Rule",
    "RuleIndex",
    "RuleSet",
    "Screener",
    "Thresholds",
    "Typology",
    "backtest",
    "default_rule_set",
    "format_backtest",
    "load_rule_set",
    "playbook",
    "screen",
]
