"""Screening (劝阻止付): the payments side sends one payment, kefu answers allow, warn, hold or block, and
tells the payment's status afterwards (``GET /payments/{payment_id}`` and signed webhooks)."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.domain.payments import ScreenPayment
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep
from kefu.entrypoints.api.screening.schemas import PaymentOut, ScreenIn, ScreeningOut
from kefu.services.screening.gateway import get_payment

router = APIRouter(prefix="/api/v1", tags=["screening"])


@router.post(
    "/payments/screen",
    response_model=ScreeningOut,
    summary="Screen one payment: allow, warn, hold (opens a case) or block; idempotent on payment_id",
)
async def screen_payment(body: ScreenIn, bus: BusDep, actor: ActorDep) -> ScreeningOut:
    request = body.model_dump(mode="json", exclude_none=True)
    record = await bus.handle(ScreenPayment(request), actor)
    return ScreeningOut.model_validate({**record.result, "status": record.status})


@router.get(
    "/payments/{payment_id}",
    response_model=PaymentOut,
    summary="A screened payment's current status, its case reference and specialist, hold expiry",
)
async def payment_status(payment_id: str, ctx: ContextDep) -> PaymentOut:
    view = await get_payment(payment_id, ctx)
    r = view.record
    return PaymentOut(
        payment_id=r.payment_id,
        status=r.status,
        decision=r.decision,  # type: ignore[arg-type]  # stored from the decision's own Literal
        score=r.score,
        typology=r.typology,
        case_id=r.case_id,
        case_ref=view.case_ref,
        specialist=view.specialist,
        hold_expires_at=r.hold_expires_at,
        screened_at=r.screened_at,
        status_changed_at=r.status_changed_at,
    )
