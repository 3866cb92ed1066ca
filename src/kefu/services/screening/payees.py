"""Payees: user reports of scam accounts, the watchlist, and each customer's trusted payees (the allow lane).

A report counts once per reporter: the reporting customer when the customer's side names one, else the
signed-in user; a second report by the same reporter is kept (its reason is history) but changes no count.
The watchlist is managed by supervisors (add with a reason and a source, remove with a reason), besides
dissuaded cases, which put their payee on it. Trusted payees are set only by the customer's side, on the
customer's own request, recorded with the channel used; screening never lets a trusted payee override the
watchlist. Every change is audited.
"""

from __future__ import annotations

from kefu.domain.cases import PayeeReported
from kefu.domain.errors import AlreadyExists, InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.payments import (
    AddToWatchlist,
    PayeeStanding,
    PayeeWatchlistChanged,
    RemoveFromWatchlist,
    ReportPayee,
    SetTrustedPayees,
    TrustedPayee,
    WatchlistEntry,
)
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of
from kefu.services.screening.desk import ScreeningDesk

MAX_TRUSTED_PAYEES = 100
WATCHLIST_SOURCES = frozenset({"case", "report", "police", "bank", "manual"})


def _account(account_id: str, field: str = "account_id") -> str:
    cleaned = account_id.strip()
    if not cleaned or len(cleaned) > 64:
        raise InvalidInput(f"{field} must be 1 to 64 characters", field=field)
    return cleaned


def _reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned or len(cleaned) > 2000:
        raise InvalidInput("reason must be 1 to 2000 characters", field="reason")
    return cleaned


async def report_payee(cmd: ReportPayee, ctx: Context, desk: ScreeningDesk) -> PayeeStanding:
    require(ctx.actor, "payees.report")
    account_id = _account(cmd.account_id)
    reason = _reason(cmd.reason)
    reporter = f"customer:{cmd.customer_id}" if cmd.customer_id else f"user:{ctx.actor.username}"
    now = ctx.clock.now()
    async with ctx.uow:
        if cmd.customer_id and await ctx.uow.customers.get(cmd.customer_id) is None:
            raise NotFound("customer", cmd.customer_id)
        again = await ctx.uow.fraud.has_reported(account_id, reporter)
        reports = await ctx.uow.fraud.add_report(
            new_id(), account_id, reason, ctx.actor.username, None, now, reporter=reporter
        )
        listed = await ctx.uow.fraud.is_watchlisted(account_id)
        await ctx.audit(
            "payee.reported",
            "payee",
            account_id,
            reason=reason,
            reports=reports,
            reporter=reporter,
            counted=not again,
        )
        if not again:
            ctx.uow.emit(PayeeReported(account_id, reports, listed, now))
        await ctx.uow.commit()
    if not again:
        await desk.counters.report_payee(account_id)
    return PayeeStanding(account_id, reports, listed)


async def set_trusted_payees(cmd: SetTrustedPayees, ctx: Context) -> list[TrustedPayee]:
    require(ctx.actor, "payees.trust")
    if len(cmd.payees) > MAX_TRUSTED_PAYEES:
        raise InvalidInput(f"at most {MAX_TRUSTED_PAYEES} trusted payees", field="payees")
    payees: dict[str, TrustedPayee] = {}
    for i, p in enumerate(cmd.payees):
        account = _account(p.account_id, f"payees.{i}.account_id")
        payees[account] = TrustedPayee(account, p.name.strip()[:200])
    async with ctx.uow:
        if await ctx.uow.customers.get(cmd.customer_id) is None:
            raise NotFound("customer", cmd.customer_id)
        before = {p.account_id for p in await ctx.uow.fraud.trusted_payees(cmd.customer_id)}
        await ctx.uow.fraud.set_trusted_payees(cmd.customer_id, list(payees.values()), cmd.channel)
        await ctx.audit(
            "customer.trusted_payees_set",
            "customer",
            cmd.customer_id,
            payees=sorted(payees),
            added=sorted(set(payees) - before),
            removed=sorted(before - set(payees)),
            channel=cmd.channel,
        )
        await ctx.uow.commit()
    return sorted(payees.values(), key=lambda p: p.account_id)


async def trusted_payees(customer_id: str, ctx: Context) -> list[TrustedPayee]:
    require(ctx.actor, "customers.read")
    async with ctx.uow:
        if await ctx.uow.customers.get(customer_id) is None:
            raise NotFound("customer", customer_id)
        return await ctx.uow.fraud.trusted_payees(customer_id)


# -- the watchlist --------------------------------------------------------------------------------------


async def add_to_watchlist(cmd: AddToWatchlist, ctx: Context, desk: ScreeningDesk) -> WatchlistEntry:
    require(ctx.actor, "watchlist.manage")
    account_id = _account(cmd.account_id)
    reason = _reason(cmd.reason)
    if cmd.source not in WATCHLIST_SOURCES:
        raise InvalidInput(f"source must be one of {sorted(WATCHLIST_SOURCES)}", field="source")
    now = ctx.clock.now()
    async with ctx.uow:
        if await ctx.uow.fraud.is_watchlisted(account_id):
            raise AlreadyExists(f"payee {account_id!r} is on the watchlist already", field="account_id")
        await ctx.uow.fraud.watchlist(account_id, reason, None, now, source=cmd.source, by=ctx.actor.username)
        await ctx.audit("payee.watchlisted", "payee", account_id, reason=reason, source=cmd.source)
        ctx.uow.emit(PayeeWatchlistChanged(account_id, True, cmd.source, now))
        await ctx.uow.commit()
    await desk.counters.watchlist_payee(account_id, True)
    return WatchlistEntry(account_id, reason, cmd.source, None, ctx.actor.username, now)


async def remove_from_watchlist(cmd: RemoveFromWatchlist, ctx: Context, desk: ScreeningDesk) -> None:
    require(ctx.actor, "watchlist.manage")
    account_id = _account(cmd.account_id)
    reason = _reason(cmd.reason)
    now = ctx.clock.now()
    async with ctx.uow:
        entry = await ctx.uow.fraud.watchlist_entry(account_id)
        if entry is None or not await ctx.uow.fraud.unwatchlist(account_id):
            raise NotFound("watchlist entry", account_id)
        await ctx.audit("payee.unwatchlisted", "payee", account_id, reason=reason, was_source=entry.source)
        ctx.uow.emit(PayeeWatchlistChanged(account_id, False, entry.source, now))
        await ctx.uow.commit()
    await desk.counters.watchlist_payee(account_id, False)


async def watchlist_page(after: str | None, limit: int, ctx: Context) -> Page[WatchlistEntry]:
    require(ctx.actor, "watchlist.manage")
    async with ctx.uow:
        rows = await ctx.uow.fraud.watchlist_page(after, limit + 1)
    return page_of(rows, limit, key="account_id")
