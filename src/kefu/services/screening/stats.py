"""Anti-fraud figures for a time window: screenings by decision, cases by outcome, funds saved, rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from kefu.domain.errors import InvalidInput
from kefu.services.authz import require
from kefu.services.context import Context


@dataclass(frozen=True, slots=True)
class FraudStats:
    start: datetime
    end: datetime
    screened: int
    allowed: int
    warned: int
    held: int
    blocked: int
    cases: dict[str, int]
    saved: dict[str, int]
    dissuasion_rate: float | None
    false_positive_rate: float | None
    median_time_to_first_contact_s: float | None
    by_typology: dict[str, dict[str, Any]]


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


async def fraud_stats(start: datetime, end: datetime, ctx: Context) -> FraudStats:
    """Screenings and cases are counted by when they happened (screened / opened), savings by when made.

    The dissuasion rate is dissuaded cases over resolved ones; the false-positive rate is released over
    resolved ones."""
    require(ctx.actor, "fraud.stats")
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("from and to need a timezone offset, e.g. 2026-11-25T00:00:00+08:00", field="from")
    if end <= start:
        raise InvalidInput("to must be after from", field="to")
    async with ctx.uow:
        decisions = await ctx.uow.screenings.decision_counts(start, end)
        typology_decisions = await ctx.uow.screenings.typology_counts(start, end)
        outcomes = await ctx.uow.cases.outcome_counts(start, end)
        typology_outcomes = await ctx.uow.cases.typology_outcomes(start, end)
        delays = await ctx.uow.cases.first_contact_delays_s(start, end)
        saved_rows = await ctx.uow.fraud.saved(start, end)
    saved: dict[str, int] = {}
    by_typology: dict[str, dict[str, Any]] = {}

    def row(typology: str) -> dict[str, Any]:
        return by_typology.setdefault(
            typology, {"screened": 0, "held": 0, "blocked": 0, "cases": {}, "saved": {}}
        )

    for (typology, currency), amount in saved_rows.items():
        saved[currency] = saved.get(currency, 0) + amount
        cell = row(typology)["saved"]
        cell[currency] = cell.get(currency, 0) + amount
    for (typology, decision), n in typology_decisions.items():
        r = row(typology)
        r["screened"] += n
        if decision in {"hold", "block"}:
            r[f"{decision}ed" if decision == "block" else "held"] += n
    for (typology, outcome), n in typology_outcomes.items():
        row(typology)["cases"][outcome] = n
    resolved = sum(n for o, n in outcomes.items() if o != "open")
    return FraudStats(
        start=start,
        end=end,
        screened=sum(decisions.values()),
        allowed=decisions.get("allow", 0),
        warned=decisions.get("warn", 0),
        held=decisions.get("hold", 0),
        blocked=decisions.get("block", 0),
        cases={o: outcomes.get(o, 0) for o in ("open", "dissuaded", "released", "unreachable")},
        saved=saved,
        dissuasion_rate=_rate(outcomes.get("dissuaded", 0), resolved),
        false_positive_rate=_rate(outcomes.get("released", 0), resolved),
        median_time_to_first_contact_s=None if not delays else round(median(delays), 1),
        by_typology=dict(sorted(by_typology.items())),
    )
