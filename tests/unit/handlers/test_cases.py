"""Every stop reaches a human (issue 13): blocks open protect cases, a payer's stops join one case, only the
specialist working a case or a supervisor acts on it, releases need a reached contact, a reason and (when
large) a second supervisor, policy never releases protected typologies, a release clears the stop mark,
family alerts follow outcomes (and are retried), and a scam report opens a report case."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.domain import commands as c
from kefu.domain.cases import CaseOpened, CasePaymentJoined, PaymentScreened
from kefu.domain.customers import Customer, TrustedContact
from kefu.domain.errors import Forbidden, IllegalTransition, InvalidInput, NeedsContact
from kefu.domain.payments import (
    DecideRelease,
    PaymentStatusChanged,
    RecordContactAttempt,
    ResolveCase,
    ScreenPayment,
)
from kefu.domain.users import Actor
from tests.unit.handlers.conftest import Centre
from tests.unit.handlers.test_screening import payment

SPECIALIST_SKILLS = {"payments": 3, "anti_fraud": 4}


def police(payment_id: str, payer: Customer, **more: Any) -> dict[str, Any]:
    """A textbook 公检法 "safe account" transfer of ¥50,000 by an adult: held at score 65."""
    return payment(
        payment_id,
        payer,
        amount=5_000_000,
        payee={"account_id": "acct-anquan", "name": "张警官", "kind": "individual"},
        memo="转入安全账户配合调查",
        **more,
    )


def plumber(payment_id: str, payer: Customer) -> dict[str, Any]:
    """An honest ¥6,000 payment to a plumber the elderly payer never paid before."""
    return payment(
        payment_id,
        payer,
        amount=600_000,
        payee={"account_id": "acct-plumber", "name": "王师傅", "kind": "individual"},
        memo="修水管",
    )


async def _screen(centre: Centre, request: dict[str, Any]) -> Any:
    return await centre.handle(ScreenPayment(request))


async def _stored(centre: Centre, table: str) -> list[Any]:
    return list(centre.store.rows(table))


async def test_a_block_opens_a_protect_case_at_the_top_of_the_queue(centre: Centre) -> None:
    """A blocked payment (remote-access app) commits payment.screened, payment.status_changed (blocked),
    case.opened (kind protect) and the case's task; the payment stays blocked and carries the case id."""
    specialist, _ = await centre.agent("wang", SPECIALIST_SKILLS, {"voice": 1})
    payer = await centre.customer(elderly=True, trusted_contact=True)
    centre.world.take_events()
    record = await _screen(centre, payment("p-b", payer, device={"remote_access_app": True}))
    assert (record.decision, record.status) == ("block", "blocked")
    (case,) = await _stored(centre, "cases")
    centre.world.assert_events(
        PaymentScreened("p-b", "block", record.score, record.typology, case.id, record.screened_at),
        PaymentStatusChanged("p-b", "blocked", None, case.id, record.screened_at),
        CaseOpened(case.id, payer.id, "p-b", 10_000_000, "CNY", case.typology, case.opened_at, "protect"),
        "task.opened",
        "task.queued",
        "offer.created",
    )
    assert (case.kind, record.case_id, record.hold_expires_at) == ("protect", case.id, None)
    assert [o.agent_id for o in centre.pending_offers()] == [specialist.id]
    assert list(centre.notifier.sent) == []  # nobody has checked yet: no family alert


async def test_split_payments_of_one_payer_join_one_case_and_are_decided_together(centre: Centre) -> None:
    """Three ¥49,000 payments to one "soldier": one case with three payments (joined ones commit
    payment.screened, payment.status_changed and case.payment_joined only); dissuaded cancels all three and
    saves ¥147,000 once."""
    specialist, login = await centre.agent("wang", SPECIALIST_SKILLS, {"voice": 1})
    payer = await centre.customer(elderly=True, trusted_contact=True)
    first = await _screen(centre, payment("p-s1", payer, amount=4_900_000))
    assert first.decision == "hold" and first.case_id is not None
    (offer,) = centre.pending_offers(specialist.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    centre.world.take_events()
    for n in (2, 3):
        centre.clock.advance(120)
        joined = await _screen(centre, payment(f"p-s{n}", payer, amount=4_900_000))
        assert (joined.decision, joined.case_id) == ("hold", first.case_id)
        centre.world.assert_events(
            PaymentScreened(
                f"p-s{n}", "hold", joined.score, joined.typology, first.case_id, joined.screened_at
            ),
            PaymentStatusChanged(f"p-s{n}", "held", None, first.case_id, joined.screened_at),
            CasePaymentJoined(first.case_id, f"p-s{n}", "hold", 4_900_000, "CNY", joined.screened_at),
        )
    (case,) = await _stored(centre, "cases")
    assert case.amount == 14_700_000
    assert len([t for t in await _stored(centre, "tasks") if t.kind == "case"]) == 1
    await centre.handle(RecordContactAttempt(case.id, "reached"), login)
    await centre.handle(ResolveCase(case.id, "dissuaded", "三笔都是给冒充军人的骗子"), login)
    statuses = {r.payment_id: r.status for r in await _stored(centre, "screenings")}
    assert statuses == {"p-s1": "cancelled", "p-s2": "cancelled", "p-s3": "cancelled"}
    (saved,) = await _stored(centre, "funds_saved")
    assert (saved.amount, saved.case_id) == (14_700_000, case.id)


async def test_a_stop_after_the_case_closed_opens_a_new_case(centre: Centre) -> None:
    """Only an open case takes new stops: after it was resolved, the payer's next stop opens another."""
    payer = await centre.customer(elderly=True)
    first = await _screen(centre, payment("p-n1", payer, amount=4_000_000))
    await centre.handle(ResolveCase(first.case_id, "dissuaded"))
    second = await _screen(centre, payment("p-n2", payer, amount=4_000_000, payee={"account_id": "a2"}))
    assert second.case_id not in (None, first.case_id)


async def test_only_the_specialist_working_the_case_or_a_supervisor_acts_on_it(centre: Centre) -> None:
    """Another anti-fraud agent is Forbidden on a case offered to a colleague; the one it is offered to and
    a supervisor may record attempts; nothing is committed by the refusals."""
    await centre.agent("wang", SPECIALIST_SKILLS, {"voice": 1})
    await centre.agent("zhou", SPECIALIST_SKILLS, {"voice": 1})
    payer = await centre.customer(elderly=True)
    record = await _screen(centre, payment("p-o", payer))
    (offer,) = centre.pending_offers()
    logins = {a.id: a for a in await _stored(centre, "agents")}
    offered_to = logins[offer.agent_id].name
    other = "zhou" if offered_to == "wang" else "wang"
    users = {u.username: u for u in await _stored(centre, "users")}

    def login(name: str) -> Actor:
        user = users[name]
        return Actor(user.id, user.username, user.role)

    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(RecordContactAttempt(record.case_id, "no_answer"), login(other))
    with pytest.raises(Forbidden):
        await centre.handle(ResolveCase(record.case_id, "dissuaded"), login(other))
    centre.world.assert_no_events()
    await centre.handle(RecordContactAttempt(record.case_id, "busy"), login(offered_to))
    sup = await centre.actor("sup", "supervisor")
    await centre.handle(RecordContactAttempt(record.case_id, "reached"), sup)
    (case,) = await _stored(centre, "cases")
    assert case.attempts == 2


async def test_a_release_needs_a_reached_contact_and_a_reason(centre: Centre) -> None:
    """Releasing before anyone reached the payer is NeedsContact (409), without a reason InvalidInput (422);
    with both, a ¥40,000 hold (below the review amount) is released at once."""
    payer = await centre.customer(elderly=True)
    record = await _screen(centre, payment("p-r", payer, amount=4_000_000))
    sup = await centre.actor("sup", "supervisor")
    centre.world.take_events()
    with pytest.raises(NeedsContact):
        await centre.handle(ResolveCase(record.case_id, "released", "家人确认"), sup)
    centre.world.assert_no_events()
    await centre.handle(RecordContactAttempt(record.case_id, "reached"), sup)
    centre.world.take_events()
    with pytest.raises(InvalidInput):
        await centre.handle(ResolveCase(record.case_id, "released", "  "), sup)
    centre.world.assert_no_events()
    case = await centre.handle(ResolveCase(record.case_id, "released", "本人确认是给孙子的学费"), sup)
    assert (case.outcome, case.payment_outcome, case.note) == (
        "released",
        "released",
        "本人确认是给孙子的学费",
    )
    (screening,) = await _stored(centre, "screenings")
    assert screening.status == "released"


async def test_a_large_release_waits_for_a_second_supervisor(centre: Centre) -> None:
    """A ¥100,000 release asked by the specialist is pending_approval (the payment still held); the asker
    may not approve, a refusal reopens it, another supervisor's approval releases it; all audited."""
    specialist, login = await centre.agent("wang", SPECIALIST_SKILLS, {"voice": 1})
    payer = await centre.customer(elderly=True)
    record = await _screen(centre, payment("p-4", payer))
    (offer,) = centre.pending_offers(specialist.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    await centre.handle(RecordContactAttempt(record.case_id, "reached"), login)
    centre.world.take_events()
    case = await centre.handle(ResolveCase(record.case_id, "released", "本人确认购房首付"), login)
    assert (case.status, case.release_requested_by) == ("pending_approval", "wang")
    assert [n for n, _ in centre.world.take_events()] == ["case.release_requested"]
    (screening,) = await _stored(centre, "screenings")
    assert screening.status == "held"
    with pytest.raises(Forbidden):
        await centre.handle(DecideRelease(record.case_id, True), login)  # the specialist is not a supervisor
    li = await centre.actor("li.sup", "supervisor")
    case = await centre.handle(DecideRelease(record.case_id, False, "再核实一次"), li)
    assert case.status == "open"
    sup = await centre.actor("sup", "supervisor")
    await centre.handle(ResolveCase(record.case_id, "released", "二次核实：购房首付"), sup)
    with pytest.raises(Forbidden):
        await centre.handle(DecideRelease(record.case_id, True), sup)  # four eyes: not their own request
    case = await centre.handle(DecideRelease(record.case_id, True, "同意"), li)
    assert (case.status, case.outcome, case.payment_outcome) == ("resolved", "released", "released")
    with pytest.raises(IllegalTransition):
        await centre.handle(DecideRelease(record.case_id, True), li)
    async with centre.world.uow_factory() as uow:
        actions = [e.action for e in await uow.audit.for_subject("case", record.case_id)]
    assert actions.count("case.release_requested") == 2
    assert {"case.release_refused", "case.release_approved", "case.resolved"} <= set(actions)


async def test_policy_never_releases_a_police_impersonation_hold(centre: Centre) -> None:
    """A 公检法 "safe account" payment held at 65 (below the block-from score) stays blocked when its hold
    expires unreached: the typology is protected by the rule set."""
    payer = await centre.customer()
    record = await _screen(centre, police("p-police", payer))
    assert (record.decision, record.typology) == ("hold", "impersonation_official")
    assert record.score < 80
    centre.clock.advance(3601)
    assert (await centre.keeper.tick())["settled"] == 1
    (case,) = await _stored(centre, "cases")
    assert (case.outcome, case.payment_outcome, case.settled_by) == ("unreachable", "blocked", "policy")
    (screening,) = await _stored(centre, "screenings")
    assert screening.status == "blocked"


async def test_a_release_clears_the_stop_so_the_next_honest_payment_is_not_held(centre: Centre) -> None:
    """After a released hold, the same customer's ¥6,000 plumber payment is allowed: the released stop no
    longer counts as a retry after a stop (it would score 70, a hold, otherwise)."""
    payer = await centre.customer(elderly=True, trusted_contact=True)
    record = await _screen(centre, payment("p-rel", payer, amount=4_000_000))
    sup = await centre.actor("sup", "supervisor")
    await centre.handle(RecordContactAttempt(record.case_id, "reached"), sup)
    await centre.handle(ResolveCase(record.case_id, "released", "本人确认是捐给认识的战友"), sup)
    centre.clock.advance(600)
    honest = await _screen(centre, plumber("p-plumber", payer))
    assert "retry_after_stop" not in {r["code"] for r in honest.result["reasons"]}
    assert honest.decision == "allow"
    assert list(centre.notifier.sent) == []


async def test_a_stop_still_counts_while_its_case_is_not_released(centre: Centre) -> None:
    """The control: a dissuaded case keeps its stop, so a retry to a new payee scores retry_after_stop."""
    payer = await centre.customer(elderly=True)
    record = await _screen(centre, payment("p-kept", payer, amount=4_000_000))
    await centre.handle(ResolveCase(record.case_id, "dissuaded"))
    centre.clock.advance(600)
    retry = await _screen(centre, plumber("p-retry", payer))
    assert "retry_after_stop" in {r["code"] for r in retry.result["reasons"]}


async def test_family_alerts_follow_outcomes_in_the_contacts_language(centre: Centre) -> None:
    """No alert at opening or after one miss; the second miss alerts the family once (in English, the
    contact's language, not delivered: only logged); a later release sends an all clear."""
    contact = TrustedContact("Wang Fang", "+8613800000002", "daughter", "en")
    payer = await centre.customer(elderly=True, trusted_contact=False)
    await centre.handle(c.UpdateCustomer(payer.id, {"trusted_contact": contact}))
    record = await _screen(centre, payment("p-a", payer, amount=4_000_000))
    sup = await centre.actor("sup", "supervisor")
    await centre.handle(RecordContactAttempt(record.case_id, "no_answer"), sup)
    assert list(centre.notifier.sent) == []
    await centre.handle(RecordContactAttempt(record.case_id, "busy"), sup)
    await centre.handle(RecordContactAttempt(record.case_id, "no_answer"), sup)
    assert [(a.kind, a.language) for a in centre.notifier.sent] == [("unreachable", "en")]
    (stored,) = await _stored(centre, "family_alerts")
    assert (stored.delivered, stored.error) == (False, None)
    await centre.handle(RecordContactAttempt(record.case_id, "reached"), sup)
    await centre.handle(ResolveCase(record.case_id, "released", "She confirmed a gift to her grandson"), sup)
    assert [a.kind for a in centre.notifier.sent] == ["unreachable", "all_clear"]


async def test_a_release_with_no_earlier_alert_sends_nothing(centre: Centre) -> None:
    """No alert went out, so there is nothing to clear: a release alerts nobody."""
    payer = await centre.customer(elderly=True, trusted_contact=True)
    record = await _screen(centre, payment("p-q", payer, amount=4_000_000))
    sup = await centre.actor("sup", "supervisor")
    await centre.handle(RecordContactAttempt(record.case_id, "reached"), sup)
    await centre.handle(ResolveCase(record.case_id, "released", "本人确认"), sup)
    assert list(centre.notifier.sent) == []


async def test_a_failed_alert_is_retried_by_the_keeper_until_a_channel_acknowledges(centre: Centre) -> None:
    """A failing channel records the error and a retry time; the keeper's round after alert_retry_s sends
    it again, and an acknowledging channel marks it delivered."""
    payer = await centre.customer(elderly=True, trusted_contact=True)
    record = await _screen(centre, payment("p-f", payer, amount=4_000_000))

    async def down(alert: Any) -> bool:
        raise ConnectionError("sms gateway down")

    centre.notifier.send = down  # type: ignore[method-assign]
    await centre.handle(ResolveCase(record.case_id, "dissuaded"))
    (failed,) = await _stored(centre, "family_alerts")
    assert (failed.delivered, failed.error, failed.attempts) == (False, "sms gateway down", 1)
    assert failed.retry_at is not None
    del centre.notifier.send
    centre.notifier.acknowledge = True
    assert (await centre.keeper.tick())["retried"] == 0  # not due yet
    centre.clock.advance(61)
    assert (await centre.keeper.tick())["retried"] == 1
    (sent,) = await _stored(centre, "family_alerts")
    assert (sent.delivered, sent.error, sent.attempts, sent.retry_at) == (True, None, 2, None)
    assert (await centre.keeper.tick())["retried"] == 0


async def test_a_scam_report_opens_a_report_case_on_the_anti_fraud_queue(centre: Centre) -> None:
    """A scam_report conversation waits on anti_fraud at case priority (not payments at 0) with a report
    case attached (typology from the words); the specialist who accepts the conversation works the case."""
    specialist, login = await centre.agent("wang", SPECIALIST_SKILLS, {"voice": 1, "chat": 1})
    customer = await centre.customer()
    centre.world.take_events()
    conversation = await centre.handle(
        c.OpenConversation(customer.id, None, "chat", text="有人冒充公安让我把钱转到安全账户，我已经转了一笔")
    )
    assert (conversation.intent, conversation.queue) == ("scam_report", "anti_fraud")
    (case,) = await _stored(centre, "cases")
    assert (case.kind, case.conversation_id, case.typology, case.payment_id) == (
        "report",
        conversation.id,
        "impersonation_official",
        None,
    )
    (task,) = await _stored(centre, "tasks")
    assert (task.kind, task.subject_id, task.queue_id, task.priority) == (
        "conversation",
        conversation.id,
        "anti_fraud",
        5,
    )
    names = [n for n, _ in centre.world.take_events()]
    assert names[names.index("conversation.created") :].count("case.opened") == 1
    (offer,) = centre.pending_offers(specialist.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    (case,) = await _stored(centre, "cases")
    assert case.agent_id == specialist.id
    await centre.handle(RecordContactAttempt(case.id, "reached", "在线沟通，已指导报警并联系银行止付"), login)
    resolved = await centre.handle(ResolveCase(case.id, "dissuaded", "客户不再转账"), login)
    assert (resolved.status, resolved.payment_outcome) == ("resolved", None)


async def test_other_conversations_assign_no_case(centre: Centre) -> None:
    """Accepting an ordinary conversation leaves the cases alone."""
    agent, login = await centre.agent("wang", {"payments": 3}, {"chat": 1})
    customer = await centre.customer()
    await centre.handle(c.OpenConversation(customer.id, "payments", "chat", text="我想查一下余额"))
    (offer,) = centre.pending_offers(agent.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    assert await _stored(centre, "cases") == []


async def test_the_payments_side_may_not_act_on_cases(centre: Centre) -> None:
    """The integration role holds no share of cases.work: Forbidden before any case is even looked up."""
    gateway = await centre.actor("gateway", "integration")
    payer = await centre.customer(elderly=True)
    record = await _screen(centre, payment("p-gw", payer))
    centre.world.take_events()
    for case_id in (record.case_id, "no-such-case"):
        with pytest.raises(Forbidden):
            await centre.handle(ResolveCase(case_id, "dissuaded"), gateway)
        with pytest.raises(Forbidden):
            await centre.handle(RecordContactAttempt(case_id, "reached"), gateway)
    with pytest.raises(Forbidden):
        await centre.handle(DecideRelease(record.case_id, True), gateway)
    centre.world.assert_no_events()


async def test_releasing_a_protect_case_lets_no_money_through(centre: Centre) -> None:
    """A ¥100,000 blocked payment's case released as a false alarm needs no second supervisor: the payment
    stays blocked, and its stop no longer counts against the payer."""
    payer = await centre.customer(elderly=True)
    record = await _screen(centre, payment("p-pr", payer, device={"remote_access_app": True}))
    assert record.decision == "block"
    sup = await centre.actor("sup", "supervisor")
    await centre.handle(RecordContactAttempt(record.case_id, "reached"), sup)
    case = await centre.handle(
        ResolveCase(record.case_id, "released", "本人在柜台办理，远程软件是银行的"), sup
    )
    assert (case.status, case.outcome, case.payment_outcome) == ("resolved", "released", "blocked")
    (screening,) = await _stored(centre, "screenings")
    assert screening.status == "blocked"
    centre.clock.advance(600)
    honest = await _screen(centre, plumber("p-after", payer))
    assert honest.decision == "allow"
