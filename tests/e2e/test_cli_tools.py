"""The staffing, simulation and benchmark commands print JSON and refuse bad input in one line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kefu.entrypoints.cli import app
from kefu.staffing.erlang import erlang_c_at

runner = CliRunner()


def test_erlang_c_prints_the_fewest_agents_meeting_the_target() -> None:
    """The printed agent count meets the target and one agent fewer would not."""
    r = runner.invoke(
        app,
        [
            "staffing",
            "erlang-c",
            "--calls-per-hour",
            "600",
            "--aht-s",
            "180",
            "--answer-within-s",
            "20",
            "--target-sl",
            "80",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) == {"agents", "service_level", "asa_s", "occupancy"}
    assert out["service_level"] >= 0.8
    assert erlang_c_at(out["agents"] - 1, 600, 180, 20).service_level < 0.8


def test_sim_centre_prints_its_figures() -> None:
    """A short simulation prints SL, ASA, abandonment, occupancy, calls and the wait-estimate error."""
    r = runner.invoke(
        app,
        [
            "sim",
            "centre",
            "--hours",
            "2",
            "--calls-per-hour",
            "120",
            "--aht-s",
            "120",
            "--agents",
            "6",
            "--patience-s",
            "60",
            "--seed",
            "3",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) == {"service_level", "asa_s", "abandon_rate", "occupancy", "calls", "wait_estimate"}
    assert out["calls"] > 100
    assert 0 <= out["abandon_rate"] <= 1
    assert set(out["wait_estimate"]) == {"estimated", "mean_error_s", "median_abs_error_s", "p90_abs_error_s"}


def test_bench_routing_quick_prints_json() -> None:
    """The routing benchmark's quick run prints decisions per second for each size."""
    r = runner.invoke(app, ["bench", "routing", "--quick"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["benchmark"] == "routing"
    assert out["runs"]
    for run in out["runs"]:
        assert run["decisions_per_s"] > 0
        assert run["waiting_tasks"] == run["tasks"]
        assert run["bytes_per_waiting_task"] > 0


def test_bad_numbers_are_refused() -> None:
    """Negative loads are a one-line error with a non-zero exit (through the CLI's error handler)."""
    r = runner.invoke(app, ["staffing", "erlang-c", "--calls-per-hour", "-5", "--aht-s", "180"])
    assert r.exit_code != 0
    assert "must be positive" in str(r.exception) or "must be positive" in r.output
