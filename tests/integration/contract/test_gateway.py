"""Contract of the gateway and payee records: webhook deliveries leased once and saved, the status-change
time, reports counted once per reporter, the watchlist with its source, paged and removable, and the
channel of trusted payees."""

from __future__ import annotations

from datetime import timedelta

from kefu.domain.payments import TrustedPayee, WatchlistEntry, WebhookDelivery
from tests.integration.contract import makers as mk
from tests.integration.contract.conftest import T0, Stores


def _delivery(n: int, due_in_s: int = 0) -> WebhookDelivery:
    return WebhookDelivery(
        f"wh-{n:03d}", "p-001", "held", {"id": f"wh-{n:03d}", "n": n}, T0, T0 + timedelta(seconds=due_in_s)
    )


async def test_webhook_deliveries_are_leased_once_and_saved(stores: Stores) -> None:
    """Due rows are leased oldest first; a leased row is not leased again until the lease ends; a delivered
    row never again; a saved row reads back whole."""
    async with stores.uow() as uow:
        for n, due in ((1, 0), (2, 5), (3, 60)):
            await uow.webhooks.add(_delivery(n, due))
        await uow.commit()
    lease_end = T0 + timedelta(seconds=30)
    async with stores.uow() as uow:
        assert await uow.webhooks.claim_due(T0 + timedelta(seconds=10), lease_end, 10) == ["wh-001", "wh-002"]
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.webhooks.claim_due(T0 + timedelta(seconds=20), lease_end, 10) == []
        got = await uow.webhooks.get("wh-001")
        assert got is not None and got.body == {"id": "wh-001", "n": 1} and got.claimed_until == lease_end
        got.attempts, got.delivered_at, got.claimed_until = 1, T0 + timedelta(seconds=11), None
        await uow.webhooks.save(got)
        await uow.commit()
    async with stores.uow() as uow:
        later = T0 + timedelta(seconds=61)
        assert await uow.webhooks.claim_due(later, later + timedelta(seconds=30), 10) == ["wh-002", "wh-003"]
        delivered = await uow.webhooks.get("wh-001")
        assert delivered is not None and delivered.attempts == 1 and delivered.delivered_at is not None


async def test_status_change_time_reports_per_reporter_watchlist_and_trust_channel(stores: Stores) -> None:
    """set_status keeps when; a reporter counts once; watchlist entries page by account and are removed;
    trusted payees are stored with the channel."""
    async with stores.uow() as uow:
        await uow.screenings.add(mk.screening(1))
        await uow.customers.add(mk.customer(1))
        await uow.commit()
    async with stores.uow() as uow:
        await uow.screenings.set_status("p-001", "cancelled", T0 + timedelta(seconds=9))
        assert await uow.fraud.add_report("r-1", "acct", "scam", "gw", None, T0, reporter="c-1") == 1
        assert not await uow.fraud.has_reported("acct", "c-2")
        assert await uow.fraud.add_report("r-2", "acct", "again", "gw", None, T0, reporter="c-1") == 1
        assert await uow.fraud.add_report("r-3", "acct", "scam", "gw", None, T0, reporter="c-2") == 2
        assert await uow.fraud.has_reported("acct", "c-2")
        for account in ("b", "a", "c"):
            await uow.fraud.watchlist(account, f"why {account}", None, T0, source="police", by="sup")
        await uow.fraud.set_trusted_payees("c-001", [TrustedPayee("son", "儿子")], channel="app")
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.screenings.get("p-001")
        assert got is not None and (got.status, got.status_changed_at) == (
            "cancelled",
            T0 + timedelta(seconds=9),
        )
        assert (await uow.fraud.reputation())[1] == {"acct": 2}
        first = await uow.fraud.watchlist_page(None, 2)
        assert [e.account_id for e in first] == ["a", "b"]
        assert first[0] == WatchlistEntry("a", "why a", "police", None, "sup", T0)
        assert [e.account_id for e in await uow.fraud.watchlist_page("b", 2)] == ["c"]
        assert await uow.fraud.unwatchlist("b") and not await uow.fraud.unwatchlist("zz")
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.fraud.watchlist_entry("b") is None
        assert not await uow.fraud.is_watchlisted("b")
        assert await uow.fraud.trusted_payees("c-001") == [TrustedPayee("son", "儿子")]


async def test_a_payment_keeps_its_request_joins_a_case_and_a_case_keeps_its_rescreen(stores: Stores) -> None:
    """The screened request reads back whole; attach_case gives a payment its case and hold expiry; a case's
    re-screening is saved and read back (migration 0010); attach_conversation only replaces the contact it
    expects."""
    kept = {"payment": {"payment_id": "p-001", "memo": "给边防战士的捐款"}, "counters": [1, 1, 1, 0, 0, 0, 1]}
    async with stores.uow() as uow:
        await uow.screenings.add(mk.screening(1, request=kept))
        await uow.cases.add(mk.case(1))
        await uow.commit()
    until = T0 + timedelta(hours=24)
    rescreen = {"score": 100, "decision": "block", "payments": [{"payment_id": "p-001", "score": 100}]}
    async with stores.uow() as uow:
        await uow.screenings.attach_case("p-001", "k-001", until)
        case = await uow.cases.get("k-001")
        assert case is not None
        case.rescreen, case.conversation_id = rescreen, "conv-001"
        assert await uow.cases.save_if(case, "open")
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.screenings.get("p-001")
        assert got is not None and (got.request, got.case_id, got.hold_expires_at) == (
            kept,
            "k-001",
            until,
        )
        assert [r.payment_id for r in await uow.screenings.for_case("k-001")] == ["p-001"]
        case = await uow.cases.get("k-001")
        assert case is not None and (case.rescreen, case.conversation_id) == (rescreen, "conv-001")
        assert not await uow.cases.attach_conversation("k-001", None, "conv-002")
        assert await uow.cases.attach_conversation("k-001", "conv-001", "conv-002")
        await uow.commit()
    async with stores.uow() as uow:
        assert (await uow.cases.for_conversation("conv-002")) is not None
        assert (await uow.cases.for_conversation("conv-001")) is None


async def test_the_screening_integration_round_trips(stores: Stores) -> None:
    """screened_by is saved and read back; a payment without one is any integration's to follow."""
    async with stores.uow() as uow:
        await uow.screenings.add(mk.screening(1, screened_by="int-a"))
        await uow.screenings.add(mk.screening(2))
        await uow.commit()
    async with stores.uow() as uow:
        mine, older = await uow.screenings.get("p-001"), await uow.screenings.get("p-002")
    assert mine is not None and mine.screened_by == "int-a"
    assert mine.screened_for("int-a") and not mine.screened_for("int-b")
    assert older is not None and older.screened_by is None and older.screened_for("int-b")
