"""Screening payments (劝阻止付): decide, store the answer once per payment; every stop opens or joins a case.

``ScreeningDesk`` holds what the handlers need beyond the unit of work — the counter store, the notifier and
the active rule set — and registers the desk's commands on the bus. The active rule set is the newest one
loaded into the database (the shipped default until then); each screening reads its sequence number (one
indexed query) and recompiles only when it changed, so ``kefu rules load`` reaches every serving process.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import structlog

from kefu.domain.cases import Case, CaseKind, CaseOpened, CasePaymentJoined, PaymentScreened, RuleSetLoaded
from kefu.domain.customers import Customer, TrustedContact, check_birth_date, check_phone
from kefu.domain.errors import AlreadyExists, Conflict, IdempotencyMismatch, InvalidInput
from kefu.domain.events import CustomerCreated, CustomerUpdated
from kefu.domain.ids import new_id
from kefu.domain.payments import PaymentStatus, ScreeningRecord, ScreenPayment
from kefu.domain.vocabulary import LANGUAGES
from kefu.screening import (
    CounterFeatures,
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
from kefu.services.screening.gateway import STOPS, announce
from kefu.services.shared.tasks import route_case

log = structlog.get_logger("kefu.screening")

_STATUS: dict[str, PaymentStatus] = {"allow": "allowed", "warn": "warned", "hold": "held", "block": "blocked"}
MAX_PAYMENT_ID = 64


async def _payer(ctx: Context, request: dict[str, Any]) -> Customer | None:
    """The payer's customer record; contact details in the request create or update it (same transaction),
    so a case for a payer kefu has never served can still be worked."""
    payer = request.get("payer")
    if not isinstance(payer, dict):
        return None
    details = payer_details(payer, ctx.local_today())
    customer_id = payer.get("customer_id")
    if isinstance(customer_id, str) and customer_id:
        customer = await ctx.uow.customers.get(customer_id)
        if customer is None:
            raise InvalidPayment(f"no customer {customer_id!r}", "payer.customer_id")
        return await _update_payer(ctx, customer, details)
    external_id = payer.get("external_id")
    if isinstance(external_id, str) and external_id:
        customer = await ctx.uow.customers.by_external_id(external_id)
        if customer is not None:
            return await _update_payer(ctx, customer, details)
        if details:
            return await _create_payer(ctx, external_id, details)
        # A payer the centre has never served, and no details: screened with an empty profile.
    return None


_DETAILS = ("name", "phone", "birth_date", "language", "trusted_contact")


def payer_details(payer: dict[str, Any], today: date) -> dict[str, Any]:
    """The contact details given with the payer, checked (phone format, birth date range, language)."""
    out: dict[str, Any] = {}
    name = payer.get("name")
    if name is not None:
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise InvalidPayment("payer.name must be 1 to 200 characters", "payer.name")
        out["name"] = name.strip()
    if payer.get("phone") is not None:
        out["phone"] = _phone(payer["phone"], "payer.phone")
    birth = payer.get("birth_date")
    if birth is not None:
        try:
            parsed = birth if isinstance(birth, date) else date.fromisoformat(str(birth))
        except ValueError as exc:
            raise InvalidPayment(
                "payer.birth_date must be a date such as 1946-03-01", "payer.birth_date"
            ) from exc
        try:
            out["birth_date"] = check_birth_date(parsed, today)
        except InvalidInput as exc:
            raise InvalidPayment(exc.detail, "payer.birth_date") from exc
    language = payer.get("language")
    if language is not None:
        if language not in LANGUAGES:
            raise InvalidPayment(f"payer.language must be one of {sorted(LANGUAGES)}", "payer.language")
        out["language"] = language
    contact = payer.get("trusted_contact")
    if contact is not None:
        if not isinstance(contact, dict) or not str(contact.get("name") or "").strip():
            raise InvalidPayment("payer.trusted_contact needs a name and a phone", "payer.trusted_contact")
        out["trusted_contact"] = TrustedContact(
            str(contact["name"]).strip()[:200],
            _phone(contact.get("phone"), "payer.trusted_contact.phone"),
            str(contact.get("relation") or "family").strip()[:50],
        )
    return out


def _phone(value: object, field: str) -> str:
    try:
        phone = check_phone(value if isinstance(value, str) else None, field)
    except InvalidInput as exc:
        raise InvalidPayment(exc.detail, field) from exc
    if phone is None:
        raise InvalidPayment(f"{field} must be a phone number of 6 to 24 digits", field)
    return phone


async def _create_payer(ctx: Context, external_id: str, details: dict[str, Any]) -> Customer:
    now = ctx.clock.now()
    customer = Customer(
        id=new_id(),
        external_id=external_id,
        name=details.get("name", ""),
        language=details.get("language", "zh"),
        created_at=now,
        updated_at=now,
        phone=details.get("phone"),
        birth_date=details.get("birth_date"),
        trusted_contact=details.get("trusted_contact"),
    )
    await ctx.uow.customers.add(customer)
    await ctx.audit("customer.created", "customer", customer.id, external_id=external_id, via="screening")
    ctx.uow.emit(CustomerCreated(customer.id, now))
    return customer


async def _update_payer(ctx: Context, customer: Customer, details: dict[str, Any]) -> Customer:
    changed = tuple(name for name, value in details.items() if getattr(customer, name) != value)
    if not changed:
        return customer
    now = ctx.clock.now()
    for name in changed:
        setattr(customer, name, details[name])
    customer.updated_at = now
    await ctx.uow.customers.save(customer)
    await ctx.audit("customer.updated", "customer", customer.id, fields=list(changed), via="screening")
    ctx.uow.emit(CustomerUpdated(customer.id, changed, now))
    return customer


async def payer_profile(ctx: Context, customer: Customer | None) -> PayerProfile:
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
                return _replayed(existing, payment)
            active = await desk.active_rules(ctx.uow, ctx.settings)
            customer = await _payer(ctx, cmd.request)
            profile = await payer_profile(ctx, customer)
            features = await desk.counters.observe(payment)
            live, shadow = await desk.models.current(ctx.uow, ctx.settings)
            decision = screen(
                active.rule_set, payment, profile, features, active.thresholds, None, live, shadow
            )
            record = await _store(ctx, payment, decision, customer, profile, features)
            await ctx.uow.commit()
            stops = decision.stops_payment
    except Conflict:
        # A concurrent delivery of the same payment won the insert: answer with what it stored.
        async with ctx.uow:
            existing = await ctx.uow.screenings.get(payment.payment_id)
        if existing is None:
            raise
        return _replayed(existing, payment)
    if stops:
        await desk.counters.note_stopped(payment)
    return record


def _replayed(existing: ScreeningRecord, payment: Payment) -> ScreeningRecord:
    """A repeated payment id gets the stored answer (with the payment's current status), but only for the
    same payment: another payer, payee, amount or currency under the same id is refused."""
    if not existing.same_payment(
        payment.payer_id, payment.payee.account_id, payment.amount, payment.currency
    ):
        raise IdempotencyMismatch(
            f"payment_id {payment.payment_id!r} was screened before with a different payer, payee, amount "
            "or currency; use a new payment_id for a new payment",
            payment_id=payment.payment_id,
        )
    return existing


async def _store(
    ctx: Context,
    payment: Payment,
    decision: Decision,
    customer: Customer | None,
    profile: PayerProfile,
    features: CounterFeatures,
) -> ScreeningRecord:
    now = ctx.clock.now()
    result = decision.to_dict()
    case: Case | None = None
    joined = False
    if decision.stops_payment:
        held = decision.decision == "hold"
        hold_until = now + timedelta(seconds=ctx.settings.hold_s)
        case = await open_case_of(ctx, payment.payer_id, now)
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
        status_changed_at=now,
        # Kept for a re-screening: the payment without the payer's contact details, and its counters.
        request={"payment": payment.to_dict(), "counters": list(features)},
        paid_at=payment.created_at,
        screened_by=ctx.actor.user_id if ctx.actor.role == "integration" else None,
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
    if record.status in STOPS:
        await announce(ctx, record, None)  # a stop is the first change the gateway hears of
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


async def open_case_of(ctx: Context, payer_id: str, now: datetime) -> Case | None:
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
