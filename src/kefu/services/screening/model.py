"""The model lane's use cases: store a trained model as a shadow, promote it, retrain on labelled history.

A stored model runs in shadow first: every screening scores it and records its verdict beside the decision,
but its points count only once ``PromoteModel`` makes it live (the previous live model is retired). Models
are part of the screening rules, so they take the rules' permissions: ``rules.write`` to store, retrain and
promote, ``rules.read`` to list.

Retraining reads the labelled history: each labelled payment's stored screening carries the payment and the
counter features it was screened with, so its model inputs are rebuilt exactly as they were (the payer's
profile from the customer record as it is now). The oldest 80 % train the candidate, the newest 20 % measure
it next to the live model, and the candidate is stored as a shadow with that backtest.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kefu.domain.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from kefu.screening import CounterFeatures, FeatureBuilder, PayerProfile, Payment
from kefu.screening.model import ScoringModel, model_inputs, model_points
from kefu.screening.model_records import (
    ModelPromoted,
    ModelStored,
    PromoteModel,
    RetrainModel,
    StoredModel,
    StoreModel,
)
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.screening.desk import ScreeningDesk

MIN_LABELLED = 50  # fewer labelled payments than this teach a model nothing it can be trusted with


async def store_model(cmd: StoreModel, ctx: Context, desk: ScreeningDesk) -> StoredModel:
    """Validate exported parameters and store them as a new shadow version."""
    require(ctx.actor, "rules.write")
    model = ScoringModel.from_dict(cmd.params)  # refuses malformed parameters before anything is stored
    if cmd.source not in {"file", "labels"}:
        raise InvalidInput("source must be file or labels", field="source")
    now = ctx.clock.now()
    stored = StoredModel(
        model.version, "shadow", model.to_dict(), cmd.backtest, now, ctx.actor.username, cmd.source
    )
    async with ctx.uow:
        if await ctx.uow.models.get(model.version) is not None:
            raise AlreadyExists(f"model version {model.version!r} was stored before; give it a new version")
        await ctx.uow.models.add(stored)
        await ctx.audit("model.stored", "model", model.version, source=cmd.source, trees=len(model.trees))
        ctx.uow.emit(ModelStored(model.version, cmd.source, now))
        await ctx.uow.commit()
    desk.models.forget()
    return stored


async def promote_model(cmd: PromoteModel, ctx: Context, desk: ScreeningDesk) -> StoredModel:
    """Make a stored model live; the live one before it is retired."""
    require(ctx.actor, "rules.write")
    now = ctx.clock.now()
    async with ctx.uow:
        target = await ctx.uow.models.get(cmd.version)
        if target is None:
            raise NotFound("model", cmd.version)
        if target.status == "live":
            raise Conflict(f"model {cmd.version!r} is live already")
        live, _ = await ctx.uow.models.in_force()
        if live is not None:
            await ctx.uow.models.set_status(live, "retired", None)
        await ctx.uow.models.set_status(cmd.version, "live", now)
        await ctx.audit("model.promoted", "model", cmd.version, retired=live)
        ctx.uow.emit(ModelPromoted(cmd.version, live, now))
        promoted = await ctx.uow.models.get(cmd.version)
        await ctx.uow.commit()
    desk.models.forget()
    if promoted is None:  # pragma: no cover - read back in the same transaction
        raise NotFound("model", cmd.version)
    return promoted


async def list_models(ctx: Context) -> list[StoredModel]:
    require(ctx.actor, "rules.read")
    async with ctx.uow:
        return await ctx.uow.models.all()


async def labelled_history(ctx: Context) -> tuple[list[list[float]], list[int], list[dict[str, Any]]]:
    """Model inputs, labels and what a backtest needs (amount, rules' points) of every labelled payment
    that was screened, oldest screening first."""
    builder = FeatureBuilder()
    rows: list[tuple[tuple[datetime, str], list[float], int, dict[str, Any]]] = []
    async with ctx.uow:
        latest: dict[str, str] = {}
        for given in await ctx.uow.screenings.labels_since(None):
            latest[given.payment_id] = given.label  # oldest first: the last one seen is current
        customers: dict[str, PayerProfile] = {}
        for payment_id, label in latest.items():
            record = await ctx.uow.screenings.get(payment_id)
            request = None if record is None else record.request
            if record is None or not request or "payment" not in request or "counters" not in request:
                continue
            payment = Payment.from_dict(request["payment"])
            counters = CounterFeatures(*request["counters"])
            profile = customers.get(record.customer_id or "")
            if profile is None:
                profile = PayerProfile()
                customer = (
                    None if record.customer_id is None else await ctx.uow.customers.get(record.customer_id)
                )
                if customer is not None:
                    elderly = customer.is_elderly(ctx.local_today(), ctx.settings.elderly_age)
                    profile = PayerProfile(elderly, customer.vulnerable, ctx.settings.local_timezone)
                customers[record.customer_id or ""] = profile
            x = model_inputs(builder.build(payment, profile, counters))
            rules_points = sum(int(r.get("weight", 0)) for r in record.result.get("reasons", ()))
            extra = {"amount": payment.amount, "rules": rules_points}
            rows.append(((record.screened_at, payment_id), x, int(label == "scam"), extra))
    rows.sort(key=lambda r: r[0])  # screening order, as live screening saw them
    return [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]


def holdout_metrics(
    model: ScoringModel | None, x: list[list[float]], y: list[int], extra: list[dict[str, Any]], hold: int
) -> dict[str, Any]:
    """Stops (the rules' points plus the model's reaching ``hold``) on held-out labelled payments;
    ``model`` None measures the rules alone."""
    scams = scam_value = stopped = stopped_value = legit = legit_stopped = 0
    for inputs, scam, e in zip(x, y, extra, strict=True):
        points = 0 if model is None else model_points(model.probability(inputs), model.weight)
        stop = e["rules"] + points >= hold
        if scam:
            scams += 1
            scam_value += e["amount"]
            stopped += stop
            stopped_value += e["amount"] if stop else 0
        else:
            legit += 1
            legit_stopped += stop
    return {
        "version": None if model is None else model.version,
        "payments": len(y),
        "scams": scams,
        "scam_count_stopped": round(stopped / scams, 4) if scams else 0.0,
        "scam_value_stopped": round(stopped_value / scam_value, 4) if scam_value else 0.0,
        "legit_stopped": round(legit_stopped / legit, 5) if legit else 0.0,
        "precision": round(stopped / (stopped + legit_stopped), 4) if stopped + legit_stopped else 0.0,
    }


async def retrain_model(cmd: RetrainModel, ctx: Context, desk: ScreeningDesk) -> StoredModel:
    """Train a shadow candidate on labelled history; store it with its backtest next to the live model's."""
    require(ctx.actor, "rules.write")
    from kefu.screening.model_train import fit_inputs  # noqa: PLC0415 - scikit-learn loads only to train

    x, y, extra = await labelled_history(ctx)
    if len(y) < MIN_LABELLED or 0 in (sum(y), len(y) - sum(y)):
        raise InvalidInput(
            f"retraining needs at least {MIN_LABELLED} labelled screened payments with both scams and "
            f"legitimate ones; there are {len(y)} ({sum(y)} scams)"
        )
    cut = len(y) * 4 // 5
    version = cmd.version or f"labels-{ctx.clock.now():%Y%m%dT%H%M%S}"
    # fitting takes seconds of CPU: off the event loop, so the process keeps serving
    candidate = await asyncio.to_thread(fit_inputs, x[:cut], y[:cut], version)
    async with ctx.uow:
        live, _ = await desk.models.current(ctx.uow, ctx.settings)
        hold = (await desk.active_rules(ctx.uow, ctx.settings)).thresholds.hold
    held_out = (x[cut:], y[cut:], extra[cut:], hold)
    backtest = {
        "train": cut,
        "candidate": holdout_metrics(candidate, *held_out),
        "live": None if live is None else holdout_metrics(live, *held_out),
        "rules": holdout_metrics(None, *held_out),
    }
    return await store_model(StoreModel(candidate.to_dict(), backtest, "labels"), ctx, desk)


async def model_drift(start: datetime, end: datetime, ctx: Context) -> list[dict[str, Any]]:
    """Per model version (``null``: rules alone) and local week (starting Monday): screenings, hold rate,
    stop rate (hold or block) and, where stopped payments carry labels, the share of them that were scams.
    A model that drifts shows it here first: its stop rate moves while its precision falls."""
    require(ctx.actor, "fraud.stats")
    async with ctx.uow:
        decisions = await ctx.uow.models.decisions(start, end)
    zone = ZoneInfo(ctx.settings.local_timezone)
    cells: dict[tuple[str, date], list[int]] = {}
    for d in decisions:
        day = d.screened_at.astimezone(zone).date()
        week = day - timedelta(days=day.weekday())
        # screened, held, stopped, labelled stops, scam-labelled stops
        cell = cells.setdefault((d.model_version or "", week), [0, 0, 0, 0, 0])
        cell[0] += 1
        stopped = d.decision in {"hold", "block"}
        cell[1] += d.decision == "hold"
        cell[2] += stopped
        if stopped and d.label is not None:
            cell[3] += 1
            cell[4] += d.label == "scam"
    return [
        {
            "model_version": version or None,
            "week": week.isoformat(),
            "screened": c[0],
            "hold_rate": round(c[1] / c[0], 4),
            "stop_rate": round(c[2] / c[0], 4),
            "labelled_stops": c[3],
            "precision": round(c[4] / c[3], 4) if c[3] else None,
        }
        for (version, week), c in sorted(cells.items())
    ]
