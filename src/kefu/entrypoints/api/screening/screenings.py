"""Screening (劝阻止付): the payments side sends one payment, kefu answers allow, warn, hold or block, and
tells the payment's status afterwards (``GET /payments/{payment_id}`` and signed webhooks)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from kefu.domain.labels import LabelPayment
from kefu.domain.payments import ScreenPayment, TalkToSpecialist
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep
from kefu.entrypoints.api.screening.schemas import (
    LabelIn,
    LabelOut,
    PaymentOut,
    ScreenIn,
    ScreeningOut,
    SpecialistIn,
    SpecialistOut,
)
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
        label=None if view.label is None else view.label.label,
        label_source=None if view.label is None else view.label.source,
    )


@router.post(
    "/payments/{payment_id}/label",
    response_model=LabelOut,
    status_code=201,
    summary="Label a screened payment with later evidence (scam or legitimate: chargeback, police report)",
)
async def label_payment(payment_id: str, body: LabelIn, bus: BusDep, actor: ActorDep) -> LabelOut:
    label = await bus.handle(LabelPayment(payment_id, body.label, body.source, body.note), actor)
    return LabelOut(
        payment_id=label.payment_id,
        label=label.label,
        source=label.source,
        at=label.at,
        by=label.by,
        note=label.note,
    )


@router.post(
    "/payments/{payment_id}/specialist",
    response_model=SpecialistOut,
    status_code=201,
    summary='The customer pressed "联系反诈专员": a live contact at the top of anti_fraud, on the case',
    description=(
        "Opens or joins the payer's case; a warned payment becomes held until the specialist decides. 201 "
        "with a new contact; 200 when the customer's earlier contact is still live (nothing new opened). 404 "
        "unknown payment; 409 when the payment was allowed or is already decided (cancelled, released, or "
        "blocked with its case resolved); integration role only."
    ),
)
async def talk_to_specialist(
    payment_id: str, body: SpecialistIn, bus: BusDep, actor: ActorDep, response: Response
) -> SpecialistOut:
    contact = await bus.handle(TalkToSpecialist(payment_id, body.channel), actor)
    if not contact.opened:
        response.status_code = 200
    return SpecialistOut(
        payment_id=contact.payment_id,
        status=contact.status,
        case_id=contact.case_id,
        case_ref=contact.case_ref,
        conversation_id=contact.conversation_id,
        channel=contact.channel,
    )
