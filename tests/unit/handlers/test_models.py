"""The model lane's handlers through the bus: a stored model is a shadow (scored, never deciding) until
promoted; promotion retires the live one; retraining on labelled history stores a shadow with its backtest;
every screening records what the models said."""

from __future__ import annotations

import math
from typing import Any

import pytest

from kefu.adapters.memory.testing import FakeWorld
from kefu.domain import payments as p
from kefu.domain.customers import Customer
from kefu.domain.errors import AlreadyExists, Conflict, Forbidden, InvalidInput, NotFound
from kefu.domain.labels import LabelPayment
from kefu.screening.errors import InvalidModel
from kefu.screening.model import MODEL_FEATURES, ScoringModel, Tree
from kefu.screening.model_records import PromoteModel, RetrainModel, StoreModel
from tests.unit.handlers.conftest import START, Centre, names


def constant_params(probability: float, version: str) -> dict[str, Any]:
    """Exported parameters of a one-leaf model answering ``probability`` for every payment."""
    leaf = Tree((0,), (0.0,), (0,), (0,), (math.log(probability / (1 - probability)),), (True,))
    return ScoringModel(version, MODEL_FEATURES, 0.0, (leaf,), weight=100).to_dict()


def lunch(payment_id: str, customer: Customer, minutes: int = 0, amount: int = 3_000) -> dict[str, Any]:
    """A small lunch payment to a restaurant the rules allow."""
    return {
        "payment_id": payment_id,
        "payer": {"customer_id": customer.id},
        "payee": {"account_id": "m-lunch", "name": "面馆", "kind": "merchant"},
        "amount": amount,
        "currency": "CNY",
        "channel": "merchant",
        "memo": "午饭",
        "created_at": (START.replace(minute=minutes % 60)).isoformat(),
    }


async def labelled_history(centre: Centre, count: int = 60) -> Customer:
    """``count`` screened payments, every fifth labelled a scam by a chargeback, the rest legitimate."""
    customer = await centre.customer("ext-hist")
    gateway = await centre.actor("gateway", "integration")
    for n in range(count):
        scam = n % 5 == 0
        request = lunch(f"h-{n:03}", customer, n, amount=900_000 + n if scam else 3_000 + n)
        await centre.handle(p.ScreenPayment(request))
        await centre.handle(
            LabelPayment(f"h-{n:03}", "scam" if scam else "legitimate", "chargeback"), gateway
        )
    return customer


async def test_a_stored_model_is_a_shadow_until_promoted(centre: Centre, world: FakeWorld) -> None:
    """StoreModel stores a shadow and announces it; screening scores it beside the rules without letting
    it decide; PromoteModel makes it live, so the same kind of payment is now held and names the model."""
    customer = await centre.customer("ext-1")
    world.take_events()
    stored = await centre.handle(StoreModel(constant_params(0.8, "m-1")))
    assert (stored.version, stored.status, stored.source) == ("m-1", "shadow", "file")
    assert names(world) == ["model.stored"]

    record = await centre.handle(p.ScreenPayment(lunch("p-1", customer)))
    assert record.decision == "allow"
    assert record.result["model"] is None
    assert record.result["model_shadow"] == {"version": "m-1", "probability": 0.8, "decision": "hold"}

    promoted = await centre.handle(PromoteModel("m-1"))
    assert promoted.status == "live" and promoted.promoted_at is not None
    assert names(world) == ["payment.screened", "model.promoted"]
    held = await centre.handle(p.ScreenPayment(lunch("p-2", customer, 1)))
    assert held.decision == "hold" and held.case_id is not None
    assert held.result["model"] == {"version": "m-1", "probability": 0.8, "points": 80}


async def test_promotion_retires_the_live_model(centre: Centre) -> None:
    """Promoting a second model retires the first; promoting a live model again is a Conflict; an unknown
    version is NotFound; a version is stored once."""
    await centre.handle(StoreModel(constant_params(0.1, "m-1")))
    await centre.handle(StoreModel(constant_params(0.2, "m-2")))
    await centre.handle(PromoteModel("m-1"))
    await centre.handle(PromoteModel("m-2"))
    async with centre.bus.uow_factory() as uow:
        statuses = {m.version: m.status for m in await uow.models.all()}
    assert statuses == {"m-1": "retired", "m-2": "live"}
    with pytest.raises(Conflict):
        await centre.handle(PromoteModel("m-2"))
    with pytest.raises(NotFound):
        await centre.handle(PromoteModel("m-9"))
    with pytest.raises(AlreadyExists):
        await centre.handle(StoreModel(constant_params(0.3, "m-1")))


async def test_only_rule_writers_store_and_promote(centre: Centre) -> None:
    """An agent may not store or promote a model; malformed parameters are refused before storing."""
    agent = await centre.actor("li", "agent")
    with pytest.raises(Forbidden):
        await centre.handle(StoreModel(constant_params(0.5, "m-1")), agent)
    with pytest.raises(Forbidden):
        await centre.handle(PromoteModel("m-1"), agent)
    with pytest.raises(InvalidModel):
        await centre.handle(StoreModel({"format": "kefu-gbt-1", "version": "m-2"}))


async def test_retraining_on_labels_stores_a_shadow_with_its_backtest(
    centre: Centre, world: FakeWorld
) -> None:
    """RetrainModel trains on labelled, screened payments and stores a shadow whose backtest on the newest
    fifth sits beside the live model's and the rules' alone."""
    await centre.handle(StoreModel(constant_params(0.05, "m-live")))
    await centre.handle(PromoteModel("m-live"))
    await labelled_history(centre)
    world.take_events()
    stored = await centre.handle(RetrainModel("from-labels"))
    assert (stored.version, stored.status, stored.source) == ("from-labels", "shadow", "labels")
    assert names(world) == ["model.stored"]
    backtest = stored.backtest
    assert backtest is not None and backtest["train"] == 48
    assert backtest["candidate"]["payments"] == 12 and backtest["candidate"]["scams"] == 2
    assert backtest["live"]["version"] == "m-live"
    assert backtest["rules"]["version"] is None
    # the candidate learnt that large payments here are scams
    assert backtest["candidate"]["scam_count_stopped"] == 1.0
    assert backtest["candidate"]["legit_stopped"] == 0.0


async def test_retraining_needs_enough_labels(centre: Centre) -> None:
    """With too few labelled payments retraining is refused with a reason, and nothing is stored."""
    await labelled_history(centre, count=10)
    with pytest.raises(InvalidInput, match="at least 50"):
        await centre.handle(RetrainModel())
    async with centre.bus.uow_factory() as uow:
        assert await uow.models.all() == []


async def test_drift_counts_each_model_version_by_week_with_precision_from_labels(centre: Centre) -> None:
    """Screenings before a model is live count under rules alone (null), after under the model; stops
    carrying labels give a precision, stops without labels none."""
    from datetime import timedelta  # noqa: PLC0415

    from kefu.domain.users import SYSTEM_ACTOR  # noqa: PLC0415
    from kefu.services.screening.model import model_drift  # noqa: PLC0415

    customer = await centre.customer("ext-1")
    await centre.handle(p.ScreenPayment(lunch("p-0", customer)))
    await centre.handle(StoreModel(constant_params(0.8, "m-1")))
    await centre.handle(PromoteModel("m-1"))
    for n in (1, 2):
        await centre.handle(p.ScreenPayment(lunch(f"p-{n}", customer, n)))
    gateway = await centre.actor("gateway", "integration")
    await centre.handle(LabelPayment("p-1", "scam", "chargeback"), gateway)
    now = centre.clock.now()
    drift = await model_drift(
        now - timedelta(days=1), now + timedelta(days=1), centre.bus.context(SYSTEM_ACTOR)
    )
    assert drift == [
        {"model_version": None, "week": "2026-01-05", "screened": 1, "hold_rate": 0.0, "stop_rate": 0.0,
         "labelled_stops": 0, "precision": None},
        {"model_version": "m-1", "week": "2026-01-05", "screened": 2, "hold_rate": 1.0, "stop_rate": 1.0,
         "labelled_stops": 1, "precision": 1.0},
    ]  # fmt: skip


async def test_the_retraining_job_stores_a_candidate_or_skips_without_labels(centre: Centre) -> None:
    """A round with too few labels stores nothing and returns None; with a labelled history it stores a
    shadow candidate trained on labels."""
    from kefu.services.screening.model_retrain import ModelRetrainer  # noqa: PLC0415

    job = ModelRetrainer(centre.bus, 3600)
    assert await job.round() is None
    await labelled_history(centre)
    stored = await job.round()
    assert stored is not None and (stored.status, stored.source) == ("shadow", "labels")
