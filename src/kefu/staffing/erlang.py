"""Erlang C: how many agents a queue needs to answer a share of its calls within a target time.

The M/M/N model (Poisson arrivals, exponential handle times, N identical agents, nobody hangs up).
Traffic ``A = calls per second * AHT`` erlangs. Computing ``A**N / N!`` directly overflows for the loads
a large centre sees, so the Erlang B blocking probability is built with the stable recursion

    B(0) = 1,    B(n) = A * B(n-1) / (n + A * B(n-1))

and Erlang C (the probability that a call waits) follows as ``C = N * B / (N - A * (1 - B))``. Then

    service level = 1 - C * exp(-(N - A) * T / AHT)      (share answered within T seconds)
    ASA           = C * AHT / (N - A)                     (average speed of answer)
    occupancy     = A / N

Searching upward from the smallest stable N extends the same recursion, so the whole search is O(N).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kefu.domain.errors import InvalidInput

_MAX_AGENTS = 10_000_000  # far beyond any real centre; stops a runaway search on absurd input


@dataclass(frozen=True, slots=True)
class ErlangC:
    """Erlang C figures for one staffing level."""

    agents: int
    traffic_erlangs: float
    probability_wait: float
    service_level: float
    asa_s: float
    occupancy: float


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of ``agents`` servers offered ``traffic`` erlangs (stable recursion)."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def _figures(agents: int, traffic: float, blocking: float, aht_s: float, answer_within_s: float) -> ErlangC:
    wait = agents * blocking / (agents - traffic * (1 - blocking))
    level = 1 - wait * math.exp(-(agents - traffic) * answer_within_s / aht_s)
    return ErlangC(agents, traffic, wait, level, wait * aht_s / (agents - traffic), traffic / agents)


def _check(calls_per_hour: float, aht_s: float, answer_within_s: float) -> float:
    if calls_per_hour <= 0 or aht_s <= 0 or answer_within_s < 0:
        raise InvalidInput(
            "calls per hour and AHT must be positive and the answer time not negative",
            calls_per_hour=calls_per_hour,
            aht_s=aht_s,
            answer_within_s=answer_within_s,
        )
    return calls_per_hour * aht_s / 3600


def erlang_c_at(agents: int, calls_per_hour: float, aht_s: float, answer_within_s: float) -> ErlangC:
    """Figures for a given number of agents; it must exceed the traffic or the queue grows forever."""
    traffic = _check(calls_per_hour, aht_s, answer_within_s)
    if agents <= traffic:
        raise InvalidInput(f"{agents} agents cannot carry {traffic:.2f} erlangs", agents=agents)
    return _figures(agents, traffic, erlang_b(agents, traffic), aht_s, answer_within_s)


def required_agents(calls_per_hour: float, aht_s: float, answer_within_s: float, target_sl: float) -> ErlangC:
    """Fewest agents whose service level meets ``target_sl`` (a fraction, e.g. 0.8 for 80 %)."""
    traffic = _check(calls_per_hour, aht_s, answer_within_s)
    if not 0 < target_sl < 1:
        raise InvalidInput("target service level must be a fraction between 0 and 1", target_sl=target_sl)
    agents = math.floor(traffic) + 1  # the smallest N with N > A
    blocking = erlang_b(agents, traffic)
    while agents < _MAX_AGENTS:
        figures = _figures(agents, traffic, blocking, aht_s, answer_within_s)
        if figures.service_level >= target_sl:
            return figures
        agents += 1
        blocking = traffic * blocking / (agents + traffic * blocking)
    raise InvalidInput("no realistic number of agents meets this target", target_sl=target_sl)


def erlang_c(
    calls_per_hour: float, aht_s: float, answer_within_s: float, target_sl: float
) -> dict[str, float]:
    """What ``kefu staffing erlang-c`` prints: the fewest agents meeting the target and their figures.

    ``target_sl`` is a fraction (0.8); a value above 1 is read as a percentage (80 means 80 %)."""
    target = target_sl / 100 if target_sl > 1 else target_sl
    figures = required_agents(calls_per_hour, aht_s, answer_within_s, target)
    return {
        "agents": figures.agents,
        "service_level": round(figures.service_level, 4),
        "asa_s": round(figures.asa_s, 2),
        "occupancy": round(figures.occupancy, 4),
    }
