"""Efficacy of rules, model and both: every lane reports shares within bounds that add up, cases never
outnumber stops, and the benchmark trains on one seed and measures on another."""

from __future__ import annotations

from kefu.bench.efficacy import run_efficacy_bench
from kefu.screening.model_backtest import efficacy, format_efficacy
from kefu.screening.model_train import parse_labelled
from kefu.sim.payments_hard import generate_payments


def test_efficacy_without_a_model_reports_the_rules_alone() -> None:
    """No model: one lane; its per-typology counts add up to the scams; the table names the lane."""
    records = [parse_labelled(r) for r in generate_payments(3000, 4, 0.05, "hard")]
    result = efficacy(records, None)
    assert list(result["lanes"]) == ["rules"]
    lane = result["lanes"]["rules"]
    assert sum(t["scams"] for t in lane["per_typology"].values()) == result["scams"] > 0
    assert 0.0 <= lane["scam_count_stopped"] <= lane["scam_count_warned_or_stopped"] <= 1.0
    assert lane["cases_per_10k"] * result["payments"] / 10_000 <= lane["stopped"]
    assert format_efficacy(result).splitlines()[0].split() == ["metric", "rules"]


def test_the_benchmark_measures_three_lanes_on_an_unseen_seed() -> None:
    """A tiny run: trained on seed 1, measured on seed 2, three lanes; progress adds up to the work done."""
    seen: list[int] = []
    figures = run_efficacy_bench(payments=2000, train=6000, scam_rate=0.05, progress=seen.append)
    assert (figures["stream"]["train_seed"], figures["stream"]["test_seed"]) == (1, 2)
    assert set(figures["lanes"]) == {"rules", "model", "both"}
    assert figures["training"]["payments"] == 6000 and figures["payments"] == 2000
    assert sum(seen) == 6000 + 4 * 2000
    both = figures["lanes"]["both"]
    assert figures["target_met"] == (both["scam_value_stopped"] >= 0.95 and both["legit_stopped"] <= 0.003)
