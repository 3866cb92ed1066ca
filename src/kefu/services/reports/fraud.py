"""The anti-fraud part of the service report: cases per base and per specialist over a window.

A case is credited to the specialist who resolved it (``resolved_by``), or, while it is open or when kefu
settled it by policy, to the specialist who took it from routing; a case nobody took is ``none``. Per
group: cases offered (opened in the window), answered (taken by a specialist or reached by phone), the
median time from opening to first contact, outcomes, and funds saved (ledger entries made in the window,
credited as their case is).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from kefu.domain.agents import Agent
from kefu.domain.cases import Case
from kefu.domain.errors import InvalidInput
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.reports.service import Window, window

FraudGroupBy = Literal["site", "specialist"]
NONE = "none"
CASES_READ = 20_000  # cases and savings read per report; a centre's month fits well within
PEOPLE_READ = 5_000


@dataclass(slots=True)
class FraudLine:
    key: str  # site id or agent id (``none``: nobody took the case)
    offered: int = 0
    answered: int = 0
    dissuaded: int = 0
    released: int = 0
    unreachable: int = 0
    first_contact_s: float | None = None
    saved: dict[str, int] = field(default_factory=dict)
    delays: list[float] = field(default_factory=list)


async def fraud_report(
    ctx: Context, since: datetime, until: datetime, group_by: FraudGroupBy
) -> tuple[Window, list[FraudLine], dict[str, Agent]]:
    """Lines per base or per specialist, worst-covered first (most cases), and the agents they name."""
    require(ctx.actor, "reports.read")
    if group_by not in ("site", "specialist"):
        raise InvalidInput("group_by must be site or specialist", field="group_by")
    w = window(since, until)
    async with ctx.uow:
        cases = {c.id: c for c in await ctx.uow.cases.opened_between(w.since, w.until, CASES_READ)}
        savings = await ctx.uow.fraud.savings(w.since, w.until, CASES_READ)
        for entry in savings:
            if entry.case_id not in cases:
                earlier = await ctx.uow.cases.get(entry.case_id, with_history=False)
                if earlier is not None:
                    cases[earlier.id] = earlier
        agents = {a.id: a for a in await ctx.uow.agents.page(None, PEOPLE_READ)}
        users = {u.username: u.id for u in await ctx.uow.users.page(None, PEOPLE_READ)}
    by_user = {a.user_id: a for a in agents.values() if a.user_id}

    def credited(case: Case) -> Agent | None:
        resolver = by_user.get(users.get(case.resolved_by or "", ""))
        return resolver if resolver is not None else agents.get(case.agent_id or "")

    def key(case: Case) -> str:
        agent = credited(case)
        if agent is None:
            return NONE
        return agent.site if group_by == "site" else agent.id

    lines: dict[str, FraudLine] = {}
    for case in cases.values():
        if not w.since <= case.opened_at < w.until:
            continue  # read only for a saving made in the window
        line = lines.setdefault(key(case), FraudLine(key(case)))
        line.offered += 1
        line.answered += case.agent_id is not None or case.first_contact_at is not None
        if case.first_contact_at is not None:
            line.delays.append((case.first_contact_at - case.opened_at).total_seconds())
        if case.outcome in ("dissuaded", "released", "unreachable"):
            setattr(line, case.outcome, getattr(line, case.outcome) + 1)
    saved: dict[str, Counter[str]] = {}
    for entry in savings:
        found = cases.get(entry.case_id)
        k = NONE if found is None else key(found)
        lines.setdefault(k, FraudLine(k))
        saved.setdefault(k, Counter())[entry.currency] += entry.amount
    for k, line in lines.items():
        line.saved = dict(saved.get(k, {}))
        line.first_contact_s = round(statistics.median(line.delays), 1) if line.delays else None
    named = {a.id: a for a in agents.values() if a.id in lines}
    return w, sorted(lines.values(), key=lambda x: (-x.offered, x.key)), named
