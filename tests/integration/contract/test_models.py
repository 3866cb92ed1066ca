"""Contract of the model store: versions keep their parameters and backtest, list newest first, one live
model and the newest shadow are in force, and a status change is seen by the next read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.domain.errors import Conflict
from kefu.screening.model_records import StoredModel
from tests.integration.contract.conftest import T0, Stores


def _model(version: str, minutes: int, status: str = "shadow") -> StoredModel:
    return StoredModel(
        version,
        status,  # type: ignore[arg-type]
        {"format": "kefu-gbt-1", "version": version, "trees": [], "meta": {"payments": 10, "scams": 2}},
        {"lanes": {"both": {"scam_value_stopped": 0.9}}} if minutes else None,
        T0 + timedelta(minutes=minutes),
        "admin",
        "file",
    )


async def test_models_round_trip_and_list_newest_first(stores: Stores) -> None:
    """A stored model reads back equal; all() is newest trained first; unknown versions are None."""
    async with stores.uow() as uow:
        assert await uow.models.in_force() == (None, None)
        for version, minutes in (("m-1", 0), ("m-3", 20), ("m-2", 10)):
            await uow.models.add(_model(version, minutes))
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.models.get("m-2") == _model("m-2", 10)
        assert await uow.models.get("m-9") is None
        assert [m.version for m in await uow.models.all()] == ["m-3", "m-2", "m-1"]
        assert await uow.models.in_force() == (None, "m-3")


async def test_promotion_changes_what_is_in_force(stores: Stores) -> None:
    """set_status moves a shadow to live (with its promotion time) and the old live to retired; in_force
    answers the live one and the newest remaining shadow, in the same transaction and after commit."""
    async with stores.uow() as uow:
        await uow.models.add(_model("m-1", 0, "live"))
        await uow.models.add(_model("m-2", 10))
        await uow.models.add(_model("m-3", 20))
        await uow.commit()
    at = T0 + timedelta(hours=1)
    async with stores.uow() as uow:
        assert (await uow.models.get("m-3")) is not None  # read first: the update must still be seen
        await uow.models.set_status("m-1", "retired", None)
        await uow.models.set_status("m-3", "live", at)
        promoted = await uow.models.get("m-3")
        assert promoted is not None and promoted.status == "live" and promoted.promoted_at == at
        assert await uow.models.in_force() == ("m-3", "m-2")
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.models.in_force() == ("m-3", "m-2")
        retired = await uow.models.get("m-1")
        assert retired is not None and retired.status == "retired" and retired.promoted_at is None


async def test_a_version_is_stored_once(stores: Stores) -> None:
    """Storing a version twice is a Conflict at commit."""
    async with stores.uow() as uow:
        await uow.models.add(_model("m-1", 0))
        await uow.commit()
    with pytest.raises(Conflict):
        async with stores.uow() as uow:
            await uow.models.add(_model("m-1", 5))
            await uow.commit()


async def test_decisions_carry_the_model_version_and_the_latest_label(stores: Stores) -> None:
    """decisions() answers each screening in the window with the live model's version from its result
    (None without one), its decision and its latest label; screenings outside the window are left out."""
    from kefu.domain.labels import PaymentLabel  # noqa: PLC0415
    from tests.integration.contract import makers as mk  # noqa: PLC0415

    async with stores.uow() as uow:
        for n, minutes, model in ((1, 0, "m-1"), (2, 5, None), (3, 90, "m-1")):
            result = {"reasons": [], "model": None if model is None else {"version": model}}
            await uow.screenings.add(
                mk.screening(n, screened_at=T0 + timedelta(minutes=minutes), result=result)
            )
        for n, (label, seconds) in enumerate((("legitimate", 0), ("scam", 60))):
            at = T0 + timedelta(seconds=seconds)
            await uow.screenings.add_label(PaymentLabel(f"l-{n}", "p-001", label, "chargeback", at, "gw"))  # type: ignore[arg-type]
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.models.decisions(T0, T0 + timedelta(hours=1))
    found = sorted((d.screened_at, d.model_version, d.label) for d in got)
    assert found == [(T0, "m-1", "scam"), (T0 + timedelta(minutes=5), None, None)]
