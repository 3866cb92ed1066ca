"""Training the model lane: replay labelled payments for their features, fit trees, export the parameters.

Features come from replaying the labelled stream through the same counters and feature builder as live
screening, with the rule set's stops fed back (a stopped payment is what ``payer_stopped_24h`` counts), so
the model learns from what serving will show it. The learner is scikit-learn's
``HistGradientBoostingClassifier``: it bins inputs once and fits in seconds on a million rows on one core,
needs no scaling, and its log-loss output is a usable probability. Its trees are exported to
``ScoringModel``'s flat arrays, and serving never imports scikit-learn.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from kefu.screening.counters import InMemoryCounterStore
from kefu.screening.decision import screen
from kefu.screening.features import FeatureBuilder
from kefu.screening.model import DEFAULT_WEIGHT, MODEL_FEATURES, ScoringModel, Tree, model_inputs
from kefu.screening.payment import PayerProfile, Payment
from kefu.screening.rules import RuleSet, default_rule_set

# Shallow trees and few of them: each node is one comparison on the hot path.
TREE_DEPTH = 5
TREES = 60
LEARNING_RATE = 0.15


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled payment as the trainer and the backtest read it."""

    payment: Payment
    profile: PayerProfile
    scam: bool
    typology: str | None


def parse_labelled(record: Mapping[str, Any]) -> Labelled:
    """A record as ``kefu sim payments`` and ``kefu labels export`` write it: the screening request plus
    ``payer_profile`` and ``label`` (``{"scam": bool, "typology": …}`` or ``"scam"``/``"legitimate"``)."""
    label = record.get("label") or {}
    if isinstance(label, str):
        scam, typology = label == "scam", None
    else:
        scam, typology = bool(label.get("scam", False)), label.get("typology")
    return Labelled(
        Payment.from_dict(record),
        PayerProfile.from_dict(record.get("payer_profile")),
        scam,
        typology if isinstance(typology, str) else None,
    )


def replay_inputs(
    records: Iterable[Labelled], rule_set: RuleSet | None = None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The model's input matrix and labels, replaying ``records`` in order through fresh counters."""
    rules = rule_set or default_rule_set()
    counters = InMemoryCounterStore()
    builder = FeatureBuilder()
    # one flat buffer of doubles: a million rows as Python lists would take gigabytes
    flat = array("d")
    labels = array("b")
    for r in records:
        counted = counters.record(r.payment)
        features = builder.build(r.payment, r.profile, counted)
        flat.extend(model_inputs(features))
        labels.append(int(r.scam))
        if screen(rules, r.payment, r.profile, counted, builder=builder).stops_payment:
            counters.stop(r.payment)
    x = np.frombuffer(flat, dtype=np.float64).reshape(-1, len(MODEL_FEATURES))
    return x, np.frombuffer(labels, dtype=np.int8)


def fit(
    x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], seed: int = 0, trees: int = TREES
) -> HistGradientBoostingClassifier:
    if len(set(y.tolist())) < 2:
        from kefu.screening.errors import InvalidModel  # noqa: PLC0415

        raise InvalidModel("training needs both scam and legitimate payments among the labels")
    classifier = HistGradientBoostingClassifier(
        max_iter=trees,
        max_depth=TREE_DEPTH,
        learning_rate=LEARNING_RATE,
        l2_regularization=1.0,
        # 40 payments per leaf on real volumes; a small labelled history still gets to split
        min_samples_leaf=min(40, max(2, len(y) // 200)),
        early_stopping=False,
        random_state=seed,
    )
    return classifier.fit(x, y)


def export(
    classifier: HistGradientBoostingClassifier, version: str, weight: int = DEFAULT_WEIGHT
) -> ScoringModel:
    """The fitted trees as a ``ScoringModel`` (its raw score equals the classifier's decision function)."""
    trees = []
    for (predictor,) in classifier._predictors:
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits are not exported")
        trees.append(
            Tree(
                tuple(int(v) for v in nodes["feature_idx"]),
                tuple(float(v) for v in nodes["num_threshold"]),
                tuple(int(v) for v in nodes["left"]),
                tuple(int(v) for v in nodes["right"]),
                tuple(float(v) for v in nodes["value"]),
                tuple(bool(v) for v in nodes["is_leaf"]),
            )
        )
    baseline = float(np.asarray(classifier._baseline_prediction).ravel()[0])
    return ScoringModel(version, MODEL_FEATURES, baseline, tuple(trees), weight)


def train(
    records: Iterable[Labelled],
    version: str,
    seed: int = 0,
    rule_set: RuleSet | None = None,
    weight: int = DEFAULT_WEIGHT,
    trees: int = TREES,
) -> ScoringModel:
    """Replay, fit and export; ``meta`` says what the model was trained on."""
    x, y = replay_inputs(records, rule_set)
    classifier = fit(x, y, seed, trees)
    model = export(classifier, version, weight)
    meta = {"payments": len(y), "scams": int(y.sum()), "trees": len(model.trees), "depth": TREE_DEPTH}
    return ScoringModel(model.version, model.features, model.baseline, model.trees, model.weight, meta)


def fit_inputs(x: list[list[float]], y: list[int], version: str, seed: int = 0) -> ScoringModel:
    """Fit and export on inputs already built (labelled history carries its features)."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int8)
    model = export(fit(xs, ys, seed), version)
    meta = {"payments": len(y), "scams": int(ys.sum()), "trees": len(model.trees), "depth": TREE_DEPTH}
    return ScoringModel(model.version, model.features, model.baseline, model.trees, model.weight, meta)
