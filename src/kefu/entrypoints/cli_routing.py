"""``kefu staffing …`` and ``kefu sim centre``: staffing maths and the centre simulator, as JSON."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

staffing_app = typer.Typer(help="Staffing: how many agents a load needs.", no_args_is_help=True)
sim_app = typer.Typer(help="Simulations driving the real engines.", no_args_is_help=True)


def _emit(figures: dict[str, Any]) -> None:
    print(json.dumps(figures, ensure_ascii=False))  # noqa: T201 - the figures are the output


@staffing_app.command("erlang-c")
def erlang_c_command(
    calls_per_hour: Annotated[float, typer.Option(help="Offered calls per hour.")],
    aht_s: Annotated[float, typer.Option(help="Average handle time, seconds.")],
    answer_within_s: Annotated[float, typer.Option(help="Service-level threshold, seconds.")] = 20,
    target_sl: Annotated[float, typer.Option(help="Target share answered in time: 0.8 or 80.")] = 0.8,
) -> None:
    """The fewest agents that meet the service-level target, with service level, ASA and occupancy."""
    from kefu.staffing.erlang import erlang_c  # noqa: PLC0415 - load only what the command needs

    _emit(erlang_c(calls_per_hour, aht_s, answer_within_s, target_sl))


@sim_app.command("centre")
def sim_centre(
    hours: Annotated[float, typer.Option(help="Simulated hours.")],
    calls_per_hour: Annotated[float, typer.Option(help="Poisson arrival rate.")],
    aht_s: Annotated[float, typer.Option(help="Mean handle time, seconds.")],
    agents: Annotated[int, typer.Option(help="Agents on one queue.")],
    patience_s: Annotated[float | None, typer.Option(help="Mean patience before abandoning.")] = None,
    seed: int = 0,
    answer_within_s: float = 20,
    handle_time: Annotated[str, typer.Option(help="exponential or fixed.")] = "exponential",
) -> None:
    """Discrete-event simulation of one queue through the real routing engine."""
    from kefu.sim.centre import simulate_centre  # noqa: PLC0415

    _emit(
        simulate_centre(
            hours,
            calls_per_hour,
            aht_s,
            agents,
            patience_s,
            seed,
            answer_within_s=answer_within_s,
            handle_time=handle_time,
        )
    )


@sim_app.command("scenario")
def sim_scenario(
    hours: float = 8,
    seed: int = 0,
    escalation: Annotated[bool, typer.Option(help="Escalate to all sites.")] = True,
) -> None:
    """Multi-skill, multi-site centre (six bases, several queues) with or without escalation."""
    from kefu.sim.centre import multi_site_scenario  # noqa: PLC0415

    _emit(multi_site_scenario(hours=hours, seed=seed, escalation=escalation))
