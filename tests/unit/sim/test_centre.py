"""The centre simulator drives the real routing engine and agrees with Erlang C where theory applies."""

from __future__ import annotations

import statistics

import pytest

from kefu.domain.errors import InvalidInput
from kefu.sim.centre import (
    Stream,
    batch_means,
    multi_site_scenario,
    run_centre,
    simulate_centre,
    single_queue,
)
from kefu.staffing import erlang_c_at


@pytest.mark.slow
def test_simulation_agrees_with_erlang_c() -> None:
    """One queue, 10 erlangs, 14 agents, exponential handling, no abandonment (M/M/14, Erlang C's model):
    simulated service level and ASA match Erlang C within 4 standard errors. The error bar comes from 30
    batch means of 15 hours each after a 1-hour warm-up; a batch lasts hundreds of times the queue's
    relaxation time, so batches are nearly independent. With 29 degrees of freedom |t| > 4 has probability
    under 0.05 %; 4 rather than 3 also absorbs the slightly heavy tails of per-batch ratio estimates
    (seen across seeds). The run is seeded, so the test is deterministic."""
    queue, agents = single_queue(14)
    run = run_centre([queue], [Stream("general", 200, 180)], agents, 451, warmup_s=3600, seed=0)
    theory = erlang_c_at(14, 200, 180, 20)
    batches = batch_means(run, 20.0, 30)
    for key, expected in (("service_level", theory.service_level), ("asa_s", theory.asa_s)):
        values = [float(b[key]) for b in batches]
        mean, error = statistics.fmean(values), statistics.stdev(values) / len(values) ** 0.5
        assert abs(mean - expected) <= 4 * error, (key, mean, expected, error)
        assert error < 0.15 * expected  # the check is not vacuous: the error bar is tight
    assert sum(int(b["calls"]) for b in batches) > 80_000


def test_simulate_centre_reports_the_cli_figures() -> None:
    """simulate_centre returns exactly the figures the CLI prints, with abandonment when patience is short."""
    result = simulate_centre(hours=4, calls_per_hour=240, aht_s=180, agents=12, patience_s=30, seed=3)
    assert set(result) == {"service_level", "asa_s", "abandon_rate", "occupancy", "calls", "wait_estimate"}
    assert 0 < result["abandon_rate"] < 1
    assert 0 < result["occupancy"] <= 1
    assert result["calls"] > 800
    assert simulate_centre(4, 240, 180, 12, 30, seed=3) == result  # same seed, same run


def test_more_agents_improve_service() -> None:
    """Adding agents raises the service level and lowers ASA, as staffing intuition demands."""
    few = simulate_centre(20, 200, 180, 11, seed=1)
    many = simulate_centre(20, 200, 180, 14, seed=1)
    assert many["service_level"] > few["service_level"]
    assert many["asa_s"] < few["asa_s"]


def test_escalation_lets_other_sites_help_a_short_staffed_site() -> None:
    """In the multi-site scenario, escalation sends chengdu's overflow to other sites: its customers wait
    less and abandon less than with home-site-only routing, and some calls are answered elsewhere."""
    with_steps = multi_site_scenario(hours=6, seed=2)
    without = multi_site_scenario(hours=6, seed=2, escalation=False)
    assert with_steps["chengdu_customers"]["abandon_rate"] < without["chengdu_customers"]["abandon_rate"]
    assert with_steps["chengdu_customers"]["asa_s"] < without["chengdu_customers"]["asa_s"]
    assert with_steps["queues"]["payments"]["answered_away_from_home"] > 0
    assert without["queues"]["payments"]["answered_away_from_home"] == 0
    assert without["queues"]["payments"]["escalated"] == 0


def test_bad_simulation_input_is_refused() -> None:
    """A simulation with no agents or no calls is refused rather than run."""
    with pytest.raises(InvalidInput, match="at least one agent"):
        simulate_centre(1, 100, 180, 0)
    with pytest.raises(InvalidInput):
        simulate_centre(1, 100, 180, 3, patience_s=0)


def test_the_wait_estimate_is_unbiased_in_m_m_n() -> None:
    """Told on arrival, (ahead + 1) x AHT / agents matches the waits that followed within a few seconds."""
    result = simulate_centre(hours=100, calls_per_hour=200, aht_s=180, agents=11, seed=2)
    estimate = result["wait_estimate"]
    assert estimate["estimated"] > 5_000
    assert abs(estimate["mean_error_s"]) < 0.1 * result["asa_s"] * result["calls"] / estimate["estimated"]
