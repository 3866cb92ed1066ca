"""Where an intervention case waits and how urgently: the case queue and the priority by risk score."""

from __future__ import annotations

import pytest

from kefu.domain.cases import CASE_QUEUE, case_priority


@pytest.mark.parametrize(("score", "priority"), [(0, 0), (19, 0), (20, 1), (59, 2), (99, 4), (100, 5)])
def test_case_priority_rises_by_one_per_twenty_points_of_score(score: int, priority: int) -> None:
    """A riskier payment's case is called first: priority is the score in steps of 20."""
    assert case_priority(score) == priority


def test_cases_wait_in_the_anti_fraud_queue() -> None:
    """Every case goes to the anti-fraud specialists' queue, the one the seed migration defines."""
    assert CASE_QUEUE == "anti_fraud"
