"""Intervention cases: list, read (with the playbook and the episode's payments), contact attempts, resolve,
and a supervisor's decision on a release waiting for four eyes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kefu.domain.cases import Case, CaseStatus
from kefu.domain.customers import Customer
from kefu.domain.payments import DecideRelease, RecordContactAttempt, ResolveCase, ScreeningRecord
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.screening.schemas import (
    CaseDetailOut,
    CaseOut,
    ContactAttemptIn,
    ReleaseDecisionIn,
    ResolveCaseIn,
)
from kefu.entrypoints.api.shared.schemas import Page
from kefu.services.screening import cases as svc
from kefu.services.screening.screen import case_playbook

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


def _detail(case: Case, customer: Customer | None, payments: list[ScreeningRecord]) -> CaseDetailOut:
    fields: dict[str, Any] = {name: getattr(case, name) for name in Case.__dataclass_fields__}
    fields["playbook"] = case_playbook(case)
    fields["payments"] = [
        {name: getattr(p, name) for name in ScreeningRecord.__dataclass_fields__} for p in payments
    ]
    fields["payer"] = (
        None
        if customer is None
        else {
            "id": customer.id,
            "name": customer.name,
            "phone": customer.phone,
            "language": customer.language,
            "trusted_contact": None
            if customer.trusted_contact is None
            else {
                "name": customer.trusted_contact.name,
                "phone": customer.trusted_contact.phone,
                "relation": customer.trusted_contact.relation,
            },
        }
    )
    return CaseDetailOut.model_validate(fields)


@router.get("", response_model=Page[CaseOut], summary="List cases, oldest first")
async def list_cases(ctx: ContextDep, page: PageDep, status: CaseStatus | None = None) -> Page[CaseOut]:
    result = await svc.list_cases(page.after, page.limit, ctx, status=status)
    return Page[CaseOut](
        items=[CaseOut.model_validate(c) for c in result.items], next_cursor=result.next_cursor
    )


@router.get("/{case_id}", response_model=CaseDetailOut, summary="One case with its playbook and history")
async def get_case(case_id: str, ctx: ContextDep) -> CaseDetailOut:
    return _detail(*await svc.get_case(case_id, ctx))


@router.post(
    "/{case_id}/contact-attempts",
    response_model=CaseDetailOut,
    status_code=201,
    summary="Record a call to the payer; after a miss the next attempt is due after KEFU_RECONTACT_S",
)
async def contact_attempt(
    case_id: str, body: ContactAttemptIn, bus: BusDep, actor: ActorDep, ctx: ContextDep
) -> CaseDetailOut:
    await bus.handle(RecordContactAttempt(case_id, body.result, body.note), actor)
    return _detail(*await svc.get_case(case_id, ctx))


@router.post(
    "/{case_id}/resolve",
    response_model=CaseDetailOut,
    summary="Resolve: dissuaded, released or unreachable (the specialist working the case or a supervisor)",
    description=(
        "Only the specialist the case is offered or assigned to, or a supervisor, may resolve it (403). "
        "Releasing needs a reached contact attempt (409 contact_required) and a reason in note (422); at or "
        "above KEFU_RELEASE_REVIEW_AMOUNT the case becomes pending_approval until another supervisor decides."
    ),
)
async def resolve(
    case_id: str, body: ResolveCaseIn, bus: BusDep, actor: ActorDep, ctx: ContextDep
) -> CaseDetailOut:
    await bus.handle(ResolveCase(case_id, body.outcome, body.note), actor)
    return _detail(*await svc.get_case(case_id, ctx))


@router.post(
    "/{case_id}/release-decision",
    response_model=CaseDetailOut,
    summary="Four eyes: a supervisor other than the requester approves or refuses a pending release",
)
async def release_decision(
    case_id: str, body: ReleaseDecisionIn, bus: BusDep, actor: ActorDep, ctx: ContextDep
) -> CaseDetailOut:
    await bus.handle(DecideRelease(case_id, body.approve, body.note), actor)
    return _detail(*await svc.get_case(case_id, ctx))
