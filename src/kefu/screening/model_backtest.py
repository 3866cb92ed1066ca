"""Efficacy of rules, model and both on a labelled stream, side by side.

Each lane replays the stream with its own fresh counters (stops feed back into features). A payment is
*stopped* when held or blocked. Per lane: the share of scam payments and of scam value stopped, the share of
legitimate payments stopped and warned, precision, the same per typology, and the specialist workload it
implies: cases per 10,000 payments, where a payer's stops within a day join one case as they do in service.

``model alone`` is the model's points against the same thresholds, with an empty rule set (trusted payees
still allowed); ``both`` is the combination live screening uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kefu.screening.counters import DAY_MS
from kefu.screening.decision import Screener
from kefu.screening.model import ScoringModel
from kefu.screening.model_train import Labelled
from kefu.screening.rules import RuleSet, Thresholds, default_rule_set, load_rule_set

NO_RULES = load_rule_set(
    'version: "no-rules"\nthresholds: {warn: 40, hold: 65, block: 90}\n'
    "rules:\n  - {code: never, when: 'amount < 0', weight: 1, message_zh: 无, message_en: never}\n"
)


def efficacy(
    records: Sequence[Labelled],
    model: ScoringModel | None,
    rule_set: RuleSet | None = None,
    thresholds: Thresholds | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Metrics for ``rules`` (and, given a model, ``model`` and ``both``) over ``records`` in time order."""
    rules = rule_set or default_rule_set()
    lanes: dict[str, Screener] = {"rules": Screener(rules, thresholds=thresholds)}
    if model is not None:
        limits = thresholds or rules.thresholds
        lanes["model"] = Screener(NO_RULES, thresholds=limits, model=model)
        lanes["both"] = Screener(rules, thresholds=thresholds, model=model)
    out: dict[str, Any] = {
        "payments": len(records),
        "scams": sum(r.scam for r in records),
        "rule_set_version": rules.version,
        "model_version": None if model is None else model.version,
        "lanes": {},
    }
    for name, screener in lanes.items():
        out["lanes"][name] = _lane(screener, records, progress)
    return out


def _lane(
    screener: Screener, records: Iterable[Labelled], progress: Callable[[int], None] | None
) -> dict[str, Any]:
    scams = scam_value = stopped = stopped_value = warned_scams = 0
    legit = legit_stopped = legit_warned = 0
    cases = 0
    last_stop: dict[str, int] = {}
    typ: dict[str, list[int]] = {}
    done = 0
    for r in records:
        decision = screener.screen(r.payment, r.profile)
        amount = r.payment.amount
        stop = decision.stops_payment
        if stop:
            at = int(r.payment.created_at.timestamp() * 1000)
            previous = last_stop.get(r.payment.payer_id)
            if previous is None or at - previous > DAY_MS:
                cases += 1
            last_stop[r.payment.payer_id] = at
        if r.scam:
            bucket = typ.setdefault(r.typology or "unknown", [0, 0, 0, 0])
            scams += 1
            scam_value += amount
            bucket[0] += 1
            bucket[1] += amount
            if stop:
                stopped += 1
                stopped_value += amount
                bucket[2] += 1
                bucket[3] += amount
            if decision.decision != "allow":
                warned_scams += 1
        else:
            legit += 1
            if stop:
                legit_stopped += 1
            elif decision.decision == "warn":
                legit_warned += 1
        done += 1
        if progress is not None and done % 10_000 == 0:
            progress(10_000)
    if progress is not None:
        progress(done % 10_000)
    payments = scams + legit
    return {
        "scam_count_stopped": _share(stopped, scams),
        "scam_value_stopped": _share(stopped_value, scam_value),
        "scam_count_warned_or_stopped": _share(warned_scams, scams),
        "legit_stopped": _share(legit_stopped, legit, 5),
        "legit_warned": _share(legit_warned, legit, 5),
        "precision": _share(stopped, stopped + legit_stopped),
        "stopped": stopped + legit_stopped,
        "cases_per_10k": round(cases * 10_000 / payments, 2) if payments else 0.0,
        "per_typology": {
            name: {
                "scams": b[0],
                "count_stopped": _share(b[2], b[0]),
                "value_stopped": _share(b[3], b[1]),
            }
            for name, b in sorted(typ.items())
        },
    }


def _share(part: int, whole: int, digits: int = 4) -> float:
    return round(part / whole, digits) if whole else 0.0


def format_efficacy(result: dict[str, Any]) -> str:
    """A plain-text table of ``efficacy``: one column per lane."""
    lanes: dict[str, dict[str, Any]] = result["lanes"]
    head = ["metric", *lanes]
    keys = (
        "scam_value_stopped",
        "scam_count_stopped",
        "scam_count_warned_or_stopped",
        "legit_stopped",
        "legit_warned",
        "precision",
        "cases_per_10k",
    )
    rows = [[key, *(str(lane[key]) for lane in lanes.values())] for key in keys]
    names = sorted({n for lane in lanes.values() for n in lane["per_typology"]})
    for name in names:
        cells = []
        for lane in lanes.values():
            t = lane["per_typology"].get(name)
            cells.append(f"{t['count_stopped']:.2f} / {t['value_stopped']:.2f}" if t else "-")
        rows.append([f"{name} (count / value)", *cells])
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
