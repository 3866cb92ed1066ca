"""Intervention cases: contact attempts, resolution (by the specialist working the case, by a supervisor's
approval, or by the hold policy), family alerts, and reading cases with the phone numbers masked for agents.

Case actions go through the one permission table: supervisors and admins hold ``cases.work`` over every
case, an agent only over the case offered or assigned to them (``authz.OWN``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta

import structlog

from kefu.domain.cases import (
    AlertKind,
    Case,
    CaseContactAttempted,
    CaseOutcome,
    CaseReleaseRequested,
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
from kefu.domain.payments import (
    DecideRelease,
    PaymentStatus,
    RecordContactAttempt,
    ResolveCase,
    ScreeningRecord,
)
from kefu.domain.privacy import mask_phone
from kefu.services.authz import Permission, allowed, owned_only, require
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of
from kefu.services.ports import Notifier
from kefu.services.screening.desk import ScreeningDesk
from kefu.services.screening.gateway import change_status
from kefu.services.screening.labels import label_case
from kefu.services.shared.bases import check_work_base
from kefu.services.shared.tasks import close_task, route_case
from kefu.services.shared.users import bases_of

log = structlog.get_logger("kefu.cases")

_MISSES = frozenset({"no_answer", "rejected", "busy"})


async def _check_specialist(ctx: Context) -> None:
    """Cases are read by agents with the anti-fraud skill, and by supervisors and admins."""
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


async def works_on(ctx: Context, case: Case) -> bool:
    """Whether the acting agent is the specialist working this case: assigned to them, or offered to them
    right now."""
    agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
    if agent is None:
        return False
    if case.agent_id == agent.id:
        return True
    task = await ctx.uow.tasks.open_for_subject(case.id)
    if task is None:
        return False
    return any(o.task_id == task.id for o in await ctx.uow.offers.pending(agent.id))


def may_work_cases(ctx: Context) -> None:
    """A role with no share of ``cases.work`` (not even over its own work) is refused before any read."""
    if not owned_only(ctx.actor, "cases.work"):
        require(ctx.actor, "cases.work")


async def require_work(ctx: Context, case: Case) -> None:
    """``cases.work`` from the permission table, with ownership for roles that hold it over their own work
    and bases for supervisors given bases."""
    owns = owned_only(ctx.actor, "cases.work") and await works_on(ctx, case)
    require(ctx.actor, "cases.work", owns=owns)
    await check_case_base(ctx, "cases.work", case)


async def check_case_base(ctx: Context, permission: Permission, case: Case) -> None:
    """A case belongs to its specialist's base, or to its payer's home base until it is assigned."""
    await check_work_base(ctx, permission, "case", case.agent_id, case.customer_id)


async def record_contact_attempt(cmd: RecordContactAttempt, ctx: Context) -> Case:
    may_work_cases(ctx)
    async with ctx.uow:
        case = await _load(ctx, cmd.case_id)
        await require_work(ctx, case)
        now = ctx.clock.now()
        attempt = ContactAttempt(new_id(), case.id, cmd.result, now, ctx.actor.username, cmd.note)
        status = case.status
        if status == "resolved":
            raise IllegalTransition("case", case.id, status, "record a contact attempt on")
        case.record_attempt(attempt, ctx.settings.recontact_s)
        if not await ctx.uow.cases.save_if(case, status):
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
    """The specialist working the case (or a supervisor) resolves it. A release needs a reached contact and
    a reason; at or above ``KEFU_RELEASE_REVIEW_AMOUNT`` it becomes a request a supervisor approves."""
    may_work_cases(ctx)
    async with ctx.uow:
        case = await _load(ctx, cmd.case_id)
        await require_work(ctx, case)
        if cmd.outcome == "released" and _needs_review(ctx, case):
            await _request_release(ctx, case, cmd.note)
            await ctx.uow.commit()
            return case
        records = await settle(ctx, desk, case, cmd.outcome, cmd.note, "agent")
        await ctx.uow.commit()
    await after_settled(desk, case, records)
    return case


def _needs_review(ctx: Context, case: Case) -> bool:
    """Four eyes where money would move: a decide case (its held payments) at or above the review amount.
    Releasing a protect or report case lets no payment through."""
    return case.kind == "decide" and case.amount >= ctx.settings.release_review_amount


async def _request_release(ctx: Context, case: Case, reason: str | None) -> None:
    case.request_release(ctx.actor.username, (reason or "").strip())
    if not await ctx.uow.cases.save_if(case, "open"):
        raise IllegalTransition("case", case.id, "resolved", "release")
    now = ctx.clock.now()
    await ctx.audit(
        "case.release_requested",
        "case",
        case.id,
        reason=case.release_reason,
        amount=case.amount,
        currency=case.currency,
    )
    ctx.uow.emit(CaseReleaseRequested(case.id, ctx.actor.username, case.amount, case.currency, now))


async def decide_release(cmd: DecideRelease, ctx: Context, desk: ScreeningDesk) -> Case:
    """Four eyes: a supervisor other than the one who asked approves (the case is released) or refuses (the
    case is open again) a pending release; both are audited."""
    require(ctx.actor, "cases.approve_release")
    records: list[ScreeningRecord] = []
    async with ctx.uow:
        case = await _load(ctx, cmd.case_id)
        await check_case_base(ctx, "cases.approve_release", case)
        if case.status != "pending_approval":
            raise IllegalTransition("case", case.id, case.status, "decide a release of")
        if case.release_requested_by == ctx.actor.username:
            raise Forbidden("four eyes: another supervisor must approve a release you asked for")
        if cmd.approve:
            await ctx.audit("case.release_approved", "case", case.id, note=cmd.note)
            records = await settle(ctx, desk, case, "released", case.release_reason, "agent", approved=True)
        else:
            case.refuse_release()
            if not await ctx.uow.cases.save_if(case, "pending_approval"):
                raise IllegalTransition("case", case.id, "resolved", "refuse the release of")
            await ctx.audit("case.release_refused", "case", case.id, note=cmd.note)
        await ctx.uow.commit()
    if cmd.approve:
        await after_settled(desk, case, records)
    return case


async def settle(
    ctx: Context,
    desk: ScreeningDesk,
    case: Case,
    outcome: CaseOutcome,
    note: str | None,
    by: SettledBy,
    approved: bool = False,
) -> list[ScreeningRecord]:
    """Resolve the case in the current transaction: the fate of each of its held payments, funds saved,
    payee reputation, the routing task, audit and the event. Raises ``IllegalTransition`` (409) if it is
    no longer open. Returns the case's payments with their new status."""
    now = ctx.clock.now()
    status: CaseStatus = case.status
    active = await desk.active_rules(ctx.uow, ctx.settings)
    keep_stopped = case.score >= ctx.settings.hold_block_score or active.rule_set.protect.keeps_stopped(
        case.typology, case.reason_codes
    )
    case.resolve(outcome, now, ctx.actor.username, note, keep_stopped, settled_by=by, approved=approved)
    if not await ctx.uow.cases.save_if(case, status):
        raise IllegalTransition("case", case.id, "resolved", "resolve")
    records = await ctx.uow.screenings.for_case(case.id)
    held_become: PaymentStatus = (
        "cancelled"
        if outcome == "dissuaded"
        else "blocked"
        if case.payment_outcome == "blocked"
        else "released"
    )
    for record in records:
        if record.status == "held":
            # Each held payment ends; the change is announced to the gateway (event and webhook).
            await change_status(ctx, record, held_become, now)
    saved = await _dissuaded(ctx, case, records) if outcome == "dissuaded" else 0
    await label_case(ctx, case, records)
    await close_task(ctx, case.id, "completed")
    await ctx.audit(
        "case.resolved",
        "case",
        case.id,
        outcome=outcome,
        payment=case.payment_outcome,
        payments={r.payment_id: r.status for r in records},
        settled_by=by,
        saved=saved,
        note=note,
    )
    ctx.uow.emit(
        CaseResolved(
            case.id,
            case.customer_id or "",
            outcome,
            case.amount,
            case.currency,
            now,
            payment_ids=tuple(r.payment_id for r in records),
            payment_outcome=case.payment_outcome,
            saved=saved,
        )
    )
    return records


async def _dissuaded(ctx: Context, case: Case, records: list[ScreeningRecord]) -> int:
    """Funds saved (every stopped payment of the case, in its currency) and every payee watchlisted;
    returns the amount saved."""
    at = case.resolved_at
    assert at is not None  # noqa: S101 - set by resolve()
    saved = sum(r.amount for r in records if r.currency == case.currency)
    if saved > 0:
        await ctx.uow.fraud.add_saving(
            LedgerEntry(
                new_id(),
                case.id,
                case.payment_id or "",
                case.customer_id,
                saved,
                case.currency,
                case.typology,
                at,
            )
        )
        await ctx.audit(
            "funds.saved",
            "case",
            case.id,
            amount=saved,
            currency=case.currency,
            payment_ids=[r.payment_id for r in records],
        )
    reason = f"scam confirmed by dissuaded case {case.id}"
    for account in sorted({r.payee_account for r in records}):
        await ctx.uow.fraud.add_report(new_id(), account, reason, ctx.actor.username, case.id, at)
        await ctx.uow.fraud.watchlist(account, reason, case.id, at)
        await ctx.audit("payee.watchlisted", "payee", account[:64], case_id=case.id)
    return saved


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
            case = await ctx.uow.cases.get(cmd.case_id)
            if case is None or case.status == "resolved":
                return False
            records = await settle(
                ctx, desk, case, "unreachable", "hold expired without an outcome", "policy"
            )
            await ctx.uow.commit()
    except IllegalTransition:
        return False
    await after_settled(desk, case, records)
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


async def after_settled(desk: ScreeningDesk, case: Case, records: list[ScreeningRecord]) -> None:
    """After commit: a dissuaded case's payees score higher at once in every screening process; a released
    case no longer counts as a stop against its payer (the next honest payment is not held for it)."""
    if case.outcome == "dissuaded":
        for account in sorted({r.payee_account for r in records}):
            await desk.counters.report_payee(account)
            await desk.counters.watchlist_payee(account)
    if case.outcome == "released" or case.payment_outcome == "released":
        for record in records:
            await desk.counters.clear_stopped(record.payer_id, record.payment_id)


# -- reactions after commit ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssignCase(Command[None]):
    """The case's task was accepted: the case is now the specialist's (reaction to ``TaskAssigned``)."""

    case_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class SendFamilyAlert(Command[None]):
    """Alert an elderly or vulnerable payer's trusted contact once per case and kind, when an outcome calls
    for it (dissuaded, unreachable, all clear after an earlier alert), and record it on the case."""

    case_id: str
    kind: AlertKind


@dataclass(frozen=True, slots=True)
class RetryFamilyAlert(Command[bool]):
    """Send a failed family alert again (the hold keeper issues it when its retry is due)."""

    alert_id: str


def on_case_contact_attempted(event: CaseContactAttempted) -> SendFamilyAlert | None:
    return SendFamilyAlert(event.case_id, "unreachable") if event.result in _MISSES else None


def on_case_resolved(event: CaseResolved) -> SendFamilyAlert | None:
    if event.outcome == "dissuaded":
        return SendFamilyAlert(event.case_id, "case_dissuaded")
    if event.outcome == "unreachable":
        return SendFamilyAlert(event.case_id, "unreachable")
    return SendFamilyAlert(event.case_id, "all_clear")


@dataclass(frozen=True, slots=True)
class AssignReportCase(Command[None]):
    """A conversation was accepted: if it is a report case's, the case is now the specialist's too."""

    conversation_id: str
    agent_id: str


def on_task_assigned(event: TaskAssigned) -> AssignCase | AssignReportCase | None:
    if event.kind == "case":
        return AssignCase(event.subject_id, event.agent_id)
    if event.kind == "conversation":
        return AssignReportCase(event.subject_id, event.agent_id)
    return None


async def assign_case(cmd: AssignCase, ctx: Context) -> None:
    async with ctx.uow:
        case = await ctx.uow.cases.get(cmd.case_id, with_history=False)
        if case is None or case.status != "open":
            return
        case.agent_id = cmd.agent_id
        if await ctx.uow.cases.save_if(case, "open"):
            await ctx.audit("case.assigned", "case", case.id, agent_id=cmd.agent_id)
            await ctx.uow.commit()


async def assign_report_case(cmd: AssignReportCase, ctx: Context) -> None:
    """The specialist who took a report case's conversation works the case (nothing for other
    conversations)."""
    async with ctx.uow:
        case = await ctx.uow.cases.for_conversation(cmd.conversation_id)
        if case is None or case.status != "open" or case.agent_id == cmd.agent_id:
            return
        case.agent_id = cmd.agent_id
        if await ctx.uow.cases.save_if(case, "open"):
            await ctx.audit("case.assigned", "case", case.id, agent_id=cmd.agent_id)
            await ctx.uow.commit()


def _money(case: Case) -> str:
    return f"{case.amount // 100:,}.{case.amount % 100:02d} {case.currency}"


def _alert_text(kind: AlertKind, customer: Customer, case: Case) -> tuple[str, str]:
    amount = _money(case)
    if kind == "unreachable":
        return (
            f"【kefu 反诈提醒】您的家人{customer.name}的一笔 {amount} 转账疑似遭遇诈骗，已被暂停，"
            "但我们暂时联系不上本人。请尽快与其联系，提醒其不要转账，也不要相信任何“安全账户”。",
            f"[kefu anti-scam] A payment of {amount} from {customer.name} looks like a scam and was "
            "stopped, but we cannot reach them. Please contact them soon and ask them not to pay.",
        )
    if kind == "all_clear":
        return (
            f"【kefu 反诈提醒】关于您的家人{customer.name}的转账：我们已与本人核实，确认不是诈骗，"
            "款项已放行。此前的提醒可以解除，感谢您的关心。",
            f"[kefu anti-scam] About {customer.name}'s payment: we spoke with them and it is not a "
            "scam; the payment was released. The earlier alert is over. Thank you for your care.",
        )
    return (
        f"【kefu 反诈提醒】您的家人{customer.name}的一笔 {amount} 疑似诈骗转账已成功拦截，资金安全。"
        "请多关心家人，提防再次被骗。",
        f"[kefu anti-scam] A payment of {amount} from {customer.name} to a suspected scammer was "
        "stopped; the money is safe. Please keep in touch: scammers often try again.",
    )


def _alert_due(kind: AlertKind, case: Case, misses_before_alert: int) -> bool:
    """Whether this kind of alert is called for now: alerts follow an outcome, never the opening."""
    sent = {a.kind for a in case.alerts}
    if kind in sent:
        return False
    if kind == "case_dissuaded":
        return case.outcome == "dissuaded"
    if kind == "unreachable":
        return case.outcome == "unreachable" or (
            case.status == "open" and case.misses() >= misses_before_alert
        )
    if kind == "all_clear":
        return case.outcome == "released" and bool(sent - {"all_clear"})
    return False


async def send_family_alert(cmd: SendFamilyAlert, ctx: Context, notifier: Notifier) -> None:
    """Alert the payer's trusted contact, once per case and kind, in the contact's language, and record
    it on the case: ``delivered`` only when a channel acknowledged it; a failure is retried later.

    The notifier is called between two transactions: no database transaction waits on the network."""
    case_id, kind = cmd.case_id, cmd.kind
    async with ctx.uow:
        case = await ctx.uow.cases.get(case_id)
        if case is None or case.customer_id is None:
            return
        if not _alert_due(kind, case, ctx.settings.family_alert_after_misses):
            return
        customer = await ctx.uow.customers.get(case.customer_id)
    if customer is None or customer.trusted_contact is None:
        return
    if not (case.elderly or customer.vulnerable):
        return
    contact = customer.trusted_contact
    text_zh, text_en = _alert_text(kind, customer, case)
    language = contact.language or customer.language
    alert = FamilyAlert(
        new_id(),
        case.id,
        kind,
        contact.name,
        contact.phone,
        text_zh,
        text_en,
        ctx.clock.now(),
        False,
        language=language,
    )
    alert = await _deliver(ctx, notifier, alert)
    async with ctx.uow:
        await ctx.uow.cases.add_alert(alert)
        await ctx.audit(
            "case.family_alerted", "case", case.id, kind=kind, delivered=alert.delivered, error=alert.error
        )
        await ctx.uow.commit()


async def _deliver(ctx: Context, notifier: Notifier, alert: FamilyAlert) -> FamilyAlert:
    """Send once; a failure gets a retry time (doubling) until ``KEFU_ALERT_MAX_ATTEMPTS``."""
    try:
        acknowledged = await notifier.send(alert)
    except Exception as exc:
        error = (str(exc) or type(exc).__name__)[:500]
        log.warning("family alert failed", case_id=alert.case_id, kind=alert.kind, error=error)
        retry_at = None
        if alert.attempts < ctx.settings.alert_max_attempts:
            wait = ctx.settings.alert_retry_s * 2 ** (alert.attempts - 1)
            retry_at = ctx.clock.now() + timedelta(seconds=wait)
        return dataclasses.replace(alert, delivered=False, error=error, retry_at=retry_at)
    return dataclasses.replace(alert, delivered=acknowledged, error=None, retry_at=None)


async def retry_family_alert(cmd: RetryFamilyAlert, ctx: Context, notifier: Notifier) -> bool:
    """True when this call sent it again (delivered or failed again); False when it was not due."""
    async with ctx.uow:
        alert = await ctx.uow.cases.alert(cmd.alert_id)
        now = ctx.clock.now()
        if alert is None or alert.retry_at is None or alert.retry_at > now:
            return False
        # Claim it: another keeper seeing the same due alert finds it no longer due.
        if not await ctx.uow.cases.claim_alert(alert.id, alert.retry_at):
            return False
        await ctx.uow.commit()
    again = await _deliver(ctx, notifier, dataclasses.replace(alert, attempts=alert.attempts + 1, at=now))
    async with ctx.uow:
        await ctx.uow.cases.save_alert(again)
        await ctx.audit(
            "case.family_alerted",
            "case",
            again.case_id,
            kind=again.kind,
            delivered=again.delivered,
            error=again.error,
            attempt=again.attempts,
        )
        await ctx.uow.commit()
    return True


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


async def get_case(case_id: str, ctx: Context) -> tuple[Case, Customer | None, list[ScreeningRecord]]:
    """The case, its payer and its payments (the episode, each with its own status)."""
    require(ctx.actor, "cases.read")
    async with ctx.uow:
        await _check_specialist(ctx)
        case = await _load(ctx, case_id)
        await check_case_base(ctx, "cases.read", case)
        customer = None if case.customer_id is None else await ctx.uow.customers.get(case.customer_id)
        payments = await ctx.uow.screenings.for_case(case.id)
    if customer is not None and not allowed(ctx.actor, "customers.read_unmasked"):
        contact = customer.trusted_contact
        if contact is not None:
            contact = dataclasses.replace(contact, phone=mask_phone(contact.phone) or "")
        customer = dataclasses.replace(customer, phone=mask_phone(customer.phone), trusted_contact=contact)
    return present_case(case, ctx), customer, payments


async def list_cases(
    after: str | None, limit: int, ctx: Context, status: CaseStatus | None = None
) -> Page[Case]:
    require(ctx.actor, "cases.read")
    async with ctx.uow:
        await _check_specialist(ctx)
        bases = await bases_of(ctx, "cases.read")
        rows = await ctx.uow.cases.page(after, limit + 1, status=status, bases=bases)
    return page_of(rows, limit)
