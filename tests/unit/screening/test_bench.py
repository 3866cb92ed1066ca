"""The screening benchmark's building blocks, at toy sizes (no timing is asserted)."""

from __future__ import annotations

import pytest

from kefu.bench.screening import memory_per_payer, payers_point, scaled_rule_set, throughput
from kefu.screening import default_rule_set


@pytest.mark.slow
def test_scaled_rule_sets_have_the_requested_size_and_unique_codes():
    """The 10/100/1000-rule sets used for cost growth load and keep distinct codes."""
    for count in (10, 100, 1000):
        rules = scaled_rule_set(count)
        assert len(rules.rules) == count
        assert len({r.code for r in rules.rules}) == count


@pytest.mark.slow
def test_bench_points_report_their_figures():
    """Throughput, payer-scaling and memory points return the fields the bench JSON promises."""
    point = throughput(default_rule_set(), 300, seed=1)
    assert point["decisions"] == 300 and point["decisions_per_s"] > 0
    payers = payers_point(200, 100, seed=1)
    assert payers["tracked_payers"] == 200
    assert memory_per_payer(100, seed=1)["bytes_per_payer"] > 0
