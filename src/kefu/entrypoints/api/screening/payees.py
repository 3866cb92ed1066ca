"""Payees in screening: reports of scam accounts (the watchlist) and each customer's trusted payees."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.domain.payments import ReportPayee, SetTrustedPayees, TrustedPayee
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep
from kefu.entrypoints.api.screening.schemas import (
    PayeeReportIn,
    PayeeStandingOut,
    TrustedPayeeOut,
    TrustedPayeesIn,
    TrustedPayeesOut,
)
from kefu.services.screening import payees as svc

router = APIRouter(prefix="/api/v1", tags=["screening"])


@router.post(
    "/reports/payees", response_model=PayeeStandingOut, status_code=201, summary="Report a scam account"
)
async def report_payee(body: PayeeReportIn, bus: BusDep, actor: ActorDep) -> PayeeStandingOut:
    standing = await bus.handle(ReportPayee(body.account_id, body.reason, body.customer_id), actor)
    return PayeeStandingOut.model_validate(standing)


@router.get(
    "/customers/{customer_id}/trusted-payees",
    response_model=TrustedPayeesOut,
    summary="A customer's trusted payees (always allowed by screening)",
)
async def get_trusted_payees(customer_id: str, ctx: ContextDep) -> TrustedPayeesOut:
    payees = await svc.trusted_payees(customer_id, ctx)
    return TrustedPayeesOut(
        customer_id=customer_id, payees=[TrustedPayeeOut.model_validate(p) for p in payees]
    )


@router.put(
    "/customers/{customer_id}/trusted-payees",
    response_model=TrustedPayeesOut,
    summary="Replace a customer's trusted payees (the customer's side, on the customer's request)",
)
async def put_trusted_payees(
    customer_id: str, body: TrustedPayeesIn, bus: BusDep, actor: ActorDep
) -> TrustedPayeesOut:
    cmd = SetTrustedPayees(
        customer_id, tuple(TrustedPayee(p.account_id, p.name) for p in body.payees), body.channel
    )
    payees = await bus.handle(cmd, actor)
    return TrustedPayeesOut(
        customer_id=customer_id, payees=[TrustedPayeeOut.model_validate(p) for p in payees]
    )
