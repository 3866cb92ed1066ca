"""The screening decision: allow, warn, hold or block, with its score, reasons and typology.

``screen`` is pure: the same rule set, payment, profile and counter features always give the same decision.
Order of evaluation:

1. the allow lane: a payee the payer trusts (family, their landlord) is allowed outright, then the rule
   set's ``allow`` conditions;
2. every deciding rule whose condition holds adds its weight; the score is that sum clamped to 0..100 and
   the thresholds turn it into a decision;
3. the model lane, when a live model is given: its probability ``p`` adds ``round(weight × p)`` points
   (``kefu.screening.model``); a shadow model is scored and reported beside, never deciding;
4. shadow rules are evaluated and reported with the score they *would* give, but never change the decision.

The typology is the one whose matched rules carry the most weight, falling back to what the memo speaks of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from kefu.screening.counters import CounterFeatures, InMemoryCounterStore
from kefu.screening.features import FeatureBuilder
from kefu.screening.model import ScoringModel, model_inputs, model_points
from kefu.screening.payment import PayerProfile, Payment
from kefu.screening.rules import Reason, Rule, RuleSet, Thresholds
from kefu.screening.typologies import TYPOLOGIES

Outcome = Literal["allow", "warn", "hold", "block"]
Lane = Literal["trusted_payee", "allow_rule", "rules"]
OUTCOMES: tuple[Outcome, ...] = ("allow", "warn", "hold", "block")

TRUSTED_PAYEE_CODE = "trusted_payee"


@dataclass(frozen=True, slots=True)
class Decision:
    payment_id: str
    decision: Outcome
    score: int
    reasons: tuple[Reason, ...]
    typology: str | None
    rule_set_version: str
    lane: Lane = "rules"
    shadow: tuple[Reason, ...] = ()
    shadow_score: int = 0
    shadow_decision: Outcome = "allow"
    model_version: str | None = None
    model_probability: float | None = None
    model_points: int = 0
    shadow_model_version: str | None = None
    shadow_model_probability: float | None = None
    shadow_model_decision: Outcome | None = None

    @property
    def stops_payment(self) -> bool:
        """Whether the payment must not go through now (a hold waits for a case; a block refuses)."""
        return self.decision in {"hold", "block"}

    def to_dict(self) -> dict[str, Any]:
        """The decision as the screening response and audit record carry it."""
        return {
            "payment_id": self.payment_id,
            "decision": self.decision,
            "score": self.score,
            "reasons": [r.to_dict() for r in self.reasons],
            "typology": self.typology,
            "rule_set_version": self.rule_set_version,
            "lane": self.lane,
            "shadow": {
                "score": self.shadow_score,
                "decision": self.shadow_decision,
                "reasons": [r.to_dict() for r in self.shadow],
            },
            "model": None
            if self.model_version is None
            else {
                "version": self.model_version,
                "probability": self.model_probability,
                "points": self.model_points,
            },
            "model_shadow": None
            if self.shadow_model_version is None
            else {
                "version": self.shadow_model_version,
                "probability": self.shadow_model_probability,
                "decision": self.shadow_model_decision,
            },
        }


_DEFAULT_BUILDER = FeatureBuilder()


def screen(
    rule_set: RuleSet,
    payment: Payment,
    profile: PayerProfile,
    counters: CounterFeatures,
    thresholds: Thresholds | None = None,
    builder: FeatureBuilder | None = None,
    model: ScoringModel | None = None,
    shadow_model: ScoringModel | None = None,
) -> Decision:
    """Decide on one payment. ``thresholds`` overrides the rule set's own (e.g. from settings); ``model`` is
    the live model (its points count), ``shadow_model`` a candidate scored beside it (never deciding)."""
    limits = thresholds or rule_set.thresholds
    version = rule_set.version
    # A trusted payee is allowed at once, unless it is watchlisted: the watchlist always wins.
    if payment.payee.account_id in profile.trusted_payees and not counters.payee_watchlisted:
        reason = Reason(
            TRUSTED_PAYEE_CODE, 0, "收款人在付款人的可信名单中", "the payee is on the payer's trusted list"
        )
        return Decision(
            payment.payment_id,
            "allow",
            0,
            (reason,),
            None,
            version,
            "trusted_payee",
            model_version=None if model is None else model.version,
        )

    features = (builder or _DEFAULT_BUILDER).build(payment, profile, counters)
    for allow in rule_set.allow:
        if allow.predicate(features):
            reason = Reason(allow.code, 0, allow.message_zh, allow.message_en)
            return Decision(
                payment.payment_id,
                "allow",
                0,
                (reason,),
                None,
                version,
                "allow_rule",
                # the live model is named though not asked: the allow lane decides before it
                model_version=None if model is None else model.version,
            )

    matched = rule_set.deciding_index.matches(features)
    total = 0
    for rule in matched:
        total += rule.weight
    rules_total = total
    probability: float | None = None
    points = 0
    shadow_probability: float | None = None
    shadow_model_decision: Outcome | None = None
    if model is not None or shadow_model is not None:
        x = model_inputs(features)
        if model is not None:
            probability = model.probability(x)
            points = model_points(probability, model.weight)
            total += points
        if shadow_model is not None:
            shadow_probability = shadow_model.probability(x)
            alt = rules_total + model_points(shadow_probability, shadow_model.weight)
            shadow_model_decision = _outcome(limits, 0 if alt < 0 else 100 if alt > 100 else alt)
    score = 0 if total < 0 else 100 if total > 100 else total
    decision = _outcome(limits, score)

    shadow: tuple[Reason, ...] = ()
    shadow_score = score
    if rule_set.shadow:
        fired = rule_set.shadow_index.matches(features)
        if fired:
            fired.sort(key=_by_weight)
            shadow = tuple(r.reason for r in fired)
            shadow_total = total + sum(r.weight for r in fired)
            shadow_score = 0 if shadow_total < 0 else 100 if shadow_total > 100 else shadow_total

    if len(matched) > 1:
        matched.sort(key=_by_weight)
    return Decision(
        payment.payment_id,
        decision,
        score,
        tuple([r.reason for r in matched]),
        _dominant_typology(matched, features["memo_typologies"]),
        version,
        "rules",
        shadow,
        shadow_score,
        decision if shadow_score == score else _outcome(limits, shadow_score),
        None if model is None else model.version,
        None if probability is None else round(probability, 4),
        points,
        None if shadow_model is None else shadow_model.version,
        None if shadow_probability is None else round(shadow_probability, 4),
        shadow_model_decision,
    )


class Screener:
    """The in-process hot path: in-memory counters plus ``screen``, synchronous end to end."""

    def __init__(
        self,
        rule_set: RuleSet,
        counters: InMemoryCounterStore | None = None,
        thresholds: Thresholds | None = None,
        model: ScoringModel | None = None,
    ) -> None:
        self.rule_set = rule_set
        self.model = model
        self.counters = counters or InMemoryCounterStore()
        self.thresholds = thresholds
        self.builder = FeatureBuilder()

    def screen(self, payment: Payment, profile: PayerProfile) -> Decision:
        features = self.counters.record(payment)
        decision = screen(
            self.rule_set, payment, profile, features, self.thresholds, self.builder, self.model
        )
        if decision.stops_payment:
            self.counters.stop(payment)
        return decision


def _outcome(limits: Thresholds, score: int) -> Outcome:
    if score >= limits.block:
        return "block"
    if score >= limits.hold:
        return "hold"
    if score >= limits.warn:
        return "warn"
    return "allow"


def _by_weight(rule: Rule) -> tuple[int, int]:
    return -rule.weight, rule.index


def _dominant_typology(matched: list[Rule], memo_typologies: frozenset[str]) -> str | None:
    weights: dict[str, int] = {}
    for rule in matched:
        if rule.typology is not None and rule.weight > 0:
            weights[rule.typology] = weights.get(rule.typology, 0) + rule.weight
    if weights:
        # ties go to the typology listed first, so the answer never depends on rule order
        best, best_weight = None, 0
        for typology in TYPOLOGIES:
            weight = weights.get(typology, 0)
            if weight > best_weight:
                best, best_weight = typology, weight
        return best
    if memo_typologies:
        for typology in TYPOLOGIES:
            if typology in memo_typologies:
                return typology
    return None
