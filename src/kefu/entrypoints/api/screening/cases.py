"""Intervention cases: list, read (with the playbook and the episode's payments), contact attempts, resolve,
and a supervisor's decision on a release waiting for four eyes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kefu.domain.cases import Case, CaseStatus
from kefu.domain.customers import Customer
from kefu.domain.payments import (
    DecideRelease,
    RecordContactAttempt,
    RescreenCase,
    RescreenSignals,
    ResolveCase,
    ScreeningRecord,
)
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.screening.schemas import (
    CaseDetailOut,
    CaseOut,
    ContactAttemptIn,
    ReleaseDecisionIn,
    RescreenIn,
    ResolveCaseIn,
)
from kefu.entrypoints.api.shared.schemas import Page
from kefu.screening.counters import CounterFeatures
from kefu.services.screening import cases as svc
from kefu.services.screening.screen import case_playbook

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


# The position of payee_age_s in the kept counters (kefu.screening.counters.CounterFeatures).
_PAYEE_AGE = CounterFeatures._fields.index("payee_age_s")


def _payment(record: ScreeningRecord) -> dict[str, Any]:
    """One payment of the episode with the decision inputs a specialist needs, read from the kept request."""
    out: dict[str, Any] = {name: getattr(record, name) for name in ScreeningRecord.__dataclass_fields__}
    kept = record.request or {}
    payment = kept.get("payment") or {}
    payee = payment.get("payee") or {}
    counters = kept.get("counters") or []
    out.update(
        paid_at=payment.get("created_at") or record.paid_at,
        channel=payment.get("channel"),
        memo=payment.get("memo"),
        payee_name=payee.get("name"),
        payee_kind=payee.get("kind"),
        payee_age_s=int(counters[_PAYEE_AGE]) if len(counters) > _PAYEE_AGE else None,
        device=payment.get("device"),
    )
    return out


def _detail(case: Case, customer: Customer | None, payments: list[ScreeningRecord]) -> CaseDetailOut:
    fields: dict[str, Any] = {name: getattr(case, name) for name in Case.__dataclass_fields__}
    fields["playbook"] = case_playbook(case)
    fields["payments"] = [_payment(p) for p in payments]
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


@router.post(
    "/{case_id}/rescreen",
    response_model=CaseDetailOut,
    summary="Score the case's payments again with the rules in force and what the call revealed",
    description=(
        "The specialist working the case or a supervisor (403 otherwise). Signals are what screening "
        "understands: device signals and typologies. The result is recorded on the case (`rescreen`) and "
        "audited; a higher score raises the case's score, but no payment changes status. 409 on a resolved "
        "case or one without payments to score."
    ),
)
async def rescreen(
    case_id: str, body: RescreenIn, bus: BusDep, actor: ActorDep, ctx: ContextDep
) -> CaseDetailOut:
    signals = RescreenSignals(
        remote_access_app=body.signals.remote_access_app,
        on_call=body.signals.on_call,
        screen_sharing=body.signals.screen_sharing,
        typologies=tuple(body.signals.typologies),
    )
    await bus.handle(RescreenCase(case_id, signals, body.note), actor)
    return _detail(*await svc.get_case(case_id, ctx))
