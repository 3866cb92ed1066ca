"""Talk to a specialist mid-payment, and re-screening, through the bus: a warned payment is held in a case
with the customer's live contact at the top of anti-fraud, pressing twice opens nothing new, a held payment's
case takes the contact in place of its outbound call, and a re-screening is recorded without moving money."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from kefu.adapters.memory.testing import FakeWorld
from kefu.adapters.notify import RecordingPaymentWebhook
from kefu.domain import commands as c
from kefu.domain.cases import (
    LIVE_PRIORITY,
    CaseOpened,
    CaseRescreened,
    CaseSpecialistRequested,
)
from kefu.domain.customers import Customer
from kefu.domain.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from kefu.domain.events import ConversationCreated, TaskOpened
from kefu.domain.payments import (
    PaymentStatusChanged,
    RecordContactAttempt,
    RescreenCase,
    RescreenSignals,
    ResolveCase,
    ScreenPayment,
    TalkToSpecialist,
)
from kefu.domain.users import Actor
from kefu.services.screening import specialist
from tests.unit.handlers.conftest import Centre, running_centre
from tests.unit.handlers.test_screening import payment


async def _gateway(centre: Centre) -> Actor:
    return await centre.actor("gateway", "integration")


async def _warned(centre: Centre, payment_id: str = "p-w") -> Customer:
    """An elderly payer's ¥100,000 to a new 'soldier' with a bland memo: a warning (60), no case."""
    payer = await centre.customer(f"ext-{payment_id}", elderly=True, trusted_contact=True)
    record = await centre.handle(ScreenPayment(payment(payment_id, payer, memo="")))
    assert (record.decision, record.status, record.case_id) == ("warn", "warned", None)
    return payer


def _row(centre: Centre, table: str, **match: Any) -> Any:
    (row,) = [r for r in centre.store.rows(table) if all(getattr(r, k) == v for k, v in match.items())]
    return row


async def test_a_warned_payment_is_held_in_a_new_case_with_the_customer_live_on_top(centre: Centre) -> None:
    """The customer presses the button on a warning: case.opened (decide), held (from warned), the voice
    conversation at LIVE_PRIORITY on anti_fraud, case.specialist_requested; exactly those events."""
    payer = await _warned(centre)
    gateway = await _gateway(centre)
    centre.world.take_events()
    got = await centre.handle(TalkToSpecialist("p-w", "voice"), gateway)
    assert (got.status, got.opened, got.channel) == ("held", True, "voice")
    case = _row(centre, "cases", id=got.case_id)
    conversation = _row(centre, "conversations", id=got.conversation_id)
    task = _row(centre, "tasks", subject_id=got.conversation_id)
    at = case.opened_at
    centre.world.assert_events(
        CaseOpened(case.id, payer.id, "p-w", 10_000_000, "CNY", None, at, "decide"),
        PaymentStatusChanged("p-w", "held", "warned", case.id, at),
        ConversationCreated(
            conversation.id, payer.id, "payments", "voice", "anti_fraud", 10, True, conversation.created_at
        ),
        TaskOpened(
            task.id,
            "conversation",
            conversation.id,
            "anti_fraud",
            "voice",
            LIVE_PRIORITY,
            True,
            None,
            task.enqueued_at,
        ),
        CaseSpecialistRequested(case.id, "p-w", conversation.id, "voice", at),
        "task.queued",
        "queue.position_changed",  # first in line: the customer's app can show it
    )
    assert (case.kind, case.conversation_id, case.customer_id) == ("decide", conversation.id, payer.id)
    record = _row(centre, "screenings", payment_id="p-w")
    assert (record.status, record.case_id, record.hold_expires_at) == ("held", case.id, case.hold_expires_at)
    assert [t for t in centre.store.rows("tasks") if t.kind == "case"] == []  # the live contact is the work


async def test_pressing_twice_opens_nothing_new(centre: Centre) -> None:
    """A second press while the contact is live answers the same case and conversation, commits nothing."""
    await _warned(centre)
    gateway = await _gateway(centre)
    first = await centre.handle(TalkToSpecialist("p-w", "chat"), gateway)
    centre.world.take_events()
    again = await centre.handle(TalkToSpecialist("p-w", "chat"), gateway)
    assert (again.case_id, again.conversation_id, again.opened) == (
        first.case_id,
        first.conversation_id,
        False,
    )
    centre.world.assert_no_events()
    assert len(centre.store.rows("conversations")) == 1


async def test_a_held_payment_joins_its_case_in_place_of_the_outbound_call(centre: Centre) -> None:
    """A held payment's case had its own call waiting on anti_fraud: the customer's chat replaces it (the
    case task closes as customer_live); the payment stays held and no status change is told."""
    payer = await centre.customer("ext-h", elderly=True, trusted_contact=True)
    record = await centre.handle(ScreenPayment(payment("p-h", payer)))
    assert record.status == "held" and record.case_id is not None
    gateway = await _gateway(centre)
    centre.world.take_events()
    got = await centre.handle(TalkToSpecialist("p-h", "chat"), gateway)
    assert (got.case_id, got.status) == (record.case_id, "held")
    names = [n for n, _ in centre.world.take_events()]
    assert names == [
        "conversation.created",
        "task.closed",
        "task.opened",
        "case.specialist_requested",
        "task.removed",
        "task.queued",
        "queue.position_changed",
    ]
    case_task = _row(centre, "tasks", subject_id=record.case_id)
    assert (case_task.state, case_task.end_reason) == ("ended", "customer_live")
    assert _row(centre, "tasks", subject_id=got.conversation_id).priority == LIVE_PRIORITY


async def test_the_contact_goes_to_the_specialist_already_working_the_case(centre: Centre) -> None:
    """Once a specialist took the case, the customer's contact is assigned straight to them; the specialist
    who accepts a queued contact works the case."""
    agent, login = await centre.agent("li", {"payments": 3, "anti_fraud": 4}, {"voice": 1, "chat": 1})
    payer = await centre.customer("ext-a", elderly=True)
    record = await centre.handle(ScreenPayment(payment("p-a", payer)))
    (offer,) = centre.pending_offers(agent.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    got = await centre.handle(TalkToSpecialist("p-a", "chat"), await _gateway(centre))
    conversation = _row(centre, "conversations", id=got.conversation_id)
    assert (conversation.status, conversation.agent_id) == ("assigned", agent.id)
    assert _row(centre, "cases", id=record.case_id).agent_id == agent.id


async def test_the_specialist_who_accepts_the_live_contact_works_the_case(centre: Centre) -> None:
    """A warned payment's contact is offered on anti_fraud; the specialist who accepts it is the case's."""
    await _warned(centre)
    got = await centre.handle(TalkToSpecialist("p-w", "chat"), await _gateway(centre))
    agent, login = await centre.agent("li", {"payments": 3, "anti_fraud": 4}, {"voice": 1, "chat": 1})
    (offer,) = centre.pending_offers(agent.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    assert _row(centre, "cases", id=got.case_id).agent_id == agent.id


async def test_a_warned_payment_joins_the_payers_open_case(centre: Centre) -> None:
    """The payer's warning came first, then a hold opened a case: the warned payment joins it as held."""
    payer = await centre.customer("ext-j", elderly=True)
    warned = await centre.handle(ScreenPayment(payment("p-1", payer, memo="")))
    assert warned.decision == "warn", warned.score
    held = await centre.handle(
        ScreenPayment(
            payment(
                "p-2", payer, payee={"account_id": "acct-2", "name": "边防战士 王刚", "kind": "individual"}
            )
        )
    )
    assert held.decision == "hold" and held.case_id is not None
    gateway = await _gateway(centre)
    centre.world.take_events()
    got = await centre.handle(TalkToSpecialist("p-1", "chat"), gateway)
    assert (got.case_id, got.status) == (held.case_id, "held")
    names = [n for n, _ in centre.world.take_events()]
    assert names[:2] == ["payment.status_changed", "case.payment_joined"]
    assert _row(centre, "cases", id=held.case_id).amount == held.amount + warned.amount


@pytest.mark.parametrize("outcome", ["allowed", "dissuaded", "released"])
async def test_nothing_to_talk_about_is_a_conflict(centre: Centre, outcome: str) -> None:
    """An allowed payment, a cancelled one and a released one are IllegalTransition (409), with nothing
    committed."""
    payer = await centre.customer("ext-c", elderly=True)
    if outcome == "allowed":
        await centre.handle(ScreenPayment(payment("p-c", payer, amount=1_000, memo="午饭")))
    else:
        record = await centre.handle(ScreenPayment(payment("p-c", payer, amount=4_000_000)))
        assert record.status == "held" and record.case_id is not None
        if outcome == "dissuaded":
            await centre.handle(ResolveCase(record.case_id, "dissuaded"))
        else:
            await centre.handle(RecordContactAttempt(record.case_id, "reached"))
            await centre.handle(ResolveCase(record.case_id, "released", "本人确认"))
    gateway = await _gateway(centre)
    centre.world.take_events()
    with pytest.raises(IllegalTransition):
        await centre.handle(TalkToSpecialist("p-c", "chat"), gateway)
    centre.world.assert_no_events()


async def test_a_blocked_payment_with_a_resolved_case_is_decided(centre: Centre) -> None:
    """A blocked payment whose protect case was resolved has nothing left to decide: 409."""
    payer = await centre.customer("ext-b", elderly=True)
    blocked = await centre.handle(ScreenPayment(payment("p-b", payer, device={"remote_access_app": True})))
    assert blocked.status == "blocked" and blocked.case_id is not None
    gateway = await _gateway(centre)
    live = await centre.handle(TalkToSpecialist("p-b", "voice"), gateway)
    assert (live.case_id, live.status) == (blocked.case_id, "blocked")
    await centre.handle(ResolveCase(blocked.case_id, "dissuaded"))
    centre.world.take_events()
    with pytest.raises(IllegalTransition):
        await centre.handle(TalkToSpecialist("p-b", "voice"), gateway)
    centre.world.assert_no_events()


async def test_only_the_customers_side_asks_and_unknown_payments_are_not_found(centre: Centre) -> None:
    """A supervisor is Forbidden; an unknown payment id is NotFound; nothing is committed."""
    await _warned(centre)
    supervisor = await centre.actor("zhao", "supervisor")
    gateway = await _gateway(centre)
    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(TalkToSpecialist("p-w", "chat"), supervisor)
    with pytest.raises(NotFound):
        await centre.handle(TalkToSpecialist("p-none", "chat"), gateway)
    centre.world.assert_no_events()


# -- re-screening --------------------------------------------------------------------------------------------


async def test_a_rescreen_with_a_remote_access_app_raises_the_score_and_moves_no_money(
    centre: Centre,
) -> None:
    """The specialist heard of a remote-access app: the payment scores 100 (block) now; the case records it,
    its score rises and remote_access_app joins its reasons; the payment stays held; one event."""
    agent, login = await centre.agent("li", {"payments": 3, "anti_fraud": 4}, {"voice": 1, "chat": 1})
    payer = await centre.customer("ext-r", elderly=True)
    record = await centre.handle(ScreenPayment(payment("p-r", payer)))
    assert record.case_id is not None and record.score == 80
    (offer,) = centre.pending_offers(agent.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    centre.world.take_events()
    signals = RescreenSignals(remote_access_app=True)
    case = await centre.handle(RescreenCase(record.case_id, signals, "对方让她装了会议软件"), login)
    assert case.rescreen is not None
    centre.world.assert_events(
        CaseRescreened(case.id, 100, "block", 80, datetime.fromisoformat(case.rescreen["at"]))
    )
    assert (case.score, case.rescreen["decision"], case.rescreen["by"]) == (100, "block", "li")
    assert case.rescreen["payments"] == [{"payment_id": "p-r", "score": 100, "decision": "block", "was": 80}]
    assert "remote_access_app" in case.reason_codes
    assert _row(centre, "screenings", payment_id="p-r").status == "held"
    async with centre.world.uow_factory() as uow:
        actions = [e.action for e in await uow.audit.for_subject("case", case.id)]
    assert actions[-1] == "case.rescreened"


async def test_a_typology_heard_on_the_call_counts_like_the_memo(centre: Centre) -> None:
    """A warning with a bland memo, re-screened with the soldier typology, scores as the memo would (80)."""
    await _warned(centre)
    got = await centre.handle(TalkToSpecialist("p-w", "chat"), await _gateway(centre))
    signals = RescreenSignals(typologies=("impersonation_soldier",))
    case = await centre.handle(RescreenCase(got.case_id, signals))
    assert case.rescreen is not None
    assert (case.rescreen["score"], case.rescreen["typology"], case.typology) == (
        80,
        "impersonation_soldier",
        "impersonation_soldier",
    )


async def test_a_rescreen_is_refused_to_others_unknown_typologies_and_resolved_cases(centre: Centre) -> None:
    """An anti-fraud agent not working the case is Forbidden, an unknown typology is InvalidInput, a
    resolved case is IllegalTransition; none commits anything."""
    payer = await centre.customer("ext-x", elderly=True)
    record = await centre.handle(ScreenPayment(payment("p-x", payer)))
    assert record.case_id is not None
    _, other = await centre.agent("zhou", {"anti_fraud": 4}, available=False)
    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(RescreenCase(record.case_id), other)
    with pytest.raises(InvalidInput):
        await centre.handle(RescreenCase(record.case_id, RescreenSignals(typologies=("lottery",))))
    await centre.handle(ResolveCase(record.case_id, "dissuaded"))
    centre.world.take_events()
    with pytest.raises(IllegalTransition):
        await centre.handle(RescreenCase(record.case_id))
    centre.world.assert_no_events()


@pytest.mark.parametrize("payment_id", ["p-w", "p-h"])
async def test_two_presses_at_once_attach_one_contact(
    centre: Centre, payment_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two presses interleaved (both read the case before either attaches a contact; a warning, a hold)
    answer the same case and conversation: one opened it, the loser retried and found it; one conversation
    and one case exist."""
    original = specialist._open_conversation

    async def interleaved(*args: Any) -> Any:
        await asyncio.sleep(0)  # let the other press read the case too
        return await original(*args)

    monkeypatch.setattr(specialist, "_open_conversation", interleaved)
    payer = await centre.customer("ext-2x", elderly=True)
    memo = "" if payment_id == "p-w" else "给边防战士的捐款"
    await centre.handle(ScreenPayment(payment(payment_id, payer, memo=memo)))
    gateway = await _gateway(centre)
    one, two = await asyncio.gather(
        centre.handle(TalkToSpecialist(payment_id, "chat"), gateway),
        centre.handle(TalkToSpecialist(payment_id, "chat"), gateway),
    )
    assert (one.case_id, one.conversation_id) == (two.case_id, two.conversation_id)
    assert sorted([one.opened, two.opened]) == [False, True]
    assert len(centre.store.rows("conversations")) == 1
    assert len(centre.store.rows("cases")) == 1


async def test_the_gateway_is_told_a_warned_payment_is_held(world: FakeWorld) -> None:
    """With a payment webhook configured, warned → held writes a delivery like any status change: status
    held, previous warned, the case reference."""
    async with running_centre(
        world,
        payment_webhook=RecordingPaymentWebhook(),
        payment_webhook_url="http://gateway.test/kefu",
        payment_webhook_secret="a-shared-secret-of-some-length",
    ) as centre:
        await _warned(centre)
        got = await centre.handle(TalkToSpecialist("p-w", "chat"), await _gateway(centre))
        (delivery,) = centre.store.rows("payment_webhooks")
        data = delivery.body["data"]
        assert (delivery.payment_id, data["status"], data["previous"]) == ("p-w", "held", "warned")
        assert (data["case_id"], data["case_ref"]) == (got.case_id, got.case_ref)


async def test_a_payer_kefu_never_served_gets_a_bare_customer_for_the_contact(centre: Centre) -> None:
    """A warned payer known only by external_id: the press creates their customer record (audited,
    customer.created), and the case and the conversation are theirs."""
    body = {**payment("p-u", await centre.customer("ext-unused")), "payer": {"external_id": "app-user-7"}}
    record = await centre.handle(ScreenPayment(body))
    assert (record.status, record.customer_id) == ("warned", None), record.score
    got = await centre.handle(TalkToSpecialist("p-u", "chat"), await _gateway(centre))
    (customer,) = [r for r in centre.store.rows("customers") if r.external_id == "app-user-7"]
    assert _row(centre, "cases", id=got.case_id).customer_id == customer.id
    assert _row(centre, "conversations", id=got.conversation_id).customer_id == customer.id
