"""The gateway loop through the bus: a payment's status follows its case, every change is an event and a
webhook delivery, deliveries are retried with backoff until acknowledged, and the gateway reads the status."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from kefu.adapters.memory.testing import FakeWorld
from kefu.adapters.notify import RecordingPaymentWebhook
from kefu.domain import commands as c
from kefu.domain.errors import Forbidden, NotFound
from kefu.domain.payments import (
    PaymentStatusChanged,
    RecordContactAttempt,
    ResolveCase,
    ScreenPayment,
    case_reference,
)
from kefu.entrypoints.cli_screening import screen_message
from kefu.screening import InvalidPayment
from kefu.services.screening.gateway import (
    DeliverPaymentWebhook,
    WebhookDispatcher,
    get_payment,
    retry_after_s,
)
from tests.unit.handlers.conftest import Centre, running_centre
from tests.unit.handlers.test_screening import payment

URL = "http://gateway.test/kefu"
SECRET = "a-shared-secret-of-some-length"


@pytest_asyncio.fixture
async def gw(world: FakeWorld) -> AsyncIterator[tuple[Centre, RecordingPaymentWebhook]]:
    """A centre with a payment webhook configured, sent to a recording gateway."""
    sender = RecordingPaymentWebhook()
    async with running_centre(
        world,
        payment_webhook=sender,
        payment_webhook_url=URL,
        payment_webhook_secret=SECRET,
        payment_webhook_retry_s=5,
        payment_webhook_retry_max_s=20,
    ) as centre:
        world.take_events()
        yield centre, sender


def dispatcher(centre: Centre) -> WebhookDispatcher:
    assert centre.kefu.webhooks is not None
    return centre.kefu.webhooks


async def test_a_hold_is_told_then_its_outcome_and_each_is_delivered_once(
    gw: tuple[Centre, RecordingPaymentWebhook],
) -> None:
    """held at screening, cancelled when the case is dissuaded: two payment.status_changed events, two
    deliveries in that order, each sent once; the payment reads cancelled with its case reference."""
    centre, sender = gw
    payer = await centre.customer("ext-1", elderly=True)
    record = await centre.handle(ScreenPayment(payment("p-1", payer)))
    assert record.case_id is not None
    assert await dispatcher(centre).run_once() == 1
    await centre.handle(ResolveCase(record.case_id, "dissuaded", "劝阻成功"))
    assert await dispatcher(centre).run_once() == 1
    assert await dispatcher(centre).run_once() == 0
    assert [(d.payment_id, d.status) for d in sender.sent] == [("p-1", "held"), ("p-1", "cancelled")]
    first, second = (d.body for d in sender.sent)
    assert first["type"] == "payment.status_changed" and first["id"] == sender.sent[0].id
    assert first["data"]["case_ref"] == case_reference(record.case_id)
    assert (second["data"]["status"], second["data"]["previous"]) == ("cancelled", "held")
    changed = [p for n, p in centre.world.take_events() if n == "payment.status_changed"]
    assert [(p["status"], p["previous"]) for p in changed] == [("held", None), ("cancelled", "held")]
    sup = await centre.actor("sup", "supervisor")
    view = await get_payment("p-1", centre.bus.context(sup))
    assert (view.record.status, view.case_ref) == ("cancelled", case_reference(record.case_id))


async def test_an_unacknowledged_delivery_is_retried_with_backoff_until_acknowledged(
    gw: tuple[Centre, RecordingPaymentWebhook],
) -> None:
    """Two refusals: due again after 5 s, then 10 s; nothing is sent before it is due; the third try lands."""
    centre, sender = gw
    payer = await centre.customer("ext-1", elderly=True)
    await centre.handle(ScreenPayment(payment("p-1", payer)))
    sender.refuse = 2
    assert await dispatcher(centre).run_once() == 0
    (row,) = centre.store.rows("payment_webhooks")
    assert (row.attempts, row.delivered_at) == (1, None)
    assert row.next_attempt_at - centre.clock.now() <= timedelta(seconds=5)
    assert await dispatcher(centre).run_once() == 0 and sender.refuse == 1  # not due yet: not tried
    centre.clock.advance(5)
    assert await dispatcher(centre).run_once() == 0
    centre.clock.advance(9)
    assert await dispatcher(centre).run_once() == 0 and sender.refuse == 0
    centre.clock.advance(1)
    assert await dispatcher(centre).run_once() == 1
    (row,) = centre.store.rows("payment_webhooks")
    assert row.attempts == 3 and row.delivered_at is not None and row.last_error is None
    assert [d.status for d in sender.sent] == ["held"]


def test_the_pause_doubles_up_to_its_cap() -> None:
    """5 s, 10 s, 20 s, then the cap."""
    assert [retry_after_s(n, 5, 30) for n in (1, 2, 3, 4, 10)] == [5, 10, 20, 30, 30]


async def test_allowed_payments_and_no_webhook_url_write_no_delivery(centre: Centre) -> None:
    """An allowed payment emits no status change; without KEFU_PAYMENT_WEBHOOK_URL a hold emits the event
    but writes no delivery."""
    payer = await centre.customer("ext-1", elderly=True)
    centre.world.take_events()
    await centre.handle(ScreenPayment(payment("p-0", payer, amount=1_000, memo="午饭")))
    assert [n for n, _ in centre.world.take_events()] == ["payment.screened"]
    await centre.handle(ScreenPayment(payment("p-1", payer)))
    assert "payment.status_changed" in [n for n, _ in centre.world.take_events()]
    assert centre.store.rows("payment_webhooks") == []


async def test_a_released_hold_reads_released_with_its_specialist(centre: Centre) -> None:
    """Accepted by a specialist, the payment shows the specialist's name; released (below the four-eyes
    amount, after reaching the payer), it reads released."""
    specialist, login = await centre.agent("wang", {"payments": 3, "anti_fraud": 4}, {"voice": 1})
    payer = await centre.customer("ext-1", elderly=True)
    record = await centre.handle(ScreenPayment(payment("p-1", payer, amount=4_000_000)))
    (offer,) = centre.pending_offers(specialist.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    gateway = await centre.actor("gateway", "integration")
    view = await get_payment("p-1", centre.bus.context(gateway))
    assert (view.record.status, view.specialist) == ("held", "wang")
    assert record.case_id is not None
    await centre.handle(RecordContactAttempt(record.case_id, "reached"), login)
    centre.world.take_events()
    case = await centre.handle(ResolveCase(record.case_id, "released", "本人确认"), login)
    centre.world.assert_events(
        PaymentStatusChanged("p-1", "released", "held", record.case_id, case.resolved_at),
        "task.closed",
        "case.resolved",
        "task.completed",
    )
    again = await centre.handle(ScreenPayment(payment("p-1", payer, amount=4_000_000)), gateway)
    assert (again.decision, again.status) == ("hold", "released")


async def test_only_the_gateway_and_managers_read_a_payment(centre: Centre) -> None:
    """An agent reading a payment is Forbidden; an unknown payment id is NotFound."""
    _, agent = await centre.agent("li", {"anti_fraud": 4})
    with pytest.raises(Forbidden):
        await get_payment("p-1", centre.bus.context(agent))
    admin = await centre.actor("root", "admin")
    with pytest.raises(NotFound):
        await get_payment("no-such-payment", centre.bus.context(admin))


async def test_a_delivery_without_a_sender_is_kept_for_later(world: FakeWorld) -> None:
    """A process with no webhook configured records the try as failed and keeps the row due again."""
    async with running_centre(world, payment_webhook_url=URL, payment_webhook_secret=SECRET) as writer:
        payer = await writer.customer("ext-1", elderly=True)
        await writer.handle(ScreenPayment(payment("p-1", payer)))
    async with running_centre(world) as other:
        (row,) = other.store.rows("payment_webhooks")
        assert await other.handle(DeliverPaymentWebhook(row.id)) is False
        (row,) = other.store.rows("payment_webhooks")
        assert row.attempts == 1 and row.delivered_at is None and "no payment webhook" in row.last_error


def _unknown_payer(**details: Any) -> dict[str, Any]:
    return {"external_id": "wx-778899", **details}


async def test_a_payer_never_served_is_created_with_the_screening(centre: Centre) -> None:
    """Contact details with an unknown external_id create the customer in the screening's transaction:
    the birth date makes the payer elderly (a hold), and the case carries the customer."""
    details = {
        "name": "刘大爷",
        "phone": "+8613900000009",
        "birth_date": "1944-02-03",
        "language": "zh",
        "trusted_contact": {"name": "刘小明", "phone": "+8613900000010", "relation": "son"},
    }
    body = {**payment("p-1", await centre.customer("ext-x")), "payer": _unknown_payer(**details)}
    centre.world.take_events()
    record = await centre.handle(ScreenPayment(body))
    (customer,) = [c for c in centre.store.rows("customers") if c.external_id == "wx-778899"]
    assert [n for n, _ in centre.world.take_events()][:4] == [
        "customer.created",
        "payment.screened",
        "payment.status_changed",
        "case.opened",
    ]
    assert (record.decision, record.customer_id) == ("hold", customer.id)
    assert (customer.name, customer.phone, customer.trusted_contact.name) == (
        "刘大爷",
        "+8613900000009",
        "刘小明",
    )
    (case,) = centre.store.rows("cases")
    assert (case.customer_id, case.elderly) == (customer.id, True)


async def test_a_known_payer_is_updated_only_when_details_change(centre: Centre) -> None:
    """Details equal to the record change nothing; a new phone updates the customer (customer.updated)."""
    known = await centre.customer("ext-1")
    centre.world.take_events()
    same = {**payment("p-1", known, amount=1_000, memo="午饭")}
    same["payer"] = {"customer_id": known.id, "name": known.name, "phone": known.phone}
    await centre.handle(ScreenPayment(same))
    assert [n for n, _ in centre.world.take_events()] == ["payment.screened"]
    moved = {**same, "payment_id": "p-2", "payer": {"customer_id": known.id, "phone": "+8613700000001"}}
    await centre.handle(ScreenPayment(moved))
    got = centre.world.take_events()
    assert [n for n, _ in got] == ["customer.updated", "payment.screened"]
    assert list(got[0][1]["fields"]) == ["phone"]
    (stored,) = [c for c in centre.store.rows("customers") if c.id == known.id]
    assert stored.phone == "+8613700000001"


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({"phone": "call me"}, "payer.phone"),
        ({"birth_date": "2999-01-01"}, "payer.birth_date"),
        ({"birth_date": "1800-01-01"}, "payer.birth_date"),
        ({"birth_date": "yesterday"}, "payer.birth_date"),
        ({"language": "fr"}, "payer.language"),
        ({"trusted_contact": {"name": "儿子", "phone": "x"}}, "payer.trusted_contact.phone"),
        ({"name": "  "}, "payer.name"),
    ],
)
async def test_bad_payer_details_are_refused_and_nothing_is_stored(
    centre: Centre, details: dict[str, Any], field: str
) -> None:
    """A malformed phone, an impossible birth date or an unknown language is InvalidPayment naming the
    field; no customer and no screening is stored."""
    body = {**payment("p-1", await centre.customer("ext-x")), "payer": _unknown_payer(**details)}
    before = len(centre.store.rows("customers"))
    centre.world.take_events()
    with pytest.raises(InvalidPayment) as caught:
        await centre.handle(ScreenPayment(body))
    assert caught.value.fields.get("field") == field
    centre.world.assert_no_events()
    assert len(centre.store.rows("customers")) == before
    assert centre.store.rows("screenings") == []


async def test_the_stream_answers_a_mismatched_replay_instead_of_retrying_it(centre: Centre) -> None:
    """In stream mode a replay carries the current status, and a payment id reused for another payment is
    answered with an idempotency_mismatch error (acknowledged, never redelivered)."""
    payer = await centre.customer("ext-1", elderly=True)
    body = payment("p-1", payer)
    first = await screen_message(centre.kefu, json.dumps(body).encode())
    assert (first["decision"], first["status"]) == ("hold", "held")
    clash = await screen_message(centre.kefu, json.dumps({**body, "amount": 1}).encode())
    assert (clash["payment_id"], clash["error"]["code"]) == ("p-1", "idempotency_mismatch")
