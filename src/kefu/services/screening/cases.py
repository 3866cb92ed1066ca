"""Intervention cases: contact attempts, resolution (by a specialist or by the hold policy), family alerts,
and reading cases with the phone numbers masked for agents."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import structlog

from kefu.domain.cases import (
    AlertKind,
    Case,
    CaseContactAttempted,
    CaseOpened,
    CaseOutcome,
    CaseResolved,
    CaseStatus,
    ContactAttempt,
    FamilyAlert,
    LedgerEntry,
    SettledBy,
)
from kefu.domain.commands import Command
from kefu.domain.customers import Customer
from kefu.domain.errors import Forbidden, IllegalTransition, NotFound
from kefu.domain.events import TaskAssigned
from kefu.domain.ids import new_id
from kefu.domain.payments import RecordContactAttempt, ResolveCase
from kefu.domain.privacy import mask_phone
from kefu.services.authz import allowed, require
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of
from kefu.services.ports import Notifier
from kefu.services.screening.desk import ScreeningDesk
from kefu.services.screening.gateway import end_hold
from kefu.services.shared.tasks import close_task, route_case

log = structlog.get_logger("kefu.cases")

_MISSES = frozenset({"no_answer", "rejected", "busy"})


async def _check_specialist(ctx: Context) -> None:
    """Cases are worked by agents with the anti-fraud skill, and by supervisors and admins."""
    if ctx.actor.role != "agent":
        return
    agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
    if agent is None or agent.skills.get("anti_fraud", 0) < 1:
        raise Forbidden("only agents with the anti_fraud skill work intervention cases")


async def _load(ctx: Context, case_id: str) -> Case:
    case = await ctx.uow.cases.get(case_id)
    if case is None:
        raise NotFound("case", case_id)
    return case


async def record_contact_attempt(cmd: RecordContactAttempt, ctx: Context) -> Case:
    require(ctx.actor, "cases.work")
    async with ctx.uow:
        await _check_specialist(ctx)
        case = await _load(ctx, cmd.case_id)
        now = ctx.clock.now()
        attempt = ContactAttempt(new_id(), case.id, cmd.result, now, ctx.actor.username, cmd.note)
        case.record_attempt(attempt, ctx.settings.recontact_s)
        if not await ctx.uow.cases.save_if(case, "open"):
            raise IllegalTransition("case", case.id, "resolved", "record a contact attempt on")
        await ctx.uow.cases.add_attempt(attempt)
        if cmd.result in _MISSES:
            # The specialist is free for other work; routing offers the case again when the next
            # attempt is due.
            await close_task(ctx, case.id, "recontact")
        await ctx.audit("case.contact_attempted", "case", case.id, result=cmd.result, note=cmd.note)
        ctx.uow.emit(CaseContactAttempted(case.id, cmd.result, case.next_contact_due_at, now))
        await ctx.uow.commit()
    return case


async def resolve_case(cmd: ResolveCase, ctx: Context, desk: ScreeningDesk) -> Case:
    require(ctx.actor, "cases.work")
    async with ctx.uow:
        await _check_specialist(ctx)
        case = await _load(ctx, cmd.case_id)
        await settle(ctx, case, cmd.outcome, cmd.note, "agent")
        await ctx.uow.commit()
    await after_settled(desk, case)
    return case


async def settle(ctx: Context, case: Case, outcome: CaseOutcome, note: str | None, by: SettledBy) -> None:
    """Resolve the case in the current transaction: the payment's fate, funds saved, payee reputation, the
    routing task, audit and the event. Raises ``IllegalTransition`` (409) if it is no longer open."""
    now = ctx.clock.now()
    case.resolve(outcome, now, ctx.actor.username, note, ctx.settings.hold_block_score, settled_by=by)
    if not await ctx.uow.cases.save_if(case, "open"):
        raise IllegalTransition("case", case.id, "resolved", "resolve")
    await end_hold(ctx, case)  # the held payment is cancelled or released; the gateway is told
    if outcome == "dissuaded":
        await ctx.uow.fraud.add_saving(
            LedgerEntry(
                new_id(),
                case.id,
                case.payment_id,
                case.customer_id,
                case.amount,
                case.currency,
                case.typology,
                now,
            )
        )
        reason = f"scam confirmed by dissuaded case {case.id}"
        await ctx.uow.fraud.add_report(new_id(), case.payee_account, reason, ctx.actor.username, case.id, now)
        await ctx.uow.fraud.watchlist(case.payee_account, reason, case.id, now)
        await ctx.audit("payee.watchlisted", "payee", case.payee_account[:64], case_id=case.id)
        await ctx.audit(
            "funds.saved",
            "case",
            case.id,
            amount=case.amount,
            currency=case.currency,
            payment_id=case.payment_id,
        )
    await close_task(ctx, case.id, "completed")
    await ctx.audit(
        "case.resolved",
        "case",
        case.id,
        outcome=outcome,
        payment=case.payment_outcome,
        settled_by=by,
        note=note,
    )
    ctx.uow.emit(CaseResolved(case.id, case.customer_id or "", outcome, case.amount, case.currency, now))


@dataclass(frozen=True, slots=True)
class SettleExpiredHold(Command[bool]):
    """A hold nobody resolved within ``KEFU_HOLD_S`` is settled by policy (outcome ``unreachable``)."""

    case_id: str


@dataclass(frozen=True, slots=True)
class RecontactCase(Command[bool]):
    """A case whose next contact attempt is due goes back to routing (at most once per due time)."""

    case_id: str


async def settle_expired_hold(cmd: SettleExpiredHold, ctx: Context, desk: ScreeningDesk) -> bool:
    """True when this call settled it; False when it was no longer open (another process was first)."""
    try:
        async with ctx.uow:
            case = await ctx.uow.cases.get(cmd.case_id, with_history=False)
            if case is None or case.status != "open":
                return False
            await settle(ctx, case, "unreachable", "hold expired without an outcome", "policy")
            await ctx.uow.commit()
    except IllegalTransition:
        return False
    await after_settled(desk, case)
    log.info("hold settled by policy", case_id=case.id, payment=case.payment_outcome)
    return True


async def recontact_case(cmd: RecontactCase, ctx: Context) -> bool:
    async with ctx.uow:
        case = await ctx.uow.cases.get(cmd.case_id, with_history=False)
        if case is None or case.next_contact_due_at is None:
            return False
        if not await ctx.uow.cases.claim_contact(case.id, case.next_contact_due_at):
            return False
        if await ctx.uow.tasks.open_for_subject(case.id) is None:
            customer = None if case.customer_id is None else await ctx.uow.customers.get(case.customer_id)
            care = case.elderly or (customer is not None and customer.vulnerable)
            await route_case(ctx, case, customer, care)
        await ctx.audit("case.recontact_due", "case", case.id)
        await ctx.uow.commit()
    return True


async def after_settled(desk: ScreeningDesk, case: Case) -> None:
    """After commit: a dissuaded case's payee scores higher at once in every screening process."""
    if case.outcome == "dissuaded":
        await desk.counters.report_payee(case.payee_account)
        await desk.counters.watchlist_payee(case.payee_account)


# -- reactions after commit ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssignCase(Command[None]):
    """The case's task was accepted: the case is now the specialist's (reaction to ``TaskAssigned``)."""

    case_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class SendFamilyAlert(Command[None]):
    """Alert an elderly payer's trusted contact once per case and kind, and record it on the case."""

    case_id: str
    kind: AlertKind


def on_case_opened(event: CaseOpened) -> SendFamilyAlert:
    return SendFamilyAlert(event.case_id, "case_opened")


def on_case_resolved(event: CaseResolved) -> SendFamilyAlert | None:
    return SendFamilyAlert(event.case_id, "case_dissuaded") if event.outcome == "dissuaded" else None


def on_task_assigned(event: TaskAssigned) -> AssignCase | None:
    return AssignCase(event.subject_id, event.agent_id) if event.kind == "case" else None


async def assign_case(cmd: AssignCase, ctx: Context) -> None:
    async with ctx.uow:
        case = await ctx.uow.cases.get(cmd.case_id, with_history=False)
        if case is None or case.status != "open":
            return
        case.agent_id = cmd.agent_id
        if await ctx.uow.cases.save_if(case, "open"):
            await ctx.audit("case.assigned", "case", case.id, agent_id=cmd.agent_id)
            await ctx.uow.commit()


def _alert_text(kind: AlertKind, customer: Customer, case: Case) -> tuple[str, str]:
    amount = f"{case.amount // 100:,}.{case.amount % 100:02d} {case.currency}"
    if kind == "case_opened":
        return (
            f"【kefu 反诈提醒】您的家人{customer.name}正在进行一笔 {amount} 的转账，"
            "疑似遭遇诈骗，款项已暂缓。请尽快与其联系，提醒其不要转账。",
            f"[kefu anti-scam] {customer.name} is about to send {amount} in what looks like a scam; "
            "the payment is on hold. Please contact them soon and ask them not to pay.",
        )
    return (
        f"【kefu 反诈提醒】您的家人{customer.name}的一笔 {amount} 疑似诈骗转账已成功拦截，资金安全。"
        "请多关心家人，提防再次被骗。",
        f"[kefu anti-scam] A payment of {amount} from {customer.name} to a suspected scammer was "
        "stopped; the money is safe. Please keep in touch: scammers often try again.",
    )


async def send_family_alert(cmd: SendFamilyAlert, ctx: Context, notifier: Notifier) -> None:
    """Alert the elderly payer's trusted contact, once per case and kind, and record it on the case.

    The notifier is called between two transactions: no database transaction waits on the network."""
    case_id, kind = cmd.case_id, cmd.kind
    async with ctx.uow:
        case = await ctx.uow.cases.get(case_id)
        if case is None or not case.elderly or case.customer_id is None:
            return
        if any(a.kind == kind for a in case.alerts):
            return
        customer = await ctx.uow.customers.get(case.customer_id)
    if customer is None or customer.trusted_contact is None:
        return
    contact = customer.trusted_contact
    text_zh, text_en = _alert_text(kind, customer, case)
    alert = FamilyAlert(
        new_id(), case.id, kind, contact.name, contact.phone, text_zh, text_en, ctx.clock.now(), True
    )
    try:
        await notifier.send(alert)
    except Exception as exc:
        log.warning("family alert failed", case_id=case.id, kind=kind, error=str(exc) or type(exc).__name__)
        alert = dataclasses.replace(alert, delivered=False, error=(str(exc) or type(exc).__name__)[:500])
    async with ctx.uow:
        await ctx.uow.cases.add_alert(alert)
        await ctx.audit("case.family_alerted", "case", case.id, kind=kind, delivered=alert.delivered)
        await ctx.uow.commit()


# -- reading ------------------------------------------------------------------------------------------------


def present_case(case: Case, ctx: Context) -> Case:
    """The case as this actor may see it: agents get the family contact's phone masked."""
    if allowed(ctx.actor, "customers.read_unmasked"):
        return case
    shown = dataclasses.replace(case)
    shown.alerts = [
        dataclasses.replace(a, contact_phone=mask_phone(a.contact_phone) or "") for a in case.alerts
    ]
    return shown


async def get_case(case_id: str, ctx: Context) -> tuple[Case, Customer | None]:
    require(ctx.actor, "cases.read")
    async with ctx.uow:
        await _check_specialist(ctx)
        case = await _load(ctx, case_id)
        customer = None if case.customer_id is None else await ctx.uow.customers.get(case.customer_id)
    if customer is not None and not allowed(ctx.actor, "customers.read_unmasked"):
        contact = customer.trusted_contact
        if contact is not None:
            contact = dataclasses.replace(contact, phone=mask_phone(contact.phone) or "")
        customer = dataclasses.replace(customer, phone=mask_phone(customer.phone), trusted_contact=contact)
    return present_case(case, ctx), customer


async def list_cases(
    after: str | None, limit: int, ctx: Context, status: CaseStatus | None = None
) -> Page[Case]:
    require(ctx.actor, "cases.read")
    async with ctx.uow:
        await _check_specialist(ctx)
        rows = await ctx.uow.cases.page(after, limit + 1, status=status)
    return page_of(rows, limit)
