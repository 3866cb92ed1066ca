"""The model lane's core: the exported evaluator equals scikit-learn's own predictions, malformed
parameters are refused, and the combination with the rules is monotone and respects forced outcomes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.screening import (
    CounterFeatures,
    DeviceSignals,
    InMemoryCounterStore,
    PayerProfile,
    default_rule_set,
    screen,
)
from kefu.screening.decision import OUTCOMES
from kefu.screening.errors import InvalidModel
from kefu.screening.model import MODEL_FEATURES, ScoringModel, Tree, model_points
from kefu.screening.model_train import export, fit, parse_labelled, replay_inputs
from kefu.sim.payments_hard import generate_payments
from tests.unit.screening.helpers import pay

RULES = default_rule_set()


def constant(probability: float, version: str = "c", weight: int = 100) -> ScoringModel:
    """A model of one leaf: it answers ``probability`` for every payment."""
    p = min(max(probability, 1e-9), 1 - 1e-9)
    leaf = Tree((0,), (0.0,), (0,), (0,), (math.log(p / (1 - p)),), (True,))
    return ScoringModel(version, MODEL_FEATURES, 0.0, (leaf,), weight)


@pytest.fixture(scope="module")
def trained() -> tuple[Any, np.ndarray[Any, Any]]:
    records = [parse_labelled(r) for r in generate_payments(3000, 5, 0.05, "hard")]
    x, y = replay_inputs(records)
    return fit(x, y, trees=12), x


def test_exported_trees_equal_the_library_predictions(trained: tuple[Any, Any]) -> None:
    """Every row's probability from the compiled export equals predict_proba (to float rounding)."""
    classifier, x = trained
    model = export(classifier, "t-1")
    expected = classifier.predict_proba(x)[:, 1]
    ours = np.array([model.probability(row) for row in x.tolist()])
    assert np.abs(expected - ours).max() < 1e-12
    assert 0.0 < ours.min() < ours.max() < 1.0


def test_parameters_round_trip_through_json_form(trained: tuple[Any, Any]) -> None:
    """to_dict → from_dict gives the same model and the same answers."""
    classifier, x = trained
    model = export(classifier, "t-1", weight=80)
    again = ScoringModel.from_dict(model.to_dict())
    assert again == model
    assert [again.raw(r) for r in x[:50].tolist()] == [model.raw(r) for r in x[:50].tolist()]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d.update(format="other"), "not a kefu-gbt-1"),
        (lambda d: d.update(features=["amount"]), "other inputs"),
        (lambda d: d["trees"][0].update(threshold=["1; import os", 0.0, 0.0]), "finite number"),
        (lambda d: d["trees"][0].update(left=[0, 0, 0]), "follow their parent"),
        (lambda d: d["trees"][0].update(feature=[999, 0, 0]), "does not have"),
        (lambda d: d.update(weight=401), "weight"),
        (lambda d: d.pop("trees"), "incomplete"),
        (lambda d: d.update(version=""), "version"),
    ],
)
def test_malformed_parameters_are_refused(change: Any, fragment: str) -> None:
    """Parameters that do not fit are an InvalidModel naming the problem; nothing is compiled from text."""
    leaf = Tree((0, 0, 0), (0.5, 0.0, 0.0), (1, 0, 0), (2, 0, 0), (0.0, -1.0, 1.0), (False, True, True))
    data = ScoringModel("v", MODEL_FEATURES, 0.0, (leaf,)).to_dict()
    change(data)
    with pytest.raises(InvalidModel, match=fragment):
        ScoringModel.from_dict(data)


def _payments() -> st.SearchStrategy[Any]:
    return st.builds(
        lambda amount, memo, elderly, first, call, hour: (
            pay("p-1", amount=amount, memo=memo, minutes=hour * 60, device=DeviceSignals(on_call=call)),
            PayerProfile(elderly=elderly),
            CounterFeatures(first_to_payee=first, payer_out_count_7d=5, payer_out_sum_7d=amount * 2),
        ),
        st.integers(1, 5_000_000),
        st.sampled_from(["", "午饭", "安全账户", "给边防战士的捐款", "刷单"]),
        st.booleans(),
        st.booleans(),
        st.booleans(),
        st.integers(0, 23),
    )


@settings(max_examples=150, deadline=None)
@given(case=_payments(), p=st.floats(0, 1), q=st.floats(0, 1))
def test_decision_is_monotone_in_the_model_probability(case: Any, p: float, q: float) -> None:
    """A more confident model never lowers the decision or the score."""
    payment, profile, counters = case
    low, high = sorted((p, q))
    a = screen(RULES, payment, profile, counters, model=constant(low))
    b = screen(RULES, payment, profile, counters, model=constant(high))
    assert OUTCOMES.index(a.decision) <= OUTCOMES.index(b.decision)
    assert a.score <= b.score
    plain = screen(RULES, payment, profile, counters)
    assert OUTCOMES.index(plain.decision) <= OUTCOMES.index(a.decision)


@settings(max_examples=60, deadline=None)
@given(case=_payments(), p=st.floats(0, 1))
def test_rules_forced_outcomes_stand_whatever_the_model_says(case: Any, p: float) -> None:
    """A watchlisted payee is blocked even by a model sure it is fine; a trusted payee is allowed even by a
    model sure it is a scam (and the model is not asked)."""
    payment, profile, counters = case
    watched = counters._replace(payee_watchlisted=True, payee_reports=2)
    assert screen(RULES, payment, profile, watched, model=constant(0.0)).decision == "block"
    trusted = PayerProfile(elderly=profile.elderly, trusted_payees=frozenset({payment.payee.account_id}))
    decision = screen(RULES, payment, trusted, counters, model=constant(p))
    assert decision.decision == "allow" and decision.lane == "trusted_payee"
    assert (decision.model_version, decision.model_probability) == ("c", None)


def test_a_confident_model_holds_what_the_rules_allow_and_names_itself() -> None:
    """An ordinary lunch payment the rules allow is held by a live model at p 0.7 and blocked at 0.95; the
    decision carries the model's version, probability and points."""
    payment = pay("p-1", amount=5_000, memo="午饭")
    counters = CounterFeatures(first_to_payee=False)
    assert screen(RULES, payment, PayerProfile(), counters).decision == "allow"
    held = screen(RULES, payment, PayerProfile(), counters, model=constant(0.7, "m-7"))
    assert held.decision == "hold"
    assert held.to_dict()["model"] == {"version": "m-7", "probability": 0.7, "points": 70}
    assert screen(RULES, payment, PayerProfile(), counters, model=constant(0.95)).decision == "block"


def test_a_shadow_model_is_scored_but_never_decides() -> None:
    """With a shadow model alone the decision is the rules'; its version, probability and the decision it
    would have given are recorded beside."""
    payment = pay("p-1", amount=5_000, memo="午饭")
    counters = CounterFeatures(first_to_payee=False)
    plain = screen(RULES, payment, PayerProfile(), counters)
    shadowed = screen(RULES, payment, PayerProfile(), counters, shadow_model=constant(0.99, "cand"))
    assert (shadowed.decision, shadowed.score) == (plain.decision, plain.score)
    assert shadowed.model_version is None
    assert shadowed.to_dict()["model_shadow"] == {"version": "cand", "probability": 0.99, "decision": "block"}


@given(st.floats(0, 1), st.floats(0, 1), st.integers(0, 400))
def test_model_points_are_monotone_and_bounded(p: float, q: float, weight: int) -> None:
    """round(weight × p) capped at 100: never negative, never above the weight or 100, ordered as the
    probabilities."""
    low, high = sorted((p, q))
    assert 0 <= model_points(low, weight) <= model_points(high, weight) <= min(weight, 100)


def test_screener_with_a_model_feeds_its_stops_back() -> None:
    """The in-process Screener scores the model too; a model stop counts in payer_stopped_24h."""
    from kefu.screening import Screener  # noqa: PLC0415

    screener = Screener(RULES, InMemoryCounterStore(), model=constant(0.7))
    first = screener.screen(pay("p-1", amount=5_000), PayerProfile())
    second = screener.screen(pay("p-2", amount=5_000, minutes=1), PayerProfile())
    assert first.decision == "hold"
    assert screener.counters.record(pay("p-3", amount=5_000, minutes=2)).payer_stopped_24h == 2
    assert second.model_version == "c"
