"""Talk to a specialist, mid-payment, and re-screen with what the call revealed.

A customer shown a warning or a hold in the app presses "联系反诈专员"; the payments side passes it on
(``TalkToSpecialist``). In one transaction the payment's case is opened or joined (a warned payment with no
case gets one, or joins the payer's open case; a held or blocked payment's own case is used), a *warned*
payment becomes ``held`` (it waits for the specialist's outcome, and the gateway is told), and the
customer's live contact — a conversation on the channel they chose — is attached to the case and put at the
top of the anti-fraud queue (``LIVE_PRIORITY``), replacing the case's own outbound call while nobody has
taken it. The specialist who accepts the conversation works the case (``AssignReportCase``); if a
specialist is already working the case, the conversation goes straight to them. Pressing again while that
contact is live opens nothing new.

What is there to talk about: an ``allowed`` payment went through with nothing flagged (a customer who
suspects a scam after paying reports it in a conversation: a report case), and a payment whose case has
ended (``cancelled``, ``released``, or ``blocked`` with its case resolved) is decided; both are a 409.

``RescreenCase``: the specialist working the case (or a supervisor) scores the case's payments again with
the rules in force, the payment's stored features and what they learned on the call (device signals,
typologies). The result is recorded on the case and audited; it may raise the case's score (its priority and
what the hold policy weighs) but never moves money: the outcome still decides.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from kefu.domain import events
from kefu.domain.cases import (
    CASE_BUSINESS_LINE,
    CASE_QUEUE,
    LIVE_PRIORITY,
    Case,
    CasePaymentJoined,
    CaseRescreened,
    CaseSpecialistRequested,
)
from kefu.domain.conversations import Conversation, initial_priority
from kefu.domain.customers import Customer
from kefu.domain.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.payments import (
    RescreenCase,
    RescreenSignals,
    ScreeningRecord,
    SpecialistChannel,
    SpecialistContact,
    TalkToSpecialist,
    case_reference,
)
from kefu.screening import (
    TYPOLOGIES,
    CounterFeatures,
    Decision,
    FeatureBuilder,
    MemoLexicon,
    PayerProfile,
    Payment,
    screen,
)
from kefu.screening.commands import ActiveRuleSet
from kefu.services.authz import allowed, require_some
from kefu.services.context import Context
from kefu.services.screening.cases import may_work_cases, require_work
from kefu.services.screening.desk import ScreeningDesk
from kefu.services.screening.gateway import change_status
from kefu.services.screening.screen import open_case, open_case_of, payer_profile
from kefu.services.shared.intake import add_conversation
from kefu.services.shared.tasks import close_task, open_task

_LIVE = frozenset({"queued", "assigned", "self_service"})  # a conversation the customer is still in
_DECIDED = frozenset({"cancelled", "released"})
MAX_NOTE = 2000


async def talk_to_specialist(cmd: TalkToSpecialist, ctx: Context) -> SpecialistContact:
    require_some(ctx.actor, "payments.specialist")
    try:
        async with ctx.uow:
            contact = await _attach(cmd, ctx)
            if contact.opened:
                await ctx.uow.commit()
    except IllegalTransition:
        raise
    except Conflict:
        # A press at the same moment attached its contact first (or opened the case): answer with it.
        async with ctx.uow:
            contact = await _attach(cmd, ctx)
            if contact.opened:
                await ctx.uow.commit()
    return contact


async def _attach(cmd: TalkToSpecialist, ctx: Context) -> SpecialistContact:
    """Everything of a press in the caller's transaction; ``opened`` False when nothing was written."""
    record = await ctx.uow.screenings.get(cmd.payment_id)
    if record is None or not allowed(
        ctx.actor, "payments.specialist", owns=record.screened_for(ctx.actor.user_id)
    ):
        raise NotFound("payment", cmd.payment_id)
    case = None if record.case_id is None else await ctx.uow.cases.get(record.case_id)
    if record.status == "allowed" or record.status in _DECIDED:
        raise IllegalTransition("payment", record.payment_id, record.status, "talk to a specialist about")
    if case is None and record.status == "blocked":
        raise IllegalTransition(
            "payment", record.payment_id, "blocked without a case", "talk to a specialist about"
        )
    if case is not None and case.status == "resolved":
        raise IllegalTransition(
            "payment",
            record.payment_id,
            f"{record.status} and its case resolved",
            "talk to a specialist about",
        )
    if case is not None and case.conversation_id is not None:
        live = await ctx.uow.conversations.get(case.conversation_id)
        if live is not None and live.status in _LIVE:  # pressed again: the same contact
            return _contact(record, case, live, opened=False)
    now = ctx.clock.now()
    customer = await _customer(ctx, record, now)
    care = customer.needs_care(ctx.local_today(now), ctx.settings.elderly_age)
    if case is None:
        case = await _hold_warned(ctx, record, customer, care, now)
    status, previous = case.status, case.conversation_id
    conversation = await _open_conversation(ctx, record, case, customer, care, cmd.channel, now)
    if not await ctx.uow.cases.attach_conversation(case.id, previous, conversation.id):
        raise Conflict(f"case {case.id!r} got the customer's contact meanwhile", case_id=case.id)
    case.conversation_id = conversation.id
    case.customer_id = case.customer_id or customer.id
    if not await ctx.uow.cases.save_if(case, status):
        raise IllegalTransition("case", case.id, "changed meanwhile", "attach a conversation to")
    await ctx.audit(
        "case.specialist_requested",
        "case",
        case.id,
        payment_id=record.payment_id,
        conversation_id=conversation.id,
        channel=cmd.channel,
        payment_status=record.status,
    )
    ctx.uow.emit(CaseSpecialistRequested(case.id, record.payment_id, conversation.id, cmd.channel, now))
    return _contact(record, case, conversation, opened=True)


def _contact(
    record: ScreeningRecord, case: Case, conversation: Conversation, opened: bool
) -> SpecialistContact:
    channel: SpecialistChannel = "voice" if conversation.channel == "voice" else "chat"
    return SpecialistContact(
        record.payment_id, record.status, case.id, case_reference(case.id), conversation.id, channel, opened
    )


async def _customer(ctx: Context, record: ScreeningRecord, now: datetime) -> Customer:
    """The payer's customer record; a payer kefu has never served gets a bare one (the app knows them; the
    specialist fills in the rest), so their contact can be a conversation."""
    if record.customer_id is not None:
        found = await ctx.uow.customers.get(record.customer_id)
        if found is not None:
            return found
    found = await ctx.uow.customers.by_external_id(record.payer_id)
    if found is None:
        found = await ctx.uow.customers.get(record.payer_id)
    if found is not None:
        return found
    customer = Customer(new_id(), record.payer_id, "", "zh", now, now)
    await ctx.uow.customers.add(customer)
    await ctx.audit(
        "customer.created", "customer", customer.id, external_id=record.payer_id, via="specialist"
    )
    ctx.uow.emit(events.CustomerCreated(customer.id, now))
    return customer


async def _hold_warned(
    ctx: Context, record: ScreeningRecord, customer: Customer, care: bool, now: datetime
) -> Case:
    """A warned payment the customer wants to talk about waits for the specialist: held, in the payer's
    open case (joined) or a new decide case (not routed: the customer's live contact is its work)."""
    hold_until = now + timedelta(seconds=ctx.settings.hold_s)
    reasons: list[dict[str, Any]] = list(record.result.get("reasons") or [])
    case = await open_case_of(ctx, record.payer_id, now)
    joined = False
    if case is not None:
        case.join(record.amount, record.currency, record.score, reasons, record.typology, True, hold_until)
        joined = await ctx.uow.cases.save_if(case, "open")
    if not joined:
        case = Case(
            id=new_id(),
            payment_id=record.payment_id,
            customer_id=customer.id,
            payer_id=record.payer_id,
            payee_account=record.payee_account,
            payee_name=str(((record.request or {}).get("payment") or {}).get("payee", {}).get("name", "")),
            amount=record.amount,
            currency=record.currency,
            score=record.score,
            reasons=reasons,
            typology=record.typology,
            rule_set_version=record.rule_set_version,
            elderly=customer.is_elderly(ctx.local_today(now), ctx.settings.elderly_age),
            opened_at=now,
            hold_expires_at=hold_until,
            kind="decide",
        )
        await open_case(ctx, case, customer, care, route=False)
    assert case is not None  # noqa: S101 - joined or opened above
    await ctx.uow.screenings.attach_case(record.payment_id, case.id, case.hold_expires_at)
    record.case_id, record.hold_expires_at = case.id, case.hold_expires_at
    await change_status(ctx, record, "held", now)
    if joined:
        await ctx.audit(
            "case.payment_joined",
            "case",
            case.id,
            payment_id=record.payment_id,
            decision=record.decision,
            amount=record.amount,
            currency=record.currency,
        )
        ctx.uow.emit(
            CasePaymentJoined(
                case.id, record.payment_id, record.decision, record.amount, record.currency, now
            )
        )
    return case


async def _open_conversation(
    ctx: Context,
    record: ScreeningRecord,
    case: Case,
    customer: Customer,
    care: bool,
    channel: SpecialistChannel,
    now: datetime,
) -> Conversation:
    """The customer's live contact, attached to the case: straight to the specialist already working the
    case, else at the top of the anti-fraud queue in place of the case's own call nobody has taken yet."""
    ref = case_reference(case.id)
    conversation = Conversation(
        id=new_id(),
        customer_id=customer.id,
        business_line=CASE_BUSINESS_LINE,
        channel=channel,
        queue=CASE_QUEUE,
        priority=initial_priority(care),
        status="queued",
        created_at=now,
        updated_at=now,
        subject=f"联系反诈专员 / talk to a specialist: {ref} · {record.payment_id}",
        care=care,
        language=customer.language,
    )
    task = await ctx.uow.tasks.open_for_subject(case.id)
    working = task is not None and task.state == "assigned" and case.agent_id is not None
    if working:
        assert case.agent_id is not None  # noqa: S101 - checked above
        conversation.assign(case.agent_id, now)
    await add_conversation(ctx, conversation, case_id=case.id, payment_id=record.payment_id)
    if working:
        assert case.agent_id is not None  # noqa: S101 - checked above
        await ctx.audit("conversation.assigned", "conversation", conversation.id, agent_id=case.agent_id)
        ctx.uow.emit(events.ConversationAssigned(conversation.id, case.agent_id, now))
        return conversation
    if task is not None:
        await close_task(ctx, case.id, "customer_live", now=now)
    await open_task(
        ctx,
        "conversation",
        conversation.id,
        CASE_QUEUE,
        conversation.channel,
        care,
        customer.home_site,
        priority=LIVE_PRIORITY,
    )
    return conversation


# -- re-screening -------------------------------------------------------------------------------------------

_LEXICON = MemoLexicon()


class _HeardOnTheCall(FeatureBuilder):
    """The features of a payment as screened, plus the typologies the payer's story speaks of."""

    def __init__(self, typologies: frozenset[str]) -> None:
        super().__init__(_LEXICON)
        self.typologies = typologies

    def build(self, payment: Payment, profile: PayerProfile, counters: CounterFeatures) -> dict[str, Any]:
        features = super().build(payment, profile, counters)
        extra = self.typologies - features["memo_typologies"]
        features["memo_typologies"] = features["memo_typologies"] | extra
        features["memo_hits"] += len(extra)
        return features


def check_signals(signals: RescreenSignals) -> None:
    unknown = sorted(set(signals.typologies) - set(TYPOLOGIES))
    if unknown:
        raise InvalidInput(
            f"unknown typologies {unknown}; typologies are {', '.join(TYPOLOGIES)}",
            field="signals.typologies",
        )


def _rescored(
    record: ScreeningRecord, signals: RescreenSignals, active: ActiveRuleSet, profile: PayerProfile
) -> Decision | None:
    kept = record.request
    if not kept or "payment" not in kept or "counters" not in kept:
        return None  # screened before payments were kept: nothing to score again
    payment = Payment.from_dict(kept["payment"])
    device = payment.device
    payment = replace(
        payment,
        device=replace(
            device,
            remote_access_app=device.remote_access_app or signals.remote_access_app,
            on_call=device.on_call or signals.on_call,
            screen_sharing=device.screen_sharing or signals.screen_sharing,
        ),
    )
    counters = CounterFeatures(*kept["counters"])
    builder = _HeardOnTheCall(frozenset(signals.typologies))
    return screen(active.rule_set, payment, profile, counters, active.thresholds, builder)


async def rescreen_case(cmd: RescreenCase, ctx: Context, desk: ScreeningDesk) -> Case:
    may_work_cases(ctx)
    check_signals(cmd.signals)
    note = None if cmd.note is None else cmd.note.strip()[:MAX_NOTE] or None
    async with ctx.uow:
        case = await ctx.uow.cases.get(cmd.case_id)
        if case is None:
            raise NotFound("case", cmd.case_id)
        await require_work(ctx, case)
        status = case.status
        if status == "resolved":
            raise IllegalTransition("case", case.id, status, "re-screen")
        records = await ctx.uow.screenings.for_case(case.id)
        active = await desk.active_rules(ctx.uow, ctx.settings)
        customer = None if case.customer_id is None else await ctx.uow.customers.get(case.customer_id)
        profile = await payer_profile(ctx, customer)
        scored = [(r, d) for r in records if (d := _rescored(r, cmd.signals, active, profile)) is not None]
        if not scored:
            raise IllegalTransition("case", case.id, "without payments to score", "re-screen")
        top = max((d for _, d in scored), key=lambda d: d.score)
        now = ctx.clock.now()
        reasons = [r.to_dict() for r in top.reasons]
        result = {
            "at": now.isoformat(),
            "by": ctx.actor.username,
            "note": note,
            "signals": cmd.signals.to_dict(),
            "score": top.score,
            "decision": top.decision,
            "typology": top.typology,
            "reasons": reasons,
            "rule_set_version": top.rule_set_version,
            "payments": [
                {"payment_id": r.payment_id, "score": d.score, "decision": d.decision, "was": r.score}
                for r, d in scored
            ],
        }
        previous = case.score
        case.record_rescreen(result, top.score, reasons, top.typology)
        if not await ctx.uow.cases.save_if(case, status):
            raise IllegalTransition("case", case.id, "changed meanwhile", "re-screen")
        await ctx.audit(
            "case.rescreened",
            "case",
            case.id,
            score=top.score,
            decision=top.decision,
            previous_score=previous,
            reasons=[r["code"] for r in reasons],
            signals=cmd.signals.to_dict(),
            note=note,
            payments=result["payments"],
        )
        ctx.uow.emit(CaseRescreened(case.id, top.score, top.decision, previous, now))
        await ctx.uow.commit()
    return case
