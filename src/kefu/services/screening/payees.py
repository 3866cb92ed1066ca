"""Payees: user reports of scam accounts, and each customer's trusted payees (the screening allow lane)."""

from __future__ import annotations

from kefu.domain.cases import PayeeReported
from kefu.domain.errors import InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.payments import PayeeStanding, ReportPayee, SetTrustedPayees, TrustedPayee
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.screening.desk import ScreeningDesk

MAX_TRUSTED_PAYEES = 100


def _account(account_id: str, field: str = "account_id") -> str:
    cleaned = account_id.strip()
    if not cleaned or len(cleaned) > 64:
        raise InvalidInput(f"{field} must be 1 to 64 characters", field=field)
    return cleaned


async def report_payee(cmd: ReportPayee, ctx: Context, desk: ScreeningDesk) -> PayeeStanding:
    require(ctx.actor, "payees.report")
    account_id = _account(cmd.account_id)
    if not cmd.reason.strip():
        raise InvalidInput("reason must not be blank", field="reason")
    now = ctx.clock.now()
    async with ctx.uow:
        reports = await ctx.uow.fraud.add_report(
            new_id(), account_id, cmd.reason.strip(), ctx.actor.username, None, now
        )
        listed = await ctx.uow.fraud.is_watchlisted(account_id)
        await ctx.audit("payee.reported", "payee", account_id, reason=cmd.reason.strip(), reports=reports)
        ctx.uow.emit(PayeeReported(account_id, reports, listed, now))
        await ctx.uow.commit()
    await desk.counters.report_payee(account_id)
    return PayeeStanding(account_id, reports, listed)


async def set_trusted_payees(cmd: SetTrustedPayees, ctx: Context) -> list[TrustedPayee]:
    require(ctx.actor, "customers.write")
    if len(cmd.payees) > MAX_TRUSTED_PAYEES:
        raise InvalidInput(f"at most {MAX_TRUSTED_PAYEES} trusted payees", field="payees")
    payees: dict[str, TrustedPayee] = {}
    for i, p in enumerate(cmd.payees):
        account = _account(p.account_id, f"payees.{i}.account_id")
        payees[account] = TrustedPayee(account, p.name.strip()[:200])
    async with ctx.uow:
        if await ctx.uow.customers.get(cmd.customer_id) is None:
            raise NotFound("customer", cmd.customer_id)
        await ctx.uow.fraud.set_trusted_payees(cmd.customer_id, list(payees.values()))
        await ctx.audit("customer.trusted_payees_set", "customer", cmd.customer_id, payees=sorted(payees))
        await ctx.uow.commit()
    return sorted(payees.values(), key=lambda p: p.account_id)


async def trusted_payees(customer_id: str, ctx: Context) -> list[TrustedPayee]:
    require(ctx.actor, "customers.read")
    async with ctx.uow:
        if await ctx.uow.customers.get(customer_id) is None:
            raise NotFound("customer", customer_id)
        return await ctx.uow.fraud.trusted_payees(customer_id)
