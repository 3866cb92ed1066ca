"""Rule sets: versioned YAML, validated and compiled once, then evaluated on every payment.

A rule set has a ``version``, optional ``thresholds``, an optional ``allow`` lane (conditions that allow a
payment outright, checked after the payer's trusted payees) and ``rules``. Each rule has a ``code``, a
``when`` condition in the language of ``kefu.screening.conditions``, a ``weight`` (negative weights lower
the score), an optional ``typology``, bilingual messages, and ``shadow: true`` to evaluate and report it
without letting it decide — how a new rule earns trust before it goes live.

Rules are indexed by a guard taken from their condition (see ``RuleIndex``): a memo typology test if there
is one, else the first top-level flag or ``feature >= number`` conjunct. Write the rarest conjunct first;
the result is the same either way, only the cost differs.

Any problem raises ``InvalidRuleSet`` with the rule's code and one line saying what is wrong.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from kefu.screening.conditions import ConditionError, Features, Guard, Predicate, compile_condition
from kefu.screening.errors import InvalidRuleSet
from kefu.screening.features import FEATURE_SCHEMA
from kefu.screening.typologies import TYPOLOGIES


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score cut-offs, each inclusive: warn <= hold <= block."""

    warn: int = 40
    hold: int = 65
    block: int = 90

    def __post_init__(self) -> None:
        if not 0 < self.warn <= self.hold <= self.block <= 100:
            raise InvalidRuleSet(
                f"thresholds must satisfy 0 < warn <= hold <= block <= 100, got "
                f"warn={self.warn} hold={self.hold} block={self.block}"
            )


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a decision came out as it did: one matched rule, as the API and the audit log show it."""

    code: str
    weight: int
    message_zh: str
    message_en: str
    typology: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "weight": self.weight,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    when: str
    weight: int
    typology: str | None
    message_zh: str
    message_en: str
    shadow: bool = False
    predicate: Predicate = field(default=lambda f: False, repr=False, compare=False)
    features: frozenset[str] = frozenset()
    guard: Guard | None = None
    index: int = 0  # position in the rule set; ties between equal weights keep this order
    reason: Reason = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once at load: a matched rule's reason is shared, never rebuilt per payment.
        object.__setattr__(
            self, "reason", Reason(self.code, self.weight, self.message_zh, self.message_en, self.typology)
        )


class RuleIndex:
    """Rules bucketed by guard, so a payment evaluates only the rules whose guard it meets.

    A rule guarded by ``payer_elderly`` is skipped outright for younger payers; one guarded by
    ``'investment' in memo_typologies`` only runs when the memo speaks of investment; rules guarded by
    ``amount >= X`` sit in threshold order and only those with ``X <= amount`` run. Results are exactly those
    of evaluating every rule, because a guard is a necessary condition of its rule.
    """

    __slots__ = ("flags", "members", "rules", "thresholds", "unguarded")

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        unguarded: list[Rule] = []
        flags: dict[str, list[Rule]] = {}
        members: dict[str, dict[str, list[Rule]]] = {}
        atleast: dict[str, list[tuple[int, Rule]]] = {}
        for rule in rules:
            guard = rule.guard
            if guard is None:
                unguarded.append(rule)
            elif guard.kind == "flag":
                flags.setdefault(guard.feature, []).append(rule)
            elif guard.kind == "member":
                members.setdefault(guard.feature, {}).setdefault(str(guard.value), []).append(rule)
            else:
                atleast.setdefault(guard.feature, []).append((int(guard.value or 0), rule))
        self.unguarded = tuple(unguarded)
        self.flags = tuple((name, tuple(bucket)) for name, bucket in flags.items())
        self.members = tuple(
            (name, {literal: tuple(bucket) for literal, bucket in by_literal.items()})
            for name, by_literal in members.items()
        )
        self.thresholds: tuple[tuple[str, list[int], tuple[Rule, ...]], ...] = tuple(
            (name, [t for t, _ in ordered], tuple(r for _, r in ordered))
            for name, pairs in atleast.items()
            for ordered in [sorted(pairs, key=lambda pair: (pair[0], pair[1].index))]
        )

    def matches(self, features: Features) -> list[Rule]:
        """The rules whose conditions hold, in no particular order."""
        matched = [r for r in self.unguarded if r.predicate(features)]
        for name, bucket in self.flags:
            if features[name]:
                matched.extend(r for r in bucket if r.predicate(features))
        for name, by_literal in self.members:
            for value in features[name]:
                hit = by_literal.get(value)
                if hit:
                    matched.extend(r for r in hit if r.predicate(features))
        for name, limits, ordered in self.thresholds:
            reached = bisect_right(limits, features[name])
            if reached:
                matched.extend(r for r in ordered[:reached] if r.predicate(features))
        return matched


@dataclass(frozen=True, slots=True)
class AllowRule:
    code: str
    when: str
    message_zh: str
    message_en: str
    predicate: Predicate = field(default=lambda f: False, repr=False, compare=False)


# Settled by policy (hold expiry, payer unreachable), a case of these is never released without contact.
PROTECTED_TYPOLOGIES = frozenset({"impersonation_official", "impersonation_soldier"})
PROTECTED_REASONS = frozenset({"remote_access_app", "payee_watchlisted"})


@dataclass(frozen=True, slots=True)
class ProtectPolicy:
    """Which stops policy never releases: a case whose typology or one of whose reasons is listed here
    keeps its payments stopped when nobody reached the payer (impersonation of police, officials and
    soldiers, a remote-access app, a watchlisted payee by default)."""

    typologies: frozenset[str] = PROTECTED_TYPOLOGIES
    reasons: frozenset[str] = PROTECTED_REASONS

    def keeps_stopped(self, typology: str | None, reason_codes: frozenset[str]) -> bool:
        return (typology is not None and typology in self.typologies) or bool(reason_codes & self.reasons)


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]
    allow: tuple[AllowRule, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    protect: ProtectPolicy = field(default_factory=ProtectPolicy)
    source: str = field(default="", repr=False, compare=False)
    # Split and indexed once here rather than on every screening.
    deciding: tuple[Rule, ...] = field(init=False, repr=False, compare=False)
    shadow: tuple[Rule, ...] = field(init=False, repr=False, compare=False)
    deciding_index: RuleIndex = field(init=False, repr=False, compare=False)
    shadow_index: RuleIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        deciding = tuple(r for r in self.rules if not r.shadow)
        shadow = tuple(r for r in self.rules if r.shadow)
        object.__setattr__(self, "deciding", deciding)
        object.__setattr__(self, "shadow", shadow)
        object.__setattr__(self, "deciding_index", RuleIndex(deciding))
        object.__setattr__(self, "shadow_index", RuleIndex(shadow))

    def to_dict(self) -> dict[str, Any]:
        """The rule set as data (for ``GET /api/v1/rules``), without compiled predicates."""
        return {
            "version": self.version,
            "thresholds": {
                "warn": self.thresholds.warn,
                "hold": self.thresholds.hold,
                "block": self.thresholds.block,
            },
            "protect": {
                "typologies": sorted(self.protect.typologies),
                "reasons": sorted(self.protect.reasons),
            },
            "allow": [
                {"code": a.code, "when": a.when, "message_zh": a.message_zh, "message_en": a.message_en}
                for a in self.allow
            ],
            "rules": [
                {
                    "code": r.code,
                    "when": r.when,
                    "weight": r.weight,
                    "typology": r.typology,
                    "shadow": r.shadow,
                    "message_zh": r.message_zh,
                    "message_en": r.message_en,
                }
                for r in self.rules
            ],
        }


def load_rule_set(text: str) -> RuleSet:
    """Parse and validate a YAML rule set; raises ``InvalidRuleSet`` on the first problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "unreadable"
        raise InvalidRuleSet(f"the rule set is not valid YAML: {first}") from exc
    if not isinstance(data, Mapping):
        raise InvalidRuleSet("the rule set must be a mapping with version and rules")
    return rule_set_from_dict(data, source=text)


def rule_set_from_dict(data: Mapping[str, Any], source: str = "") -> RuleSet:
    """Validate and compile a rule set already parsed into data."""
    unknown = set(data) - {"version", "thresholds", "allow", "rules", "protect"}
    if unknown:
        raise InvalidRuleSet(f"unknown top-level keys: {', '.join(sorted(map(str, unknown)))}")
    version = data.get("version")
    if not isinstance(version, str | int) or isinstance(version, bool) or not str(version).strip():
        raise InvalidRuleSet("version must be a non-empty string")
    thresholds = _thresholds(data.get("thresholds") or {})
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise InvalidRuleSet("rules must be a non-empty list")
    raw_allow = data.get("allow") or []
    if not isinstance(raw_allow, list):
        raise InvalidRuleSet("allow must be a list")
    seen: set[str] = set()
    rules = tuple(_rule(raw, i, seen) for i, raw in enumerate(raw_rules))
    allow = tuple(_allow_rule(raw, i, seen) for i, raw in enumerate(raw_allow))
    protect = _protect(data.get("protect"))
    return RuleSet(str(version), rules, allow, thresholds, protect, source)


def _protect(raw: object) -> ProtectPolicy:
    """The ``protect`` section: ``typologies`` and rule ``reasons`` policy never releases (defaults when
    absent). A reason no rule gives simply never matches (a rule set may drop a rule the defaults name)."""
    if raw is None:
        return ProtectPolicy()
    if not isinstance(raw, Mapping):
        raise InvalidRuleSet("protect must be a mapping of typologies and reasons")
    extra = set(raw) - {"typologies", "reasons"}
    if extra:
        raise InvalidRuleSet(f"unknown protect keys: {', '.join(sorted(map(str, extra)))}")
    lists: dict[str, frozenset[str]] = {}
    for key in ("typologies", "reasons"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidRuleSet(f"protect.{key} must be a list of strings")
        lists[key] = frozenset(value)
    unknown_typologies = lists["typologies"] - set(TYPOLOGIES)
    if unknown_typologies:
        raise InvalidRuleSet(f"protect.typologies: unknown {', '.join(sorted(unknown_typologies))}")
    return ProtectPolicy(lists["typologies"], lists["reasons"])


def default_rule_set() -> RuleSet:
    """The rule set shipped with kefu (``kefu/screening/default_rules.yaml``)."""
    text = resources.files("kefu.screening").joinpath("default_rules.yaml").read_text(encoding="utf-8")
    return load_rule_set(text)


def _thresholds(raw: object) -> Thresholds:
    if not isinstance(raw, Mapping):
        raise InvalidRuleSet("thresholds must be a mapping of warn, hold and block")
    extra = set(raw) - {"warn", "hold", "block"}
    if extra:
        raise InvalidRuleSet(f"unknown threshold keys: {', '.join(sorted(map(str, extra)))}")
    values = {}
    for key in ("warn", "hold", "block"):
        if key in raw:
            value = raw[key]
            if type(value) is not int:
                raise InvalidRuleSet(f"threshold {key} must be an integer")
            values[key] = value
    return Thresholds(**values)


_RULE_KEYS = {"code", "when", "weight", "typology", "shadow", "message_zh", "message_en"}


def _common(raw: object, index: int, seen: set[str], keys: set[str]) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(raw, Mapping):
        raise InvalidRuleSet(f"entry #{index + 1} must be a mapping")
    code = raw.get("code")
    if not isinstance(code, str) or not code.replace("_", "").isalnum():
        raise InvalidRuleSet(f"entry #{index + 1} needs a code of letters, digits and underscores")
    if code in seen:
        raise InvalidRuleSet("duplicate code", code)
    seen.add(code)
    extra = set(raw) - keys
    if extra:
        raise InvalidRuleSet(f"unknown keys: {', '.join(sorted(map(str, extra)))}", code)
    for key in ("message_zh", "message_en"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise InvalidRuleSet(f"{key} must be a non-empty string", code)
    return code, raw


def _compile(code: str, raw: Mapping[str, Any]) -> tuple[str, Predicate, frozenset[str], Guard | None]:
    when = raw.get("when")
    if isinstance(when, bool):
        when = "true" if when else "false"
    if not isinstance(when, str):
        raise InvalidRuleSet("when must be a condition string", code)
    try:
        condition = compile_condition(when, FEATURE_SCHEMA)
    except ConditionError as exc:
        raise InvalidRuleSet(f"condition {when!r}: {exc}", code) from exc
    # Prefer a set-member guard (a memo typology is rare), else the first flag or threshold the author wrote.
    members = [g for g in condition.guards if g.kind == "member"]
    candidates = members or list(condition.guards)
    guard = candidates[0] if candidates else None
    return when, condition.predicate, condition.features, guard


def _rule(raw: object, index: int, seen: set[str]) -> Rule:
    code, data = _common(raw, index, seen, _RULE_KEYS)
    when, predicate, used, guard = _compile(code, data)
    weight = data.get("weight")
    if type(weight) is not int or not -100 <= weight <= 100:
        raise InvalidRuleSet("weight must be an integer from -100 to 100", code)
    typology = data.get("typology")
    if typology is not None and typology not in TYPOLOGIES:
        raise InvalidRuleSet(f"unknown typology {typology!r}; expected one of {', '.join(TYPOLOGIES)}", code)
    shadow = data.get("shadow", False)
    if not isinstance(shadow, bool):
        raise InvalidRuleSet("shadow must be true or false", code)
    return Rule(
        code,
        when,
        weight,
        typology,
        data["message_zh"],
        data["message_en"],
        shadow,
        predicate,
        used,
        guard,
        index,
    )


def _allow_rule(raw: object, index: int, seen: set[str]) -> AllowRule:
    code, data = _common(raw, index, seen, {"code", "when", "message_zh", "message_en"})
    when, predicate, _, _ = _compile(code, data)
    return AllowRule(code, when, data["message_zh"], data["message_en"], predicate)
