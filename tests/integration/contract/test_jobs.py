"""Contract of the routing, screening, care and quality repositories: round trips, orders, filters and the
conditional updates (``decide``, ``save_if``, ``claim_contact``, callback ``save`` and ``claim_due``)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from kefu.care import Article
from kefu.care.records import CallbackChangedConcurrently
from kefu.domain.cases import FamilyAlert, LedgerEntry
from kefu.domain.errors import Conflict
from kefu.domain.payments import TrustedPayee
from kefu.domain.quality import Commendation, Complaint, CsatRating
from kefu.domain.queues import Queue, ServiceLevel
from kefu.domain.routing_rules import RoutingRule
from kefu.domain.tasks import Offer
from tests.integration.contract import makers as mk
from tests.integration.contract.conftest import T0, Stores


async def test_seeded_queues_are_the_same(stores: Stores) -> None:
    """A fresh store has the queues the migrations seed, with their service levels and escalation."""
    async with stores.uow() as uow:
        queues = await uow.queues.list()
    shapes = [(q.id, q.priority, q.service_level, q.escalation, q.channels, q.skills) for q in queues]
    assert [s[0] for s in shapes] == ["anti_fraud", "elderly_care", "games", "payments", "social"]
    assert shapes[0][1:3] == (100, type(shapes[0][2])(10, 90.0))
    assert shapes[1][3][1].after_s == 180 and shapes[4][4] == ("chat", "voice", "callback")


async def test_tasks_live_open_and_service_counts(stores: Stores) -> None:
    """Live tasks oldest first; the open task of a subject; answered, in target, abandoned, transferred."""
    async with stores.uow() as uow:
        await uow.tasks.add(mk.task(2, state="assigned", assigned_at=T0 + timedelta(seconds=9), wait_s=7.0))
        await uow.tasks.add(mk.task(1))
        await uow.tasks.add(mk.task(3, state="assigned", assigned_at=T0 + timedelta(seconds=60), wait_s=57.0))
        await uow.tasks.add(
            mk.task(4, state="ended", ended_at=T0 + timedelta(seconds=30), end_reason="abandoned")
        )
        await uow.tasks.add(
            mk.task(5, state="ended", ended_at=T0 + timedelta(seconds=40), end_reason="transferred")
        )
        await uow.commit()
    async with stores.uow() as uow:
        assert [t.id for t in await uow.tasks.live()] == ["t-001", "t-002", "t-003"]
        assert (await uow.tasks.open_for_subject("v-002")) == mk.task(
            2, state="assigned", assigned_at=T0 + timedelta(seconds=9), wait_s=7.0
        )
        assert await uow.tasks.open_for_subject("v-004") is None
        counts = await uow.tasks.service_counts("social", T0, 20)
    assert counts == {
        "answered": 2,
        "in_target": 1,
        "abandoned": 1,
        "transferred": 1,
        "transferred_in": 0,
        "transferred_in_in_target": 0,
        "abandoned_after_answer": 0,
    }


async def test_a_contact_answered_transferred_and_answered_again_is_counted_once_by_the_centre(
    stores: Stores,
) -> None:
    """Answered in social and transferred to games, answered there: social counts it answered and
    transferred out, games answered and transferred in; a second such contact abandoned in games is
    abandoned after an answer; a chat moved while still waiting is a first answer where it lands."""
    s = timedelta(seconds=1)
    async with stores.uow() as uow:
        # v-001: answered in social at 5 s, transferred at 60 s, answered in games at 70 s (wait 70 s).
        await uow.tasks.add(mk.task(1, state="ended", agent_id="a-1", assigned_at=T0 + 5 * s, wait_s=4.0,
                                    ended_at=T0 + 60 * s, end_reason="transferred"))  # fmt: skip
        await uow.tasks.add(mk.task(11, subject_id="v-001", queue_id="games", state="assigned",
                                    assigned_at=T0 + 70 * s, wait_s=69.0))  # fmt: skip
        # v-002: answered in social, transferred, abandoned while waiting in games.
        await uow.tasks.add(mk.task(2, state="ended", agent_id="a-1", assigned_at=T0 + 6 * s, wait_s=4.0,
                                    ended_at=T0 + 50 * s, end_reason="transferred"))  # fmt: skip
        await uow.tasks.add(mk.task(12, subject_id="v-002", queue_id="games", state="ended",
                                    ended_at=T0 + 80 * s, end_reason="abandoned"))  # fmt: skip
        # v-003: moved from social to games while waiting, answered in games within the target.
        await uow.tasks.add(mk.task(3, state="ended", ended_at=T0 + 8 * s, end_reason="transferred"))
        await uow.tasks.add(mk.task(13, subject_id="v-003", queue_id="games", state="assigned",
                                    assigned_at=T0 + 10 * s, wait_s=7.0))  # fmt: skip
        await uow.commit()
    async with stores.uow() as uow:
        social = await uow.tasks.service_counts("social", T0, 20)
        games = await uow.tasks.service_counts("games", T0, 20)
    assert social == {
        "answered": 2,
        "in_target": 2,
        "abandoned": 0,
        "transferred": 3,
        "transferred_in": 0,
        "transferred_in_in_target": 0,
        "abandoned_after_answer": 0,
    }
    assert games == {
        "answered": 2,
        "in_target": 1,
        "abandoned": 1,
        "transferred": 0,
        "transferred_in": 1,
        "transferred_in_in_target": 0,
        "abandoned_after_answer": 1,
    }


async def test_offers_are_decided_once_and_pending_in_order(stores: Stores) -> None:
    """``decide`` changes a pending offer only; pending offers come by creation time, per agent."""
    async with stores.uow() as uow:
        await uow.tasks.add(mk.task(1))
        await uow.commit()
    async with stores.uow() as uow:
        for n, agent in ((2, "a-1"), (1, "a-2"), (3, "a-1")):
            at = T0 + timedelta(seconds=n)
            await uow.offers.add(Offer(f"o-{n}", "t-001", agent, at, at + timedelta(seconds=20)))
        await uow.commit()
    async with stores.uow() as uow:
        await uow.offers.decide("o-2", "accepted", T0)
        await uow.offers.decide("o-2", "declined", T0 + timedelta(seconds=1))
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.offers.get("o-2")
        assert got is not None and (got.status, got.decided_at) == ("accepted", T0)
        assert [o.id for o in await uow.offers.pending()] == ["o-1", "o-3"]
        assert [o.id for o in await uow.offers.pending("a-1")] == ["o-3"]


async def test_cases_save_if_and_claim_contact_are_conditional(stores: Stores) -> None:
    """``save_if`` writes only from the expected status; a due re-contact is claimed exactly once."""
    due = T0 + timedelta(minutes=5)
    async with stores.uow() as uow:
        await uow.cases.add(mk.case(1, next_contact_due_at=due))
        await uow.cases.add(mk.case(2, hold_expires_at=T0 - timedelta(minutes=1)))
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.cases.expired_holds(T0, 10) == ["k-002"]
        assert await uow.cases.due_contacts(due, 10) == [("k-001", due)]
        assert await uow.cases.claim_contact("k-001", due) is True
        assert await uow.cases.claim_contact("k-001", due) is False
        case = await uow.cases.get("k-002")
        assert case is not None
        case.status, case.outcome = "resolved", "released"
        assert await uow.cases.save_if(case, "open") is True
        assert await uow.cases.save_if(case, "open") is False
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.cases.due_contacts(due, 10) == []
        assert [c.id for c in await uow.cases.page(None, 10, status="open")] == ["k-001"]
        assert await uow.cases.outcome_counts(T0, due) == {"open": 1, "released": 1}
        assert await uow.cases.typology_outcomes(T0, due) == {
            ("impersonation", "open"): 1,
            ("impersonation", "released"): 1,
        }


async def test_a_second_case_for_one_payment_is_a_conflict(stores: Stores) -> None:
    """The payment id of a case is unique."""
    async with stores.uow() as uow:
        await uow.cases.add(mk.case(1))
        await uow.commit()
    with pytest.raises(Conflict):
        async with stores.uow() as uow:
            await uow.cases.add(mk.case(2, payment_id="p-001"))
            await uow.commit()


async def test_screenings_and_fraud_records(stores: Stores) -> None:
    """Screening status and counts; savings, reports, watchlist, trusted payees and rule sets."""
    async with stores.uow() as uow:
        await uow.screenings.add(mk.screening(1))
        await uow.screenings.add(mk.screening(2, decision="allow", typology=None, status="allowed"))
        await uow.cases.add(mk.case(1))
        await uow.customers.add(mk.customer(1))
        await uow.commit()
    async with stores.uow() as uow:
        await uow.screenings.set_status("p-001", "released")
        await uow.fraud.add_saving(LedgerEntry("l-1", "k-001", "p-001", None, 500, "CNY", None, T0))
        assert await uow.fraud.add_report("r-1", "acct", "scam", "agent", None, T0) == 1
        assert await uow.fraud.add_report("r-2", "acct", "scam", "agent", "k-001", T0) == 2
        await uow.fraud.watchlist("acct", "confirmed", "k-001", T0)
        await uow.fraud.watchlist("acct", "again", None, T0)
        await uow.fraud.set_trusted_payees("c-001", [TrustedPayee("z", "Z"), TrustedPayee("b", "B")])
        first = await uow.fraud.add_rule_set("v1", "rules: []", T0, "admin")
        await uow.commit()
    async with stores.uow() as uow:
        await uow.fraud.set_trusted_payees("c-001", [TrustedPayee("m", "M"), TrustedPayee("b", "B2")])
        second = await uow.fraud.add_rule_set("v2", "rules: []", T0, "admin")
        await uow.commit()
    end = T0 + timedelta(hours=1)
    async with stores.uow() as uow:
        got = await uow.screenings.get("p-001")
        assert got is not None and got.status == "released"
        assert await uow.screenings.decision_counts(T0, end) == {"hold": 1, "allow": 1}
        assert await uow.screenings.typology_counts(T0, end) == {("impersonation", "hold"): 1}
        assert await uow.fraud.saved(T0, end) == {("unknown", "CNY"): 500}
        listed, reports = await uow.fraud.reputation()
        assert (sorted(listed), reports) == (["acct"], {"acct": 2})
        assert await uow.fraud.is_watchlisted("acct") and not await uow.fraud.is_watchlisted("x")
        assert await uow.fraud.trusted_payees("c-001") == [TrustedPayee("b", "B2"), TrustedPayee("m", "M")]
        assert second > first and await uow.fraud.active_rule_set_seq() == second
        stored = await uow.fraud.rule_set(first)
        assert stored is not None and stored.version == "v1"
        assert await uow.fraud.rule_set_version_exists("v2")
    with pytest.raises(Conflict):
        async with stores.uow() as uow:
            await uow.fraud.add_rule_set("v1", "again", T0, "admin")
            await uow.commit()


async def test_callbacks_round_trip_page_and_follow_up_key(stores: Stores) -> None:
    """A callback reads back at version 1; pages filter by state and customer; a follow-up key is unique."""
    async with stores.uow() as uow:
        record = mk.callback(1, follow_up_key="case:k-1")
        await uow.callbacks.add(record)
        await uow.callbacks.add(mk.callback(2))
        await uow.commit()
    assert record.version == 1
    async with stores.uow() as uow:
        assert await uow.callbacks.get("b-001") == mk.callback(1, follow_up_key="case:k-1", version=1)
        assert [r.id for r in await uow.callbacks.page(None, 10, state="scheduled")] == ["b-001", "b-002"]
        assert [r.id for r in await uow.callbacks.page("b-001", 10, customer_id="c-001")] == ["b-002"]
        assert await uow.callbacks.page(None, 10, state="due") == []
    with pytest.raises(Conflict):
        async with stores.uow() as uow:
            await uow.callbacks.add(mk.callback(3, follow_up_key="case:k-1"))
            await uow.commit()


async def test_a_callback_saved_from_a_stale_version_is_refused(stores: Stores) -> None:
    """Of two writers of one callback version exactly one commits; the other is told to reload."""
    async with stores.uow() as uow:
        await uow.callbacks.add(mk.callback(1))
        await uow.commit()
    async with stores.uow() as uow:
        a = await uow.callbacks.get("b-001")
        assert a is not None
        await uow.callbacks.save(a)
        await uow.commit()
    assert a.version == 2
    async with stores.uow() as uow:
        stale = await uow.callbacks.get("b-001")
        assert stale is not None
        stale.version = 1
        with pytest.raises(CallbackChangedConcurrently):
            await uow.callbacks.save(stale)


async def test_claim_due_leases_due_callbacks_once(stores: Stores) -> None:
    """Due callbacks are claimed earliest first up to the limit; a held lease is not claimed again."""
    async with stores.uow() as uow:
        for n in (1, 2, 3):
            await uow.callbacks.add(mk.callback(n, wake=timedelta(minutes=n)))
        await uow.commit()
    now, until = T0 + timedelta(minutes=2), T0 + timedelta(minutes=7)
    async with stores.uow() as uow:
        assert sorted(await uow.callbacks.claim_due(now, until, "tok-a", 1)) == ["b-001"]
        await uow.commit()
    async with stores.uow() as uow:
        assert sorted(await uow.callbacks.claim_due(now, until, "tok-b", 10)) == ["b-002"]
        await uow.callbacks.release("b-002", "tok-a")  # not its token: nothing happens
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.callbacks.claim_due(now, until, "tok-c", 10) == []
        await uow.callbacks.release("b-001", "tok-a")
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.callbacks.claim_due(now, until, "tok-c", 10) == ["b-001"]
        assert sorted(await uow.callbacks.claim_due(until, until, "tok-d", 10)) == ["b-001", "b-002", "b-003"]


async def test_knowledge_articles(stores: Stores) -> None:
    """``put`` says whether an article is new; pages filter by language; the fingerprint counts changes."""
    async with stores.uow() as uow:
        assert await uow.knowledge.fingerprint() == (0, None)
        assert await uow.knowledge.put(Article("kb-2", "退款", "正文", "zh", ("refund",)), T0) is True
        assert await uow.knowledge.put(Article("kb-1", "Refund", "Body", "en"), T0) is True
        await uow.commit()
    later = T0 + timedelta(hours=1)
    async with stores.uow() as uow:
        assert await uow.knowledge.put(Article("kb-1", "Refunds", "Body", "en"), later) is False
        await uow.commit()
    async with stores.uow() as uow:
        assert [a.id for a in await uow.knowledge.all()] == ["kb-1", "kb-2"]
        assert await uow.knowledge.get("kb-2") == Article("kb-2", "退款", "正文", "zh", ("refund",))
        assert [a.title for a in await uow.knowledge.page(None, 10, language="en")] == ["Refunds"]
        assert await uow.knowledge.fingerprint() == (2, later)


async def test_quality_records(stores: Stores) -> None:
    """CSAT once per conversation; commendations by agent in pages; complaints saved and filtered."""
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1))
        await uow.agents.add(mk.agent(1))
        await uow.commit()
    async with stores.uow() as uow:
        await uow.conversations.add(mk.conversation(1))
        for n in (2, 1, 3):
            await uow.quality.add_commendation(
                Commendation(f"g-{n}", "a-001", "c-001", None, None, None, "谢谢", "c-001", T0)
            )
        await uow.quality.add_complaint(
            Complaint("q-1", "c-001", None, "a-001", None, None, "rude", "text", "open", T0, T0)
        )
        await uow.commit()
    rating = CsatRating("s-1", "v-001", "c-001", "social", "social", None, 5, None, T0)
    async with stores.uow() as uow:
        await uow.quality.add_csat(rating)
        await uow.commit()
    with pytest.raises(Conflict):
        async with stores.uow() as uow:
            await uow.quality.add_csat(
                CsatRating("s-2", "v-001", "c-001", "social", "social", None, 1, None, T0)
            )
            await uow.commit()
    async with stores.uow() as uow:
        complaint = await uow.quality.get_complaint("q-1")
        assert complaint is not None
        complaint.step("investigate", "sup", "noted", T0)
        await uow.quality.save_complaint(complaint)
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.quality.csat_for("v-001") == rating
        assert [c.id for c in await uow.quality.commendations("a-001", "g-1", 1)] == ["g-2"]
        assert await uow.quality.commendation_count("a-001") == 3
        got = await uow.quality.complaints(None, 10, agent_id="a-001")
        assert [(c.id, c.handled_by, c.note) for c in got] == [("q-1", "sup", "noted")]
        assert await uow.quality.complaints(None, 10, status="open") == []


async def test_a_payers_open_case_its_payments_and_report_cases(stores: Stores) -> None:
    """open_for_payer finds the newest open case young enough; for_case lists a case's payments in order;
    report cases (no payment) are found by conversation; a pending release is still an expired hold."""
    async with stores.uow() as uow:
        await uow.cases.add(mk.case(1, payer_id="u-1", opened_at=T0))
        await uow.cases.add(mk.case(2, payer_id="u-1", opened_at=T0 + timedelta(minutes=5)))
        await uow.cases.add(mk.case(3, payer_id="u-2", opened_at=T0, status="resolved"))
        await uow.cases.add(mk.case(4, payment_id=None, kind="report", conversation_id="v-9", payer_id="u-3"))
        await uow.cases.add(mk.case(5, payment_id=None, kind="report", conversation_id="v-8", payer_id="u-4"))
        for n, at in ((3, 7), (1, 9), (2, 8)):
            await uow.screenings.add(mk.screening(n, case_id="k-002", screened_at=T0 + timedelta(seconds=at)))
        await uow.commit()
    async with stores.uow() as uow:
        found = await uow.cases.open_for_payer("u-1", T0)
        assert found is not None and found.id == "k-002"
        later = await uow.cases.open_for_payer("u-1", T0 + timedelta(minutes=6))
        assert later is None
        assert await uow.cases.open_for_payer("u-2", T0) is None
        assert [r.payment_id for r in await uow.screenings.for_case("k-002")] == ["p-003", "p-002", "p-001"]
        report = await uow.cases.for_conversation("v-9")
        assert report is not None and (report.id, report.kind, report.payment_id) == ("k-004", "report", None)
        assert await uow.cases.for_conversation("v-0") is None
        pending = await uow.cases.get("k-001")
        assert pending is not None
        pending.status = "pending_approval"
        pending.release_requested_by = "li"
        assert await uow.cases.save_if(pending, "open") is True
        await uow.commit()
    async with stores.uow() as uow:
        expired = await uow.cases.expired_holds(T0 + timedelta(hours=2), 10)
        assert "k-001" in expired
        stored = await uow.cases.get("k-001")
        assert stored is not None and (stored.status, stored.release_requested_by) == (
            "pending_approval",
            "li",
        )


async def test_family_alert_retries_are_claimed_once(stores: Stores) -> None:
    """A failed alert is due at its retry time; claiming clears it once; a saved alert round-trips."""
    retry = T0 + timedelta(minutes=1)
    failed = FamilyAlert(
        "fa-1", "k-001", "case_dissuaded", "王强", "13987654321", "中", "en", T0, False, "503", "en", 1, retry
    )
    async with stores.uow() as uow:
        await uow.cases.add(mk.case(1))
        await uow.cases.add_alert(failed)
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.cases.alerts_due(T0, 10) == []
        assert await uow.cases.alerts_due(retry, 10) == ["fa-1"]
        assert await uow.cases.claim_alert("fa-1", retry) is True
        assert await uow.cases.claim_alert("fa-1", retry) is False
        await uow.cases.save_alert(
            dataclasses.replace(failed, delivered=True, error=None, attempts=2, retry_at=None)
        )
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.cases.alerts_due(retry, 10) == []
        got = await uow.cases.alert("fa-1")
        assert got is not None and (got.delivered, got.attempts, got.language, got.retry_at) == (
            True,
            2,
            "en",
            None,
        )
        case = await uow.cases.get("k-001")
        assert case is not None and [a.id for a in case.alerts] == ["fa-1"]


async def test_a_task_keeps_the_agent_it_is_offered_to_first(stores: Stores) -> None:
    """A transfer's preferred agent is saved with the task and read back by live() for a rebuild."""
    async with stores.uow() as uow:
        await uow.tasks.add(mk.task(1, preferred_agent_id="a-009"))
        await uow.commit()
    async with stores.uow() as uow:
        (live,) = await uow.tasks.live()
    assert live == mk.task(1, preferred_agent_id="a-009")


async def test_routing_rules_list_in_order_and_delete(stores: Stores) -> None:
    """Rules read back in position order (ties by id); a deleted rule is gone; an unknown one is False."""
    second = RoutingRule("r-2", 20, "payments", T0, channel="voice", vip=True)
    first = RoutingRule("r-1", 10, "elderly_care", T0, business_line="payments", care=True, vip=False)
    async with stores.uow() as uow:
        await uow.routing_rules.add(second)
        await uow.routing_rules.add(first)
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.routing_rules.list() == [first, second]
        assert await uow.routing_rules.delete("r-1") is True
        assert await uow.routing_rules.delete("r-404") is False
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.routing_rules.list() == [second]


async def test_a_queue_keeps_its_home_first_times(stores: Stores) -> None:
    """A queue's home-site-first seconds per priority class are saved and read back."""
    queue = Queue(
        id="vip_care",
        name="VIP care",
        business_line="payments",
        channels=("chat", "voice"),
        skills={"payments": 3},
        priority=30,
        service_level=ServiceLevel(20, 80.0),
        created_at=T0,
        updated_at=T0,
        home_first_s={"care": 5, "case": 0},
    )
    async with stores.uow() as uow:
        await uow.queues.add(queue)
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.queues.get("vip_care") == queue
        social = await uow.queues.get("social")
    assert social is not None and social.home_first_s == {}
