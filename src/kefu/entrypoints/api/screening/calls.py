"""A specialist who can call: reveal a full number on a case (audited) and place a call through the dialer."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.domain.payments import CallCaseContact, RevealCaseContact
from kefu.entrypoints.api.deps import ActorDep, BusDep
from kefu.entrypoints.api.screening.schemas import CallIn, CallOut, RevealIn, RevealOut

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


@router.post(
    "/{case_id}/reveal",
    response_model=RevealOut,
    summary="The payer's or trusted contact's full number (the specialist working the case, supervisors)",
)
async def reveal(case_id: str, body: RevealIn, bus: BusDep, actor: ActorDep) -> RevealOut:
    shown = await bus.handle(RevealCaseContact(case_id, body.field), actor)
    return RevealOut(case_id=shown.case_id, field=shown.field, name=shown.name, phone=shown.phone)


@router.post(
    "/{case_id}/call",
    response_model=CallOut,
    summary="Call the payer or trusted contact: a tel: link, or click-to-call via the telephony platform",
)
async def call(case_id: str, body: CallIn, bus: BusDep, actor: ActorDep) -> CallOut:
    placed = await bus.handle(CallCaseContact(case_id, body.target, body.extension), actor)
    return CallOut(
        case_id=placed.case_id,
        target=placed.target,
        number=placed.number,
        placed=placed.placed,
        link=placed.link,
        reference=placed.reference,
        error=placed.error,
    )
