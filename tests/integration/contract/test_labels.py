"""Contract of payment labels and the counter replay: labels keep their history and the latest is current,
they page by time for the export; a customer's payments to a payee; screenings replay in screening order
after a cursor with the payment's own time; released cases' stops are cleared."""

from __future__ import annotations

from datetime import timedelta

from kefu.domain.labels import PaymentLabel
from tests.integration.contract import makers as mk
from tests.integration.contract.conftest import T0, Stores


def _label(n: int, payment: str, label: str, seconds: int) -> PaymentLabel:
    at = T0 + timedelta(seconds=seconds)
    return PaymentLabel(f"l-{n:03}", payment, label, "chargeback", at, "gw", None if n % 2 else "note")  # type: ignore[arg-type]


async def test_labels_keep_history_and_the_latest_is_current(stores: Stores) -> None:
    """Two labels of one payment both stay; label() answers the later; labels_since pages by time."""
    async with stores.uow() as uow:
        await uow.screenings.add(mk.screening(1))
        await uow.screenings.add_label(_label(1, "p-001", "legitimate", 0))
        await uow.screenings.add_label(_label(2, "p-001", "scam", 60))
        await uow.screenings.add_label(_label(3, "p-002", "scam", 30))
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.screenings.label("p-001") == _label(2, "p-001", "scam", 60)
        assert await uow.screenings.label("p-009") is None
        assert [lb.id for lb in await uow.screenings.labels_since(None)] == ["l-001", "l-003", "l-002"]
        since = T0 + timedelta(seconds=30)
        assert [lb.id for lb in await uow.screenings.labels_since(since)] == ["l-003", "l-002"]


async def test_replay_pages_in_screening_order_with_paid_at(stores: Stores) -> None:
    """Replay returns screenings from a time in (screened_at, payment_id) order after a cursor, each with
    its payment time; the request is stored; to_payee finds one customer's payments to one payee."""
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1))
        for n, s in ((3, 10), (1, 10), (2, 5), (4, -100_000)):
            await uow.screenings.add(
                mk.screening(
                    n,
                    customer_id="c-001" if n != 2 else None,
                    screened_at=T0 + timedelta(seconds=s),
                    paid_at=T0 + timedelta(seconds=s - 1),
                    request={"counters": [n]},
                )
            )
        await uow.commit()
    async with stores.uow() as uow:
        first = await uow.screenings.replay(T0, None, 2)
        assert [r.payment_id for r in first] == ["p-002", "p-001"]
        assert first[1].paid_at == T0 + timedelta(seconds=9)
        stored = await uow.screenings.get("p-001")
        assert stored is not None and stored.request == {"counters": [1]}
        rest = await uow.screenings.replay(T0, (first[1].screened_at, first[1].payment_id), 10)
        assert [r.payment_id for r in rest] == ["p-003"]
        mine = await uow.screenings.to_payee("c-001", "payee")
        assert [r.payment_id for r in mine] == ["p-004", "p-001", "p-003"]
        assert await uow.screenings.to_payee("c-001", "other") == []


async def test_cleared_stops_are_payments_of_released_cases(stores: Stores) -> None:
    """A payment whose case was released (outcome or payment outcome) is a cleared stop; others are not."""
    async with stores.uow() as uow:
        await uow.cases.add(mk.case(1, status="resolved", outcome="released", payment_outcome="released"))
        await uow.cases.add(mk.case(2, status="resolved", outcome="dissuaded", payment_outcome="cancelled"))
        await uow.screenings.add(mk.screening(1, case_id="k-001"))
        await uow.screenings.add(mk.screening(2, case_id="k-002"))
        await uow.screenings.add(mk.screening(3))
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.screenings.cleared_stops(T0) == {"p-001"}
        assert await uow.screenings.cleared_stops(T0 + timedelta(seconds=1)) == set()
