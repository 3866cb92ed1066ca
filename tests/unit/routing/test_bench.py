"""The routing benchmark runs and reports the figures docs/performance.md quotes."""

from __future__ import annotations

import pytest

from kefu.bench.routing import run_routing_bench


@pytest.mark.slow
def test_quick_bench_reports_throughput_growth_and_memory() -> None:
    """A quick run returns decisions per second, cost per decision, growth ratio and memory per task."""
    result = run_routing_bench(quick=True, cycles=300)
    assert len(result["runs"]) == 4
    for run in result["runs"]:
        assert run["decisions_per_s"] > 0
        assert run["us_per_decision_cycle"] > 0
        assert run["bytes_per_waiting_task"] > 0
        assert run["busy_agents"] > 0
    assert result["growth_per_10x_tasks"]["ratios"]
