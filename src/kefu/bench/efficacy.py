"""Efficacy benchmark: how much scam money rules, model and both stop on a hard stream the model never saw.

A model is trained on one seed of the hard generator (``--train`` payments; training time is measured in
two parts: replaying the stream for its features, and fitting), then rules alone, model alone and both
screen another seed (``--payments``, at least 200,000 for the recorded figures). Reported per lane: share
of scam value and scam payments stopped (hold or block), legitimate payments stopped and warned,
precision, per typology, and cases per 10,000 payments (a payer's stops within a day join one case).
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterator
from typing import Any

from kefu.screening.model_backtest import efficacy
from kefu.screening.model_train import (
    TREE_DEPTH,
    TREES,
    Labelled,
    export,
    fit,
    parse_labelled,
    replay_inputs,
)
from kefu.sim.payments_hard import generate_payments

TARGET = {"scam_value_stopped": 0.95, "legit_stopped": 0.003}

Progress = Callable[[int], None]


def run_efficacy_bench(
    payments: int = 200_000,
    train: int = 1_000_000,
    train_seed: int = 1,
    test_seed: int = 2,
    scam_rate: float = 0.01,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train on ``train_seed``, measure on ``test_seed``; ``progress`` is told of each payment handled."""
    tick = progress or (lambda n: None)

    def training() -> Iterator[Labelled]:
        for n, record in enumerate(generate_payments(train, train_seed, scam_rate, "hard"), start=1):
            if n % 10_000 == 0:
                tick(10_000)
            yield parse_labelled(record)
        tick(train % 10_000)

    # generated as it is replayed: a million parsed payments held at once would take gigabytes
    t1 = time.process_time()
    x, y = replay_inputs(training())
    replay_s = time.process_time() - t1
    t2, w2 = time.process_time(), time.perf_counter()
    classifier = fit(x, y, train_seed)
    fit_cpu_s, fit_wall_s = time.process_time() - t2, time.perf_counter() - w2
    model = export(classifier, f"bench-seed{train_seed}-{train}")
    del x, y, classifier

    test = []
    for record in generate_payments(payments, test_seed, scam_rate, "hard"):
        test.append(parse_labelled(record))
        if len(test) % 10_000 == 0:
            tick(10_000)
    tick(len(test) % 10_000)
    result = efficacy(test, model, progress=tick)
    both = result["lanes"]["both"]
    return {
        "benchmark": "efficacy",
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "stream": {
            "difficulty": "hard",
            "scam_rate": scam_rate,
            "train_seed": train_seed,
            "test_seed": test_seed,
        },
        "training": {
            "payments": train,
            "trees": len(model.trees),
            "depth": TREE_DEPTH,
            "planned_trees": TREES,
            "generate_and_replay_features_cpu_s": round(replay_s, 1),
            "fit_cpu_s": round(fit_cpu_s, 1),
            "fit_wall_s": round(fit_wall_s, 1),
        },
        **result,
        "target": TARGET,
        "target_met": both["scam_value_stopped"] >= TARGET["scam_value_stopped"]
        and both["legit_stopped"] <= TARGET["legit_stopped"],
    }


def run_model_lane_speed(quick: bool = False, seed: int = 1) -> dict[str, Any]:
    """In-process decisions per CPU second and latency percentiles with the model lane off and on (a model
    trained on a hard stream of another seed), over the same easy stream ``kefu bench screening`` uses."""
    import gc  # noqa: PLC0415

    from kefu.bench.screening import _labelled  # noqa: PLC0415 - the same stream as the rules-only figures
    from kefu.screening import Screener, default_rule_set  # noqa: PLC0415

    trained_on = [
        parse_labelled(r) for r in generate_payments(20_000 if quick else 100_000, seed + 100, 0.01, "hard")
    ]
    x, y = replay_inputs(trained_on)
    model = export(fit(x, y, seed), "bench-speed")
    items = _labelled(20_000 if quick else 200_000, seed)
    out: dict[str, Any] = {"trees": len(model.trees), "depth": TREE_DEPTH}
    for name, lane in (("off", None), ("on", model)):
        screen = Screener(default_rule_set(), model=lane).screen
        gc.collect()
        clock = time.perf_counter_ns
        samples = []
        cpu = time.process_time()
        for payment, profile in items:
            t = clock()
            screen(payment, profile)
            samples.append(clock() - t)
        cpu = time.process_time() - cpu
        samples.sort()
        out[name] = {
            "decisions_per_s": round(len(items) / cpu),
            "us_per_decision": round(cpu / len(items) * 1e6, 2),
            "p50_us": round(samples[len(samples) // 2] / 1000, 2),
            "p99_us": round(samples[int(len(samples) * 0.99)] / 1000, 2),
        }
    return out
