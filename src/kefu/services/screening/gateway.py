"""The payments gateway loop: each payment's current status, every change of it, and the signed webhooks
that tell the gateway.

A payment's first status is the screening's answer (``allowed``, ``warned``, ``held``, ``blocked``). A held
payment ends when its case does: ``cancelled`` (dissuaded), ``blocked`` (kept stopped by policy) or
``released``. A blocked payment stays blocked. Each change is made by ``change_status`` inside the
transaction that causes it (the case's ``settle``): the status, ``payment.status_changed`` in the outbox
and, when ``KEFU_PAYMENT_WEBHOOK_URL`` is set, a webhook delivery row, all commit together. A first status
that stops the payment (held, blocked) counts as a change; ``allowed`` and ``warned`` are told by the
screening answer alone.

Deliveries are sent by the ``WebhookDispatcher`` (in ``kefu serve`` and ``kefu worker``): it leases due
rows (``ClaimPaymentWebhooks``) and sends each (``DeliverPaymentWebhook``) outside any transaction; a
delivery not acknowledged with a 2xx is tried again after ``KEFU_PAYMENT_WEBHOOK_RETRY_S``, doubling up to
``KEFU_PAYMENT_WEBHOOK_RETRY_MAX_S``, for as long as it takes. A process that dies mid-send leaves the
lease to expire and another sends it again, with the same event id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from kefu.domain.commands import Command
from kefu.domain.errors import NotFound
from kefu.domain.ids import new_id
from kefu.domain.labels import PaymentLabel
from kefu.domain.payments import (
    PaymentStatus,
    PaymentStatusChanged,
    ScreeningRecord,
    WebhookDelivery,
    case_reference,
)
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.authz import allowed, require_some
from kefu.services.context import Context
from kefu.services.messagebus import MessageBus
from kefu.services.periodic import PeriodicJob
from kefu.services.ports import PaymentWebhook

log = structlog.get_logger("kefu.gateway")

STOPS: frozenset[str] = frozenset({"held", "blocked"})
BATCH = 50


def webhook_body(
    event_id: str, record: ScreeningRecord, previous: PaymentStatus | None, at: datetime
) -> dict[str, Any]:
    """What the gateway receives for one status change (documented in docs/screening.md)."""
    return {
        "id": event_id,
        "type": PaymentStatusChanged.name,
        "created_at": at.isoformat(),
        "data": {
            "payment_id": record.payment_id,
            "status": record.status,
            "previous": previous,
            "decision": record.decision,
            "case_id": record.case_id,
            "case_ref": None if record.case_id is None else case_reference(record.case_id),
            "hold_expires_at": None if record.hold_expires_at is None else record.hold_expires_at.isoformat(),
        },
    }


async def announce(ctx: Context, record: ScreeningRecord, previous: PaymentStatus | None) -> None:
    """Tell of the record's (new) status: ``payment.status_changed`` in the outbox and, when a gateway
    webhook is configured, a delivery row, both in the current transaction."""
    at = record.status_changed_at or ctx.clock.now()
    ctx.uow.emit(PaymentStatusChanged(record.payment_id, record.status, previous, record.case_id, at))
    if ctx.settings.payment_webhook_url:
        event_id = new_id()
        await ctx.uow.webhooks.add(
            WebhookDelivery(
                id=event_id,
                payment_id=record.payment_id,
                status=record.status,
                body=webhook_body(event_id, record, previous, at),
                created_at=at,
                next_attempt_at=at,
            )
        )


async def change_status(
    ctx: Context, record: ScreeningRecord, status: PaymentStatus, at: datetime | None = None
) -> bool:
    """Change a stored payment's status in the current transaction and announce it (at ``at``: the moment
    of what caused it, else now); False if unchanged."""
    if record.status == status:
        return False
    previous = record.status
    now = at or ctx.clock.now()
    await ctx.uow.screenings.set_status(record.payment_id, status, now)
    record.status, record.status_changed_at = status, now
    await announce(ctx, record, previous)
    return True


# -- reading -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentView:
    """A payment as the gateway sees it: the stored screening, its case's reference and specialist."""

    record: ScreeningRecord
    case_ref: str | None
    specialist: str | None  # the display name of the specialist working the case, once assigned
    label: PaymentLabel | None = None  # the current label (the latest given), if any


async def get_payment(payment_id: str, ctx: Context) -> PaymentView:
    require_some(ctx.actor, "payments.read")
    async with ctx.uow:
        record = await ctx.uow.screenings.get(payment_id)
        # Another integration's payment is not found: its existence is not this caller's to learn.
        if record is None or not allowed(
            ctx.actor, "payments.read", owns=record.screened_for(ctx.actor.user_id)
        ):
            raise NotFound("payment", payment_id)
        specialist: str | None = None
        if record.case_id is not None:
            case = await ctx.uow.cases.get(record.case_id, with_history=False)
            if case is not None and case.agent_id is not None:
                agent = await ctx.uow.agents.get(case.agent_id)
                specialist = None if agent is None else agent.name
        label = await ctx.uow.screenings.label(payment_id)
    case_ref = None if record.case_id is None else case_reference(record.case_id)
    return PaymentView(record, case_ref, specialist, label)


# -- sending -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimPaymentWebhooks(Command[list[str]]):
    """Lease the webhook deliveries that are due (for ``KEFU_SCHEDULER_LEASE_S``); their ids."""

    limit: int = BATCH


@dataclass(frozen=True, slots=True)
class DeliverPaymentWebhook(Command[bool]):
    """Send one leased delivery; True when the gateway acknowledged it, else it is due again later."""

    delivery_id: str


def retry_after_s(attempts: int, first_s: float, max_s: float) -> float:
    """The pause after ``attempts`` failed tries: ``first_s`` doubling, capped at ``max_s``."""
    return float(min(max_s, first_s * 2 ** min(max(attempts - 1, 0), 30)))


async def claim_payment_webhooks(cmd: ClaimPaymentWebhooks, ctx: Context) -> list[str]:
    now = ctx.clock.now()
    async with ctx.uow:
        ids = await ctx.uow.webhooks.claim_due(
            now, now + timedelta(seconds=ctx.settings.scheduler_lease_s), cmd.limit
        )
        await ctx.uow.commit()
    return ids


async def deliver_payment_webhook(
    cmd: DeliverPaymentWebhook, ctx: Context, sender: PaymentWebhook | None
) -> bool:
    """POST between two transactions (no transaction waits on the network), then record the result."""
    async with ctx.uow:
        delivery = await ctx.uow.webhooks.get(cmd.delivery_id)
    if delivery is None or delivery.delivered_at is not None:
        return False
    error: str | None = None
    if sender is None:  # another process wrote it with a webhook configured; this one has none
        error = "no payment webhook is configured in this process"
    else:
        try:
            await sender.deliver(delivery)
        except Exception as exc:
            error = (str(exc) or type(exc).__name__)[:500]
    now = ctx.clock.now()
    async with ctx.uow:
        current = await ctx.uow.webhooks.get(cmd.delivery_id)
        if current is None or current.delivered_at is not None:
            return False
        current.attempts += 1
        current.claimed_until = None
        current.last_error = error
        if error is None:
            current.delivered_at = now
        else:
            pause = retry_after_s(
                current.attempts,
                ctx.settings.payment_webhook_retry_s,
                ctx.settings.payment_webhook_retry_max_s,
            )
            current.next_attempt_at = now + timedelta(seconds=pause)
            log.warning(
                "payment webhook not acknowledged; retrying",
                delivery_id=current.id,
                attempts=current.attempts,
                retry_s=pause,
                error=error,
            )
        await ctx.uow.webhooks.save(current)
        await ctx.uow.commit()
    return error is None


class WebhookDispatcher(PeriodicJob):
    """The periodic job that sends due payment webhooks; it only issues the two commands above."""

    name = "kefu-payment-webhooks"

    def __init__(self, bus: MessageBus, interval_s: float) -> None:
        super().__init__(interval_s)
        self.bus = bus
        self.delivered = 0

    async def run_once(self) -> int:
        """Lease what is due and send each; returns how many the gateway acknowledged."""
        delivered = 0
        ids = await self.bus.handle(ClaimPaymentWebhooks(), SYSTEM_ACTOR)
        for delivery_id in ids:
            try:
                delivered += await self.bus.handle(DeliverPaymentWebhook(delivery_id), SYSTEM_ACTOR)
            except Exception:
                log.exception("sending a payment webhook failed", delivery_id=delivery_id)
        self.delivered += delivered
        return delivered

    async def round(self) -> int:
        return await self.run_once()
