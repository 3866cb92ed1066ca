"""Screening through the bus: a hold opens a case, cases are resolved or settled by policy (once, even with
two processes), recontact, family alerts, payee reports, trusted payees and rule sets."""

from __future__ import annotations

from datetime import timedelta
from importlib.resources import files
from typing import Any

import pytest

from kefu.adapters.memory.testing import FakeWorld
from kefu.domain import commands as c
from kefu.domain.cases import CaseOpened, CaseResolved, PaymentScreened
from kefu.domain.customers import Customer
from kefu.domain.errors import AlreadyExists, Forbidden, IdempotencyMismatch, IllegalTransition, NotFound
from kefu.domain.payments import (
    PaymentStatusChanged,
    RecordContactAttempt,
    ReportPayee,
    ResolveCase,
    ScreenPayment,
    SetTrustedPayees,
    TrustedPayee,
)
from kefu.screening import InvalidRuleSet
from kefu.screening.commands import LoadRuleSet
from kefu.services.screening.cases import SettleExpiredHold
from tests.unit.handlers.conftest import START, Centre, running_centre


def payment(payment_id: str, customer: Customer, amount: int = 10_000_000, **more: Any) -> dict[str, Any]:
    """A donation to a 'border soldier' (the typology of impersonated soldiers), made at 10:00 in Beijing."""
    return {
        "payment_id": payment_id,
        "payer": {"customer_id": customer.id},
        "payee": {"account_id": "acct-bf-1", "name": "边防战士 李强", "kind": "individual"},
        "amount": amount,
        "currency": "CNY",
        "channel": "transfer",
        "memo": "给边防战士的捐款",
        "created_at": START.isoformat(),
        **more,
    }


async def _held(centre: Centre, payment_id: str = "p-1") -> tuple[Customer, str]:
    """An elderly payer with a family contact whose payment is held; returns the payer and the case id."""
    payer = await centre.customer(f"ext-{payment_id}", elderly=True, trusted_contact=True)
    record = await centre.handle(ScreenPayment(payment(payment_id, payer)))
    assert record.decision == "hold" and record.case_id is not None
    centre.world.take_events()
    return payer, record.case_id


async def test_a_small_payment_is_allowed_with_one_event(centre: Centre) -> None:
    """An ordinary payment commits payment.screened (allow) and nothing else: no case, no task."""
    payer = await centre.customer()
    centre.world.take_events()
    record = await centre.handle(ScreenPayment(payment("p-0", payer, amount=1_000, memo="午饭")))
    centre.world.assert_events(
        PaymentScreened("p-0", "allow", record.score, record.typology, None, record.screened_at)
    )
    assert centre.store.rows("cases") == [] and centre.store.rows("tasks") == []


async def test_a_hold_opens_a_case_routes_it_and_alerts_nobody_yet(centre: Centre) -> None:
    """A held payment commits payment.screened, case.opened and the case's task, in that order; the task
    goes to a specialist, and the family is not alerted before anyone has checked."""
    specialist, _ = await centre.agent("wang", {"payments": 3, "anti_fraud": 4}, {"voice": 1})
    payer = await centre.customer(elderly=True, trusted_contact=True)
    centre.world.take_events()
    record = await centre.handle(ScreenPayment(payment("p-1", payer)))
    (case,) = centre.store.rows("cases")
    (task,) = centre.store.rows("tasks")
    centre.world.assert_events(
        PaymentScreened("p-1", "hold", record.score, record.typology, case.id, record.screened_at),
        PaymentStatusChanged("p-1", "held", None, case.id, record.screened_at),
        CaseOpened(case.id, payer.id, "p-1", 10_000_000, "CNY", case.typology, case.opened_at),
        "task.opened",
        "task.queued",
        "offer.created",
    )
    assert (task.kind, task.subject_id, task.queue_id) == ("case", case.id, "anti_fraud")
    assert [o.agent_id for o in centre.pending_offers()] == [specialist.id]
    assert list(centre.notifier.sent) == []
    assert record.hold_expires_at == case.hold_expires_at == case.opened_at + timedelta(seconds=3600)


async def test_the_same_payment_gets_the_stored_answer_and_nothing_new(centre: Centre) -> None:
    """Screening a payment id again answers the first decision and commits nothing."""
    payer, case_id = await _held(centre)
    again = await centre.handle(ScreenPayment(payment("p-1", payer, memo="")))
    assert (again.decision, again.case_id, again.status) == ("hold", case_id, "held")
    centre.world.assert_no_events()
    assert len(centre.store.rows("cases")) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 1_000},
        {"currency": "USD"},
        {"payee": {"account_id": "acct-other", "name": "李强"}},
        {"payer": {"external_id": "someone-else"}},
    ],
)
async def test_the_same_payment_id_for_another_payment_is_an_idempotency_mismatch(
    centre: Centre, change: dict[str, Any]
) -> None:
    """A payment id replayed with another payer, payee, amount or currency is IdempotencyMismatch (409),
    never the old answer, and commits nothing."""
    payer, _ = await _held(centre)
    with pytest.raises(IdempotencyMismatch):
        await centre.handle(ScreenPayment(payment("p-1", payer, **change)))
    centre.world.assert_no_events()
    assert len(centre.store.rows("screenings")) == 1


async def test_only_the_payments_side_screens(centre: Centre) -> None:
    """An agent screening a payment is Forbidden and nothing is stored."""
    payer = await centre.customer()
    _, agent = await centre.agent("li", {"social": 3})
    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(ScreenPayment(payment("p-9", payer)), agent)
    centre.world.assert_no_events()
    assert centre.store.rows("screenings") == []


async def test_a_specialist_resolves_a_case_and_a_second_resolve_is_a_conflict(centre: Centre) -> None:
    """ResolveCase (dissuaded) commits the task's end and case.resolved, a follow-up is scheduled, the payee
    is watchlisted and the family told; resolving again is IllegalTransition (409) with no event."""
    specialist, login = await centre.agent("wang", {"payments": 3, "anti_fraud": 4}, {"voice": 1})
    payer, case_id = await _held(centre)
    (offer,) = centre.pending_offers(specialist.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    centre.world.take_events()
    case = await centre.handle(ResolveCase(case_id, "dissuaded", "劝阻成功"), login)
    assert case.resolved_at is not None
    got = centre.world.take_events()
    assert [n for n, _ in got][:4] == [
        "payment.status_changed",
        "task.closed",
        "case.resolved",
        "task.completed",
    ]
    assert got[0] == (
        "payment.status_changed",
        PaymentStatusChanged("p-1", "cancelled", "held", case_id, case.resolved_at).payload(),
    )
    assert got[2] == (
        "case.resolved",
        CaseResolved(case_id, payer.id, "dissuaded", 10_000_000, "CNY", case.resolved_at).payload(),
    )
    assert {p.get("change") for n, p in got[4:]} == {"scheduled"}  # the follow-ups (回访)
    assert (await _screening(centre, "p-1")).status == "cancelled"
    assert [a.kind for a in centre.notifier.sent] == ["case_dissuaded"]
    async with centre.world.uow_factory() as uow:
        assert await uow.fraud.is_watchlisted("acct-bf-1")
    with pytest.raises(IllegalTransition):
        await centre.handle(ResolveCase(case_id, "released"), login)
    centre.world.assert_no_events()


async def _screening(centre: Centre, payment_id: str) -> Any:
    async with centre.world.uow_factory() as uow:
        return await uow.screenings.get(payment_id)


async def test_cases_are_worked_only_by_anti_fraud_specialists(centre: Centre) -> None:
    """An agent without the anti_fraud skill may not resolve a case; an unknown case is NotFound."""
    _, case_id = await _held(centre)
    _, plain = await centre.agent("li", {"social": 3})
    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(ResolveCase(case_id, "released"), plain)
    with pytest.raises(NotFound):
        await centre.handle(ResolveCase("no-such-case", "released"))
    centre.world.assert_no_events()


async def test_an_expired_hold_is_settled_by_policy_on_the_keeper_s_round(centre: Centre) -> None:
    """Before hold_s the keeper settles nothing; after it, the case is resolved unreachable by policy."""
    _, case_id = await _held(centre)
    assert await centre.keeper.tick() == {"settled": 0, "recontacted": 0, "retried": 0}
    centre.world.assert_no_events()
    centre.clock.advance(3601)
    assert (await centre.keeper.tick())["settled"] == 1
    assert [n for n, _ in centre.world.take_events()][:4] == [
        "payment.status_changed",
        "task.closed",
        "case.resolved",
        "task.removed",
    ]
    (case,) = centre.store.rows("cases")
    assert (case.status, case.outcome, case.settled_by) == ("resolved", "unreachable", "policy")
    assert await centre.handle(SettleExpiredHold(case_id)) is False
    centre.world.assert_no_events()


async def test_a_case_settled_by_another_process_is_not_settled_again(world: FakeWorld) -> None:
    """Two kefus on one memory store: once one has resolved the case, the other's settle answers False and
    its resolve is a Conflict, and the outbox holds one case.resolved."""
    async with running_centre(world) as one, running_centre(world) as two:
        _, case_id = await _held(one)
        await one.handle(ResolveCase(case_id, "dissuaded", "劝阻成功"))
        world.clock.advance(3601)  # type: ignore[attr-defined]
        assert await two.handle(SettleExpiredHold(case_id)) is False
        with pytest.raises(IllegalTransition):
            await two.handle(ResolveCase(case_id, "unreachable"))
        resolved = [n for n, _ in world.take_events() if n == "case.resolved"]
        assert resolved == ["case.resolved"]
        (case,) = world.store.rows("cases")
        assert (case.outcome, case.settled_by) == ("dissuaded", "agent")


async def test_a_missed_contact_frees_the_specialist_and_the_case_is_offered_again(centre: Centre) -> None:
    """no_answer commits case.contact_attempted and ends the task; after recontact_s the keeper's round
    routes the case again, once."""
    specialist, login = await centre.agent("wang", {"payments": 3, "anti_fraud": 4}, {"voice": 1})
    _, case_id = await _held(centre)
    (offer,) = centre.pending_offers(specialist.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    centre.world.take_events()
    await centre.handle(RecordContactAttempt(case_id, "no_answer"), login)
    assert [n for n, _ in centre.world.take_events()] == [
        "task.closed",
        "case.contact_attempted",
        "task.completed",
    ]
    centre.clock.advance(301)
    assert (await centre.keeper.tick())["recontacted"] == 1
    assert [n for n, _ in centre.world.take_events()][:2] == ["task.opened", "task.queued"]
    assert (await centre.keeper.tick())["recontacted"] == 0
    live = [t for t in centre.store.rows("tasks") if t.state != "ended"]
    assert [t.subject_id for t in live] == [case_id]


async def test_a_payee_report_commits_its_standing(centre: Centre) -> None:
    """ReportPayee commits payee.reported with the report count; a blank account is refused."""
    _, agent = await centre.agent("li", {"social": 3})
    centre.world.take_events()
    standing = await centre.handle(ReportPayee("acct-x", "冒充客服"), agent)
    assert (standing.reports, standing.watchlisted) == (1, False)
    assert [n for n, _ in centre.world.take_events()] == ["payee.reported"]
    assert (await centre.handle(ReportPayee("acct-x", "又来了"))).reports == 2


async def test_trusted_payees_are_stored_without_an_event(centre: Centre) -> None:
    """SetTrustedPayees replaces the list (audited with the channel, no event); only the customer's side
    may set it; an unknown customer is NotFound."""
    payer = await centre.customer()
    gateway = await centre.actor("gateway", "integration")
    centre.world.take_events()
    payees = (TrustedPayee("acct-son", "儿子"), TrustedPayee("acct-son", "儿子"))
    got = await centre.handle(SetTrustedPayees(payer.id, payees, "voice"), gateway)
    assert got == [TrustedPayee("acct-son", "儿子")]
    centre.world.assert_no_events()
    (entry,) = [e for e in centre.store.rows("audit_log") if e.action == "customer.trusted_payees_set"]
    assert (entry.actor, entry.detail["channel"], entry.detail["added"]) == ("gateway", "voice", ["acct-son"])
    for other in (await centre.actor("sup", "supervisor"), await centre.actor("root", "admin")):
        with pytest.raises(Forbidden):
            await centre.handle(SetTrustedPayees(payer.id, payees, "app"), other)
    with pytest.raises(NotFound):
        await centre.handle(SetTrustedPayees("no-such-customer", ()), gateway)


async def test_a_rule_set_is_loaded_once_per_version(centre: Centre) -> None:
    """LoadRuleSet commits rule_set.loaded with its sequence; the same version again is AlreadyExists;
    a supervisor may not load rules; nonsense is InvalidRuleSet."""
    source = default_rule_set_source().replace("version:", "version: test-2 #", 1)
    sup = await centre.actor("sup", "supervisor")
    centre.world.take_events()
    active = await centre.handle(LoadRuleSet(source))
    assert active.seq >= 1 and active.rule_set.version == "test-2"
    assert [n for n, _ in centre.world.take_events()] == ["rule_set.loaded"]
    with pytest.raises(AlreadyExists):
        await centre.handle(LoadRuleSet(source))
    with pytest.raises(Forbidden):
        await centre.handle(LoadRuleSet(source), sup)
    with pytest.raises(InvalidRuleSet):
        await centre.handle(LoadRuleSet("rules: 3"))
    centre.world.assert_no_events()


def default_rule_set_source() -> str:
    """The shipped rule set's YAML."""
    return (files("kefu.screening") / "default_rules.yaml").read_text(encoding="utf-8")
