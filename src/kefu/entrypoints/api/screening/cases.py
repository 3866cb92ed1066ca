"""Intervention cases: list, read (with the playbook), contact attempts, resolve."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kefu.domain.cases import Case, CaseStatus
from kefu.domain.customers import Customer
from kefu.domain.payments import RecordContactAttempt, ResolveCase
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.screening.schemas import (
    CaseDetailOut,
    CaseOut,
    ContactAttemptIn,
    ResolveCaseIn,
)
from kefu.entrypoints.api.shared.schemas import Page
from kefu.services.screening import cases as svc
from kefu.services.screening.screen import case_playbook

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


def _detail(case: Case, customer: Customer | None) -> CaseDetailOut:
    fields: dict[str, Any] = {name: getattr(case, name) for name in Case.__dataclass_fields__}
    fields["playbook"] = case_playbook(case)
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
    case, customer = await svc.get_case(case_id, ctx)
    return _detail(case, customer)


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
    case, customer = await svc.get_case(case_id, ctx)
    return _detail(case, customer)


@router.post(
    "/{case_id}/resolve", response_model=CaseDetailOut, summary="Resolve: dissuaded, released or unreachable"
)
async def resolve(
    case_id: str, body: ResolveCaseIn, bus: BusDep, actor: ActorDep, ctx: ContextDep
) -> CaseDetailOut:
    await bus.handle(ResolveCase(case_id, body.outcome, body.note), actor)
    case, customer = await svc.get_case(case_id, ctx)
    return _detail(case, customer)
