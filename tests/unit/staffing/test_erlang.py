"""Erlang C against published worked examples and an independent direct computation."""

from __future__ import annotations

import math

import pytest

from kefu.domain.errors import InvalidInput
from kefu.staffing import erlang_b, erlang_c, erlang_c_at


def direct_erlang_c(agents: int, traffic: float) -> float:
    """Textbook closed form with factorials; fine for the small loads used here."""
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    bottom = sum(traffic**k / math.factorial(k) for k in range(agents)) + top
    return top / bottom


def test_westbay_worked_example() -> None:
    """Westbay Engineers' Erlang-C walk-through (360 calls per half hour, 4 min calls, 55 agents, 15 s):
    48 erlangs, occupancy 87.3 %, probability of waiting about 24 %, ASA about 8.2 s."""
    figures = erlang_c_at(55, 720, 240, 15)
    assert figures.traffic_erlangs == pytest.approx(48)
    assert figures.occupancy == pytest.approx(0.873, abs=5e-4)
    assert figures.probability_wait == pytest.approx(0.2387, abs=5e-4)
    assert figures.asa_s == pytest.approx(8.2, abs=0.05)
    assert figures.service_level == pytest.approx(1 - 0.2387 * math.exp(-7 * 15 / 240), abs=5e-4)


def test_call_centre_helper_worked_example() -> None:
    """Call Centre Helper's 'Erlang C made simple' example (100 calls per 30 min, AHT 180 s, 80 % in 20 s):
    10 erlangs, 11 agents wait with probability 0.6821, and 14 agents are the fewest meeting 80/20."""
    assert erlang_c_at(11, 200, 180, 20).probability_wait == pytest.approx(0.6821, abs=5e-5)
    result = erlang_c(calls_per_hour=200, aht_s=180, answer_within_s=20, target_sl=0.8)
    assert result["agents"] == 14
    assert set(result) == {"agents", "service_level", "asa_s", "occupancy"}
    assert erlang_c_at(13, 200, 180, 20).service_level < 0.8 <= result["service_level"]


def test_textbook_mmc_queue() -> None:
    """The classic M/M/c exercise (one call a minute, 3 min service, 5 agents): P(wait) = 0.2362,
    mean wait 0.354 min."""
    figures = erlang_c_at(5, 60, 180, 0)
    assert figures.probability_wait == pytest.approx(0.2362, abs=5e-5)
    assert figures.asa_s / 60 == pytest.approx(0.354, abs=5e-4)


@pytest.mark.parametrize(("agents", "traffic"), [(3, 2.5), (14, 10.0), (55, 48.0), (120, 110.5)])
def test_recursion_matches_direct_formula(agents: int, traffic: float) -> None:
    """The stable recursion gives the same Erlang C as the factorial formula where both can be computed."""
    via_recursion = erlang_c_at(agents, traffic * 3600 / 100, 100, 0).probability_wait
    assert via_recursion == pytest.approx(direct_erlang_c(agents, traffic), rel=1e-9)


def test_large_loads_do_not_overflow() -> None:
    """A centre-scale load (30,000 erlangs) sizes without overflow and with near-full occupancy."""
    result = erlang_c(360_000, 300, 20, 0.9)
    assert 30_000 < result["agents"] < 30_100
    assert 0.99 < result["occupancy"] < 1
    assert 0 <= erlang_b(30_000, 30_000.0) <= 1


def test_percent_target_is_accepted() -> None:
    """A target of 80 is read as 80 %, the same as 0.8."""
    assert erlang_c(200, 180, 20, 80) == erlang_c(200, 180, 20, 0.8)


@pytest.mark.parametrize(
    "bad",
    [{"calls_per_hour": 0}, {"aht_s": -1}, {"answer_within_s": -5}, {"target_sl": 0}, {"target_sl": 100}],
)
def test_bad_input_is_refused(bad: dict[str, float]) -> None:
    """Nonsense inputs raise InvalidInput (a 422), never a crash or an endless search."""
    args = {"calls_per_hour": 200.0, "aht_s": 180.0, "answer_within_s": 20.0, "target_sl": 0.8} | bad
    with pytest.raises(InvalidInput):
        erlang_c(**args)
