"""Screening (劝阻止付): the payments side sends one payment, kefu answers allow, warn, hold or block."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.domain.payments import ScreenPayment
from kefu.entrypoints.api.deps import ActorDep, BusDep
from kefu.entrypoints.api.screening.schemas import ScreenIn, ScreeningOut

router = APIRouter(prefix="/api/v1", tags=["screening"])


@router.post(
    "/payments/screen",
    response_model=ScreeningOut,
    summary="Screen one payment: allow, warn, hold (opens a case) or block; idempotent on payment_id",
)
async def screen_payment(body: ScreenIn, bus: BusDep, actor: ActorDep) -> ScreeningOut:
    request = body.model_dump(mode="json", exclude_none=True)
    record = await bus.handle(ScreenPayment(request), actor)
    return ScreeningOut.model_validate(record.result)
