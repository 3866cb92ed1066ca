"""Labels: what each payment turned out to be, the input a screening model learns from.

A label is written in the same unit of work as the evidence it comes from: a case's outcome (``dissuaded`` →
scam, ``released`` → legitimate, for every payment of the case), a customer's scam report about a payee (the
reporter's own payments to that payee, source ``report``), or later evidence sent to
``POST /payments/{payment_id}/label`` (chargebacks, police reports). Labels are never overwritten: the
current label is the latest. Each is audited and announced (``payment.labelled``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kefu.domain.cases import Case
from kefu.domain.errors import InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.labels import (
    LABELS,
    MAX_NOTE,
    MAX_SOURCE,
    Label,
    LabelPayment,
    PaymentLabel,
    PaymentLabelled,
)
from kefu.domain.payments import ScreeningRecord
from kefu.screening import CounterFeatures
from kefu.services.authz import allowed, require, require_some
from kefu.services.context import Context

CASE_LABELS: dict[str, Label] = {"dissuaded": "scam", "released": "legitimate"}


async def add_label(
    ctx: Context,
    payment_id: str,
    label: Label,
    source: str,
    note: str | None = None,
    case_id: str | None = None,
    at: datetime | None = None,
) -> PaymentLabel:
    """Store one label in the current transaction, audit it and put ``payment.labelled`` in the outbox."""
    now = at or ctx.clock.now()
    stored = PaymentLabel(new_id(), payment_id, label, source, now, ctx.actor.username, note, case_id)
    await ctx.uow.screenings.add_label(stored)
    await ctx.audit("payment.labelled", "payment", payment_id, label=label, source=source, case_id=case_id)
    ctx.uow.emit(PaymentLabelled(payment_id, label, source, now))
    return stored


async def label_case(ctx: Context, case: Case, records: Iterable[ScreeningRecord]) -> None:
    """A settled case labels each of its payments (``unreachable`` says nothing about them)."""
    label = CASE_LABELS.get(case.outcome or "")
    if label is None:
        return
    for record in records:
        await add_label(ctx, record.payment_id, label, "case_outcome", case_id=case.id, at=case.resolved_at)


async def label_reported(ctx: Context, customer_id: str, account_id: str, at: datetime) -> None:
    """A customer's scam report about a payee labels that customer's payments to it as scam."""
    for record in await ctx.uow.screenings.to_payee(customer_id, account_id):
        await add_label(ctx, record.payment_id, "scam", "report", at=at)


def _source(source: str) -> str:
    cleaned = source.strip()
    if not cleaned or len(cleaned) > MAX_SOURCE or not all(c.isalnum() or c in "_-." for c in cleaned):
        raise InvalidInput(
            f"source must be 1 to {MAX_SOURCE} letters, digits, '_', '-' or '.' (e.g. chargeback)",
            field="source",
        )
    return cleaned


async def label_payment(cmd: LabelPayment, ctx: Context) -> PaymentLabel:
    """Later evidence about a screened payment (a chargeback, a police report) from the payments side or a
    supervisor."""
    require_some(ctx.actor, "payments.label")
    if cmd.label not in LABELS:
        raise InvalidInput(f"label must be one of {list(LABELS)}", field="label")
    source = _source(cmd.source)
    note = None if cmd.note is None else cmd.note.strip()[:MAX_NOTE] or None
    async with ctx.uow:
        record = await ctx.uow.screenings.get(cmd.payment_id)
        if record is None or not allowed(
            ctx.actor, "payments.label", owns=record.screened_for(ctx.actor.user_id)
        ):
            raise NotFound("payment", cmd.payment_id)
        label: Label = "scam" if cmd.label == "scam" else "legitimate"
        stored = await add_label(ctx, cmd.payment_id, label, source, note)
        await ctx.uow.commit()
    return stored


async def export_labels(ctx: Context, since: datetime | None = None) -> list[dict[str, Any]]:
    """One row per labelled payment (labelled from ``since``): its current label with the screening's
    decision, score, the payment as screened and the counter features the rules saw — a trainer's rows."""
    require(ctx.actor, "labels.export")
    async with ctx.uow:
        latest: dict[str, PaymentLabel] = {}
        for label in await ctx.uow.screenings.labels_since(since):
            latest[label.payment_id] = label  # oldest first: the last one seen is the current label
        rows: list[dict[str, Any]] = []
        for payment_id, label in latest.items():
            record = await ctx.uow.screenings.get(payment_id)
            if record is None:  # pragma: no cover - labels are only written for screened payments
                continue
            rows.append(export_row(record, label))
    rows.sort(key=lambda r: (r["labelled_at"], r["payment_id"]))
    return rows


def export_row(record: ScreeningRecord, label: PaymentLabel) -> dict[str, Any]:
    """The payment as screened (without the payer's contact details) and its counter features, when kept,
    beside the decision and the current label."""
    kept = record.request or {}
    counters = kept.get("counters")
    features = dict(zip(CounterFeatures._fields, counters, strict=False)) if counters else None
    return {
        "payment_id": record.payment_id,
        "payer_id": record.payer_id,
        "payee_account": record.payee_account,
        "amount": record.amount,
        "currency": record.currency,
        "paid_at": (record.paid_at or record.screened_at).isoformat(),
        "payment": kept.get("payment"),
        "features": features,
        "decision": record.decision,
        "score": record.score,
        "typology": record.typology,
        "rule_set_version": record.rule_set_version,
        "label": label.label,
        "source": label.source,
        "labelled_at": label.at.isoformat(),
    }
