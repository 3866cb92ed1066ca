"""Screening payments (劝阻止付): decide, store the answer once per payment; every stop opens or joins a case.

``ScreeningDesk`` holds what the handlers need beyond the unit of work — the counter store, the notifier and
the active rule set — and registers the desk's commands on the bus. The active rule set is the newest one
loaded into the database (the shipped default until then); each screening reads its sequence number (one
indexed query) and recompiles only when it changed, so ``kefu rules load`` reaches every serving process.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog

from kefu.domain.cases import Case, CaseKind, CaseOpened, CasePaymentJoined, PaymentScreened, RuleSetLoaded
from kefu.domain.customers import Customer
from kefu.domain.errors import AlreadyExists, Conflict, InvalidInput
from kefu.domain.ids import new_id
from kefu.domain.payments import PaymentStatus, ScreeningRecord, ScreenPayment
from kefu.screening import (
    Decision,
    InvalidPayment,
    InvalidRuleSet,
    PayerProfile,
    Payment,
    load_rule_set,
    playbook,
    screen,
)
from kefu.screening.commands import ActiveRuleSet, LoadRuleSet
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.screening.desk import ScreeningDesk, effective_thresholds
from kefu.services.shared.tasks import route_case

log = structlog.get_logger("kefu.screening")

_STATUS: dict[str, PaymentStatus] = {"allow": "allowed", "warn": "warned", "hold": "held", "block": "blocked"}
MAX_PAYMENT_ID = 64


async def _payer(ctx: Context, request: dict[str, Any]) -> Customer | None:
    payer = request.get("payer")
    if not isinstance(payer, dict):
        return None
    customer_id = payer.get("customer_id")
    if isinstance(customer_id, str) and customer_id:
        customer = await ctx.uow.customers.get(customer_id)
        if customer is None:
            raise InvalidPayment(f"no customer {customer_id!r}", "payer.customer_id")
        return customer
    external_id = payer.get("external_id")
    if isinstance(external_id, str) and external_id:
        # A payer the centre has never served is screened with an empty profile.
        return await ctx.uow.customers.by_external_id(external_id)
    return None


async def _profile(ctx: Context, customer: Customer | None) -> PayerProfile:
    if customer is None:
        return PayerProfile()
    trusted = await ctx.uow.fraud.trusted_payees(customer.id)
    return PayerProfile(
        elderly=customer.is_elderly(ctx.local_today(), ctx.settings.elderly_age),
        vulnerable=customer.vulnerable,
        timezone=ctx.settings.local_timezone,
        trusted_payees=frozenset(p.account_id for p in trusted),
    )


def parse_payment(request: dict[str, Any]) -> Payment:
    payment = Payment.from_dict(request)
    if len(payment.payment_id) > MAX_PAYMENT_ID:
        raise InvalidPayment(f"payment_id must be at most {MAX_PAYMENT_ID} characters", "payment_id")
    if payment.amount <= 0:
        raise InvalidPayment("amount must be a positive number of minor units", "amount")
    return payment


async def screen_payment(cmd: ScreenPayment, ctx: Context, desk: ScreeningDesk) -> ScreeningRecord:
    """Decide on one payment. The same ``payment_id`` always gets the stored answer: features are counted
    once, and at most one case is ever opened (the payment id is the key of both tables)."""
    require(ctx.actor, "payments.screen")
    payment = parse_payment(cmd.request)
    stops = False
    try:
        async with ctx.uow:
            existing = await ctx.uow.screenings.get(payment.payment_id)
            if existing is not None:
                return existing
            active = await desk.active_rules(ctx.uow, ctx.settings)
            customer = await _payer(ctx, cmd.request)
            profile = await _profile(ctx, customer)
            features = await desk.counters.observe(payment)
            decision = screen(active.rule_set, payment, profile, features, active.thresholds)
            record = await _store(ctx, payment, decision, customer, profile)
            await ctx.uow.commit()
            stops = decision.stops_payment
    except Conflict:
        # A concurrent delivery of the same payment won the insert: answer with what it stored.
        async with ctx.uow:
            existing = await ctx.uow.screenings.get(payment.payment_id)
        if existing is None:
            raise
        return existing
    if stops:
        await desk.counters.note_stopped(payment)
    return record


async def _store(
    ctx: Context, payment: Payment, decision: Decision, customer: Customer | None, profile: PayerProfile
) -> ScreeningRecord:
    now = ctx.clock.now()
    result = decision.to_dict()
    case: Case | None = None
    joined = False
    if decision.stops_payment:
        held = decision.decision == "hold"
        hold_until = now + timedelta(seconds=ctx.settings.hold_s)
        case = await _open_case_of(ctx, payment.payer_id, now)
        if case is not None:
            case.join(
                payment.amount,
                payment.currency,
                decision.score,
                result["reasons"],
                decision.typology,
                held,
                hold_until,
            )
            joined = await ctx.uow.cases.save_if(case, "open")
            if not joined:  # settled a moment ago by someone else: this stop opens its own case
                case = None
        if case is None:
            case = _new_case(payment, decision, result, customer, profile, now, hold_until, held)
        result["case_id"] = case.id
        result["hold_expires_at"] = case.hold_expires_at.isoformat() if held else None
    record = ScreeningRecord(
        payment_id=payment.payment_id,
        customer_id=None if customer is None else customer.id,
        payer_id=payment.payer_id,
        payee_account=payment.payee.account_id,
        amount=payment.amount,
        currency=payment.currency,
        decision=decision.decision,
        score=decision.score,
        typology=decision.typology,
        rule_set_version=decision.rule_set_version,
        result=result,
        screened_at=now,
        status=_STATUS[decision.decision],
        case_id=None if case is None else case.id,
        hold_expires_at=None if case is None or decision.decision != "hold" else case.hold_expires_at,
    )
    await ctx.uow.screenings.add(record)
    await ctx.audit(
        "payment.screened",
        "payment",
        payment.payment_id,
        decision=decision.decision,
        score=decision.score,
        reasons=result["reasons"],
        typology=decision.typology,
        rule_set_version=decision.rule_set_version,
        lane=decision.lane,
        shadow=result["shadow"],
        case_id=record.case_id,
        amount=payment.amount,
        currency=payment.currency,
    )
    ctx.uow.emit(
        PaymentScreened(
            payment.payment_id, decision.decision, decision.score, decision.typology, record.case_id, now
        )
    )
    if case is not None and joined:
        await ctx.audit(
            "case.payment_joined",
            "case",
            case.id,
            payment_id=payment.payment_id,
            decision=decision.decision,
            amount=payment.amount,
            currency=payment.currency,
        )
        ctx.uow.emit(
            CasePaymentJoined(
                case.id, payment.payment_id, decision.decision, payment.amount, payment.currency, now
            )
        )
    elif case is not None:
        await open_case(ctx, case, customer, profile.elderly or profile.vulnerable)
    return record


async def _open_case_of(ctx: Context, payer_id: str, now: datetime) -> Case | None:
    """The payer's open case young enough (``KEFU_CASE_GROUP_S``) to take another stop, if any."""
    since = now - timedelta(seconds=ctx.settings.case_group_s)
    return await ctx.uow.cases.open_for_payer(payer_id, since)


def _new_case(
    payment: Payment,
    decision: Decision,
    result: dict[str, Any],
    customer: Customer | None,
    profile: PayerProfile,
    now: datetime,
    hold_until: datetime,
    held: bool,
) -> Case:
    kind: CaseKind = "decide" if held else "protect"
    return Case(
        id=new_id(),
        payment_id=payment.payment_id,
        customer_id=None if customer is None else customer.id,
        payer_id=payment.payer_id,
        payee_account=payment.payee.account_id,
        payee_name=payment.payee.name,
        amount=payment.amount,
        currency=payment.currency,
        score=decision.score,
        reasons=result["reasons"],
        typology=decision.typology,
        rule_set_version=decision.rule_set_version,
        elderly=profile.elderly,
        opened_at=now,
        hold_expires_at=hold_until,
        kind=kind,
    )


async def open_case(
    ctx: Context, case: Case, customer: Customer | None, care: bool, route: bool = True
) -> None:
    """Store a new case, audit and announce it, and (unless its work is routed already, as a report case's
    conversation is) put it at the top of the anti-fraud queue."""
    await ctx.uow.cases.add(case)
    await ctx.audit(
        "case.opened",
        "case",
        case.id,
        kind=case.kind,
        payment_id=case.payment_id,
        conversation_id=case.conversation_id,
        amount=case.amount,
        currency=case.currency,
        typology=case.typology,
        score=case.score,
    )
    ctx.uow.emit(
        CaseOpened(
            case.id,
            case.customer_id or "",
            case.payment_id or "",
            case.amount,
            case.currency,
            case.typology,
            case.opened_at,
            case.kind,
        )
    )
    if route:
        await route_case(ctx, case, customer, care)


def case_playbook(case: Case) -> dict[str, object]:
    return playbook(case.typology).to_dict()


async def load_rules(cmd: LoadRuleSet, ctx: Context, desk: ScreeningDesk) -> ActiveRuleSet:
    """Validate a YAML rule set and store it as the newest version; screening uses it from then on."""
    require(ctx.actor, "rules.write")
    rules = load_rule_set(cmd.source)
    try:
        effective_thresholds(rules, ctx.settings)
    except InvalidRuleSet as exc:
        raise InvalidRuleSet(f"with the configured threshold overrides: {exc.detail}") from exc
    if len(rules.version) > 64:
        raise InvalidInput("version must be at most 64 characters", field="version")
    now = ctx.clock.now()
    async with ctx.uow:
        if await ctx.uow.fraud.rule_set_version_exists(rules.version):
            raise AlreadyExists(
                f"rule set version {rules.version!r} was loaded before; give it a new version"
            )
        seq = await ctx.uow.fraud.add_rule_set(rules.version, cmd.source, now, ctx.actor.username)
        await ctx.audit("rules.loaded", "rule_set", str(seq), version=rules.version, rules=len(rules.rules))
        ctx.uow.emit(RuleSetLoaded(rules.version, seq, now))
        await ctx.uow.commit()
    desk.forget_rules()
    return ActiveRuleSet(seq, rules, effective_thresholds(rules, ctx.settings), now, ctx.actor.username)


async def get_rules(ctx: Context, desk: ScreeningDesk) -> ActiveRuleSet:
    require(ctx.actor, "rules.read")
    async with ctx.uow:
        return await desk.active_rules(ctx.uow, ctx.settings)
