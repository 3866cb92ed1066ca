"""Labels (issue 14): case outcomes label every payment of the case in the same unit of work, a customer's
scam report labels that customer's payments to the payee, later evidence arrives through LabelPayment (who
may, what is checked), history is kept and the current label is the latest; the export carries what a
model trainer needs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kefu.domain.customers import Customer
from kefu.domain.errors import Forbidden, InvalidInput, NotFound
from kefu.domain.labels import LabelPayment, PaymentLabelled
from kefu.domain.payments import RecordContactAttempt, ReportPayee, ResolveCase, ScreenPayment
from kefu.domain.users import SYSTEM_ACTOR
from kefu.services.screening.labels import export_labels
from tests.unit.handlers.conftest import Centre
from tests.unit.handlers.test_cases import SPECIALIST_SKILLS, police
from tests.unit.handlers.test_screening import payment


def small(payment_id: str, payer: Customer) -> dict[str, Any]:
    """A ¥100 payment to the 公检法 "safe account" payee: allowed, but a payment all the same."""
    return payment(
        payment_id,
        payer,
        amount=10_000,
        payee={"account_id": "acct-anquan", "name": "张警官", "kind": "individual"},
    )


async def _labels(centre: Centre) -> list[tuple[str, str, str]]:
    rows = sorted(centre.store.rows("payment_labels"), key=lambda r: (r.at, r.id))
    return [(r.payment_id, r.label, r.source) for r in rows]


async def test_a_dissuaded_case_labels_each_of_its_payments_scam(centre: Centre) -> None:
    """Two held payments joined in one case: dissuaded labels both scam (source case_outcome), with one
    payment.labelled each, committed with the outcome."""
    await centre.agent("wang", SPECIALIST_SKILLS, {"voice": 1})
    payer = await centre.customer(elderly=True)
    first = await centre.handle(ScreenPayment(police("p-1", payer)))
    second = await centre.handle(ScreenPayment(police("p-2", payer)))
    assert first.case_id is not None and second.case_id == first.case_id
    centre.world.take_events()
    case = await centre.handle(ResolveCase(first.case_id, "dissuaded"))
    names = [name for name, _ in centre.world.take_events()]
    assert names.count("payment.labelled") == 2
    assert await _labels(centre) == [("p-1", "scam", "case_outcome"), ("p-2", "scam", "case_outcome")]
    (row, _) = sorted(centre.store.rows("payment_labels"), key=lambda r: r.payment_id)
    assert (row.case_id, row.at) == (first.case_id, case.resolved_at)


async def test_a_released_case_labels_its_payment_legitimate(centre: Centre) -> None:
    """A release after a reached contact labels the payment legitimate; exactly the label's event is new
    beside the outcome's own."""
    payer = await centre.customer(elderly=True)
    record = await centre.handle(ScreenPayment(payment("p-1", payer, amount=4_000_000)))
    assert record.case_id is not None
    await centre.handle(RecordContactAttempt(record.case_id, "reached"))
    centre.world.take_events()
    case = await centre.handle(ResolveCase(record.case_id, "released", "本人确认"))
    assert await _labels(centre) == [("p-1", "legitimate", "case_outcome")]
    assert case.resolved_at is not None
    labelled = PaymentLabelled("p-1", "legitimate", "case_outcome", case.resolved_at)
    assert (labelled.name, labelled.payload()) in centre.world.take_events()


async def test_an_unreachable_outcome_labels_nothing(centre: Centre) -> None:
    """Settled by policy without reaching anyone says nothing about the payment: no label."""
    payer = await centre.customer()
    record = await centre.handle(ScreenPayment(police("p-1", payer)))
    assert record.case_id is not None
    await centre.handle(ResolveCase(record.case_id, "unreachable"))
    assert await _labels(centre) == []


async def test_a_customers_report_labels_their_payments_to_the_payee(centre: Centre) -> None:
    """A report naming the customer labels that customer's payments to the payee scam (source report);
    another customer's payment to the same payee and a report by staff alone label nothing."""
    payer = await centre.customer("ext-1")
    other = await centre.customer("ext-2")
    await centre.handle(ScreenPayment(small("p-1", payer)))
    await centre.handle(ScreenPayment(small("p-2", other)))
    await centre.handle(ReportPayee("acct-anquan", "冒充公安"))
    assert await _labels(centre) == []
    centre.world.take_events()
    await centre.handle(ReportPayee("acct-anquan", "冒充公安", customer_id=payer.id))
    assert await _labels(centre) == [("p-1", "scam", "report")]
    (row,) = centre.store.rows("payment_labels")
    centre.world.assert_events("payee.reported", PaymentLabelled("p-1", "scam", "report", row.at))


async def test_later_evidence_is_kept_as_history_and_the_latest_is_current(centre: Centre) -> None:
    """The payments side labels a payment twice: both rows stay, the export shows the latest with the
    screening's decision, score and counter features."""
    gateway = await centre.actor("gateway", "integration")
    payer = await centre.customer()
    record = await centre.handle(ScreenPayment(small("p-1", payer)))
    centre.world.take_events()
    first = await centre.handle(LabelPayment("p-1", "legitimate", "merchant_confirmed"), gateway)
    centre.world.assert_events(PaymentLabelled("p-1", "legitimate", "merchant_confirmed", first.at))
    centre.clock.advance(60)
    label = await centre.handle(LabelPayment("p-1", "scam", "chargeback", " bank says so "), gateway)
    assert (label.by, label.note) == ("gateway", "bank says so")
    assert [lb for _, lb, _ in await _labels(centre)] == ["legitimate", "scam"]
    (row,) = await export_labels(centre.bus.context(SYSTEM_ACTOR))
    assert (row["payment_id"], row["label"], row["source"]) == ("p-1", "scam", "chargeback")
    assert (row["decision"], row["score"]) == (record.decision, record.score)
    assert row["features"]["payer_out_count_1h"] == 1
    assert row["payment"]["payee"]["account_id"] == "acct-anquan"
    assert await export_labels(centre.bus.context(SYSTEM_ACTOR), label.at) == [row]
    assert await export_labels(centre.bus.context(SYSTEM_ACTOR), label.at + timedelta(seconds=1)) == []


async def test_labelling_checks_who_what_and_which_payment(centre: Centre) -> None:
    """Agents may not label; an unknown payment is not found; a bad label or source is refused; nothing
    is stored by a refused command."""
    supervisor = await centre.actor("zhao", "supervisor")
    _, agent = await centre.agent("li", SPECIALIST_SKILLS)
    payer = await centre.customer()
    await centre.handle(ScreenPayment(small("p-1", payer)))
    with pytest.raises(Forbidden):
        await centre.handle(LabelPayment("p-1", "scam", "chargeback"), agent)
    with pytest.raises(NotFound):
        await centre.handle(LabelPayment("p-nope", "scam", "chargeback"), supervisor)
    with pytest.raises(InvalidInput):
        await centre.handle(LabelPayment("p-1", "fraud", "chargeback"), supervisor)
    with pytest.raises(InvalidInput):
        await centre.handle(LabelPayment("p-1", "scam", "police report!"), supervisor)
    assert await _labels(centre) == []
    await centre.handle(LabelPayment("p-1", "scam", "police_report"), supervisor)
    assert await _labels(centre) == [("p-1", "scam", "police_report")]
