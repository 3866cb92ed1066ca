"""One door: every command the bus handles commits through a unit of work and leaves its events in the
outbox, and no code outside a command handler (or an adapter) commits anything.

``EXAMPLES`` holds one example per registered command type, built on a seeded memory world; a command added
to the bus without an example here fails ``test_every_registered_command_has_an_example``.
"""

from __future__ import annotations

import ast
import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

import kefu
from kefu.adapters.memory.testing import FakeWorld
from kefu.care import commands as care
from kefu.care.records import CallbackRecord
from kefu.domain import canned as cr
from kefu.domain import commands as c
from kefu.domain import payments as p
from kefu.domain import quality as q
from kefu.domain.agents import Agent
from kefu.domain.commands import Command
from kefu.domain.conversations import Conversation
from kefu.domain.customers import Customer, TrustedContact
from kefu.domain.events import Event
from kefu.domain.labels import LabelPayment
from kefu.domain.thresholds import SetQueueThresholds
from kefu.domain.users import SYSTEM_ACTOR, Actor
from kefu.screening.commands import LoadRuleSet
from kefu.screening.model_records import PromoteModel, RetrainModel, StoreModel
from kefu.services.care import callbacks, followups
from kefu.services.messagebus import MessageBus
from kefu.services.ports import UnitOfWork
from kefu.services.reports import service as reports
from kefu.services.routing import router as routing
from kefu.services.routing.lease import AcquireRouterLease, ReleaseRouterLease
from kefu.services.screening import cases, gateway
from tests.unit.handlers.conftest import PASSWORD, START, Centre, running_centre
from tests.unit.handlers.test_models import constant_params, labelled_history
from tests.unit.handlers.test_screening import default_rule_set_source, payment

# Commands that answer without changing state, so they commit nothing.
READ_ONLY: frozenset[type[Command[Any]]] = frozenset()


@dataclass
class Seed:
    """What every example starts from: people, a waiting conversation, a held case, a scheduled callback."""

    centre: Centre
    payer: Customer
    customer: Customer
    agent: Agent
    login: Actor
    conversation: Conversation  # games chat, queued: nobody takes games
    case_id: str
    callback: CallbackRecord  # its window opens an hour from now


async def seed(centre: Centre) -> Seed:
    payer = await centre.customer("ext-payer", elderly=True, trusted_contact=True)
    customer = await centre.customer("ext-2")
    agent, login = await centre.agent("li", {"social": 3, "payments": 3, "anti_fraud": 4})
    conversation = await centre.handle(c.OpenConversation(customer.id, "games", "chat", "退款"))
    record = await centre.handle(p.ScreenPayment(payment("p-1", payer)))
    assert record.case_id is not None
    window = centre.clock.now() + timedelta(hours=1)
    callback = await centre.handle(
        care.ScheduleCallback(customer.id, "游戏充值", window, window + timedelta(hours=2))
    )
    return Seed(centre, payer, customer, agent, login, conversation, record.case_id, callback)


Example = Callable[[Seed], Awaitable[tuple[Command[Any], Actor]]]
EXAMPLES: dict[type[Command[Any]], Example] = {}


def example(command_type: type[Command[Any]]) -> Callable[[Example], Example]:
    def put(build: Example) -> Example:
        EXAMPLES[command_type] = build
        return build

    return put


def system(command: Command[Any]) -> tuple[Command[Any], Actor]:
    return command, SYSTEM_ACTOR


async def _offer_id(s: Seed) -> str:
    """A pending offer to ``li``: a social conversation."""
    await s.centre.handle(c.OpenConversation(s.customer.id, "social", "chat", "账号被盗"))
    (offer,) = [o for o in s.centre.pending_offers(s.agent.id) if o.task_id not in _case_tasks(s)]
    return str(offer.id)


def _case_tasks(s: Seed) -> set[str]:
    return {t.id for t in s.centre.store.rows("tasks") if t.kind == "case"}


async def _due_callback(s: Seed) -> tuple[str, str]:
    """Claim the seeded callback once its window opened: (token, callback id)."""
    s.centre.clock.advance(3600)
    token, ids = await s.centre.handle(callbacks.ClaimDueCallbacks())
    assert ids == [s.callback.id]
    return token, s.callback.id


# -- shared ---------------------------------------------------------------------------------------------
@example(c.CreateUser)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.CreateUser("zhao", PASSWORD, "supervisor"))


@example(c.Authenticate)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.Authenticate("li", PASSWORD))


@example(c.IssueToken)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.IssueToken("li", 30))


@example(c.CheckpointAudit)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.CheckpointAudit())


@example(c.CheckpointAuditDay)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    day = s.centre.clock.now().date()
    s.centre.clock.advance(2 * 86_400)  # the seed's day is over
    return system(c.CheckpointAuditDay(day))


@example(c.RevokeToken)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    issued = await s.centre.handle(c.IssueToken("li", 30, "gateway"))
    assert issued.token is not None
    return system(c.RevokeToken(issued.token.id))


@example(c.DisableUser)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.DisableUser("li"))


@example(c.EnableUser)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    await s.centre.handle(c.DisableUser("li"))
    return system(c.EnableUser("li"))


@example(c.SetPassword)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.SetPassword("li", "another-pass-2"))


@example(c.CreateCustomer)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.CreateCustomer("ext-new", "李四"))


@example(c.UpdateCustomer)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.UpdateCustomer(s.customer.id, {"name": "李四"}))


@example(c.CreateAgent)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.CreateAgent("wu", "chengdu", {"games": 2}, {"chat": 1}))


@example(c.UpdateAgent)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.UpdateAgent(s.agent.id, {"skills": {"social": 5}}))


@example(c.SetPresence)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return c.SetPresence(s.agent.id, "away"), s.login


@example(c.OpenConversation)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.OpenConversation(s.customer.id, "social", "chat", "账号", "我的账号被盗了"))


@example(c.PostMessage)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    gateway = await s.centre.actor("gateway", "integration")
    return c.PostMessage(s.conversation.id, "还在吗"), gateway


@example(c.AddInternalNote)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    supervisor = await s.centre.actor("zhou", "supervisor")
    return c.AddInternalNote(s.conversation.id, "客户情绪激动，请耐心"), supervisor


@example(c.AssignConversation)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.AssignConversation(s.conversation.id, s.agent.id))


@example(c.ResolveConversation)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    await s.centre.handle(c.AssignConversation(s.conversation.id, s.agent.id))
    return c.ResolveConversation(s.conversation.id, "refunded"), s.login


@example(c.CloseConversation)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    await _resolved(s)
    return system(c.CloseConversation(s.conversation.id))


@example(c.AbandonConversation)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.AbandonConversation(s.conversation.id))


@example(c.CreateQueue)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.CreateQueue("vip", "VIP", "payments", ("chat",), {"payments": 4}))


@example(c.UpdateQueue)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.UpdateQueue("games", {"priority": 5}))


@example(SetQueueThresholds)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(SetQueueThresholds("games", wait_warn_s=30, wait_alarm_s=90, waiting_alarm=10))


# -- routing --------------------------------------------------------------------------------------------
@example(c.AcceptOffer)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return c.AcceptOffer(await _offer_id(s)), s.login


@example(c.DeclineOffer)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return c.DeclineOffer(await _offer_id(s)), s.login


@example(routing.RebuildRouting)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(routing.RebuildRouting())


@example(routing.TickRouting)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    s.centre.clock.advance(21)  # the case's offer expires
    return system(routing.TickRouting())


@example(routing.RouteTask)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    now = s.centre.clock.now()
    return system(routing.RouteTask("t-x", "conversation", "c-x", "games", "chat", now, 0, False, None))


@example(routing.EndRoutingTask)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    (task,) = [t for t in s.centre.store.rows("tasks") if t.subject_id == s.conversation.id]
    return system(routing.EndRoutingTask(task.id, "abandoned"))


@example(c.CreateRoutingRule)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.CreateRoutingRule("elderly_care", business_line="payments", care=True))


@example(c.DeleteRoutingRule)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    rule = await s.centre.handle(c.CreateRoutingRule("payments", channel="voice"))
    return system(c.DeleteRoutingRule(rule.id))


@example(c.TransferConversation)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(c.TransferConversation(s.conversation.id, "social", None, "账号问题，转社交队列"))


@example(routing.AssignRoutingTask)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    (task,) = [t for t in s.centre.store.rows("tasks") if t.subject_id == s.conversation.id]
    return system(routing.AssignRoutingTask(task.id, s.agent.id))


def _in_wrap_up(s: Seed) -> None:
    """The seed's agent wrapping up a chat for 30 s (the centre's own wrap-up is 0 s)."""
    until = s.centre.clock.now().timestamp() + 30
    s.centre.router.engine.restore_wrap_up(s.agent.id, "chat", until)


@example(routing.EndWrapUp)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    _in_wrap_up(s)
    return routing.EndWrapUp(s.agent.id), s.login


@example(routing.ExtendWrapUp)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    _in_wrap_up(s)
    return routing.ExtendWrapUp(s.agent.id, 20), s.login


@example(routing.SyncAgent)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(routing.SyncAgent(s.agent.id))


@example(AcquireRouterLease)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(AcquireRouterLease("all", "router-1", 10))


@example(ReleaseRouterLease)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    lease = await s.centre.handle(AcquireRouterLease("all", "router-1", 10))
    assert lease is not None
    return system(ReleaseRouterLease("all", "router-1", lease.token))


@example(routing.SyncQueue)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(routing.SyncQueue("social"))


# -- workspace ------------------------------------------------------------------------------------------
async def _canned_id(s: Seed) -> str:
    made = await s.centre.handle(cr.CreateCannedResponse("wait", "请稍候", "{customer_name}，请稍候。", "zh"))
    return made.id


@example(cr.CreateCannedResponse)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(cr.CreateCannedResponse("greet", "问候", "您好，{customer_name}，我是{agent_name}。", "zh"))


@example(cr.UpdateCannedResponse)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(cr.UpdateCannedResponse(await _canned_id(s), "wait", "请稍候", "请稍等片刻。", "zh"))


@example(cr.DeleteCannedResponse)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(cr.DeleteCannedResponse(await _canned_id(s)))


# -- care -----------------------------------------------------------------------------------------------
@example(care.PutArticle)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(care.PutArticle("kb-x", "如何修改密码", "在设置里修改密码。", "zh", ("password",)))


@example(care.ScheduleCallback)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    window = s.centre.clock.now() + timedelta(hours=2)
    return system(care.ScheduleCallback(s.customer.id, "退款", window, window + timedelta(hours=1)))


@example(care.CancelCallback)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(care.CancelCallback(s.callback.id, "no longer needed"))


@example(care.RecordCallbackAttempt)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    token, callback_id = await _due_callback(s)
    await s.centre.handle(callbacks.DeliverCallback(callback_id, token, "w"))
    now = s.centre.clock.now()
    await s.centre.handle(callbacks.StartCallbackAttempt(callback_id, s.agent.id, now))
    return system(care.RecordCallbackAttempt(callback_id, "reached"))


@example(care.TakeCallbackInstead)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    voice = await s.centre.handle(c.OpenConversation(s.customer.id, "games", "voice", "退款"))
    s.centre.clock.advance(200)
    return system(care.TakeCallbackInstead(voice.id))


@example(callbacks.ClaimDueCallbacks)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    s.centre.clock.advance(3600)
    return system(callbacks.ClaimDueCallbacks())


@example(callbacks.DeliverCallback)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    token, callback_id = await _due_callback(s)
    return system(callbacks.DeliverCallback(callback_id, token, "w"))


@example(callbacks.StartCallbackAttempt)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    token, callback_id = await _due_callback(s)
    await s.centre.handle(callbacks.DeliverCallback(callback_id, token, "w"))
    return system(callbacks.StartCallbackAttempt(callback_id, s.agent.id, s.centre.clock.now()))


@example(followups.ScheduleFollowUps)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    now = s.centre.clock.now()
    return system(followups.ScheduleFollowUps("case_resolved", s.case_id, s.payer.id, now, "dissuaded"))


# -- quality and reports --------------------------------------------------------------------------------
async def _resolved(s: Seed) -> Conversation:
    await s.centre.handle(c.AssignConversation(s.conversation.id, s.agent.id))
    return await s.centre.handle(c.ResolveConversation(s.conversation.id, "refunded"))


@example(q.RecordCsat)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(q.RecordCsat((await _resolved(s)).id, 5))


@example(q.GiveCommendation)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    conv = await _resolved(s)
    return system(q.GiveCommendation(s.agent.id, s.customer.id, "锦旗", conv.id))


@example(q.FileComplaint)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(q.FileComplaint(s.customer.id, "attitude", "态度差", s.conversation.id))


@example(q.HandleComplaint)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    complaint = await s.centre.handle(q.FileComplaint(s.customer.id, "attitude", "态度差"))
    return system(q.HandleComplaint(complaint.id, "investigate"))


@example(reports.RollUpReports)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    s.centre.clock.advance(3600)
    return system(reports.RollUpReports(since=START - timedelta(hours=1)))


# -- screening ------------------------------------------------------------------------------------------
@example(p.ScreenPayment)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(p.ScreenPayment(payment("p-2", s.customer, amount=1_000, memo="午饭")))


@example(LoadRuleSet)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(LoadRuleSet(default_rule_set_source().replace("version:", "version: v-2 #", 1)))


@example(StoreModel)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(StoreModel(constant_params(0.3, "m-1")))


@example(PromoteModel)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    await s.centre.handle(StoreModel(constant_params(0.3, "m-1")))
    return system(PromoteModel("m-1"))


@example(RetrainModel)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    await labelled_history(s.centre)
    return system(RetrainModel("m-labels"))


@example(p.RecordContactAttempt)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(p.RecordContactAttempt(s.case_id, "no_answer"))


@example(p.ResolveCase)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(p.ResolveCase(s.case_id, "dissuaded"))


@example(cases.SettleExpiredHold)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    s.centre.clock.advance(3601)
    return system(cases.SettleExpiredHold(s.case_id))


@example(cases.RecontactCase)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    await s.centre.handle(p.RecordContactAttempt(s.case_id, "no_answer"))
    s.centre.clock.advance(301)
    return system(cases.RecontactCase(s.case_id))


@example(cases.AssignCase)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(cases.AssignCase(s.case_id, s.agent.id))


@example(cases.AssignReportCase)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    """A scam report's conversation, taken by li: the report case becomes li's."""
    conversation = await s.centre.handle(
        c.OpenConversation(s.customer.id, None, "voice", text="我被冒充公安的人骗了，已经转了一笔")
    )
    return system(cases.AssignReportCase(conversation.id, s.agent.id))


@example(cases.SendFamilyAlert)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    """A dissuaded case whose payer registered a family contact only afterwards: the alert is due now."""
    payer = await s.centre.customer("ext-late", elderly=True)
    record = await s.centre.handle(
        p.ScreenPayment(
            {**payment("p-late", payer), "payee": {"account_id": "acct-late", "kind": "individual"}}
        )
    )
    assert record.case_id is not None
    await s.centre.handle(p.ResolveCase(record.case_id, "dissuaded"))
    contact = TrustedContact("王芳", "+8613800000002", "daughter")
    await s.centre.handle(c.UpdateCustomer(payer.id, {"trusted_contact": contact}))
    return system(cases.SendFamilyAlert(record.case_id, "case_dissuaded"))


@example(cases.RetryFamilyAlert)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    """An alert that failed once is due again after alert_retry_s."""

    async def down(alert: Any) -> bool:
        raise ConnectionError("sms gateway down")

    s.centre.notifier.send = down  # type: ignore[method-assign]
    await s.centre.handle(p.ResolveCase(s.case_id, "dissuaded"))
    del s.centre.notifier.send
    (alert,) = s.centre.store.rows("family_alerts")
    assert alert.retry_at is not None
    s.centre.clock.advance(61)
    return system(cases.RetryFamilyAlert(alert.id))


@example(p.DecideRelease)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    """A ¥100,000 release asked for by one supervisor, approved by another (the system)."""
    zhao = await s.centre.actor("zhao", "supervisor")
    await s.centre.handle(p.RecordContactAttempt(s.case_id, "reached"), zhao)
    await s.centre.handle(p.ResolveCase(s.case_id, "released", "本人确认是给儿子的学费"), zhao)
    return system(p.DecideRelease(s.case_id, True, "核实无误"))


@example(p.ReportPayee)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(p.ReportPayee("acct-x", "冒充客服"))


@example(LabelPayment)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    """A chargeback shows the held payment was a scam after all."""
    gateway = await s.centre.actor("gateway", "integration")
    return LabelPayment("p-1", "scam", "chargeback", "bank chargeback 2026-77"), gateway


@example(p.SetTrustedPayees)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    gateway = await s.centre.actor("gateway", "integration")
    return p.SetTrustedPayees(s.payer.id, (p.TrustedPayee("acct-son", "儿子"),), "app"), gateway


@example(p.AddToWatchlist)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(p.AddToWatchlist("acct-mule", "police notice 2026-118", "police"))


@example(p.RemoveFromWatchlist)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    await s.centre.handle(p.AddToWatchlist("acct-mule", "police notice 2026-118", "police"))
    return system(p.RemoveFromWatchlist("acct-mule", "the bank confirmed a legitimate shop"))


async def _delivery(s: Seed) -> str:
    """A payment webhook delivery waiting to be sent (as a status change with a webhook configured writes)."""
    now = s.centre.clock.now()
    delivery = p.WebhookDelivery("wh-1", "p-1", "held", {"id": "wh-1"}, now, now)
    async with s.centre.world.uow_factory() as uow:
        await uow.webhooks.add(delivery)
        await uow.commit()
    return delivery.id


@example(gateway.ClaimPaymentWebhooks)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    await _delivery(s)
    return system(gateway.ClaimPaymentWebhooks())


@example(gateway.DeliverPaymentWebhook)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    return system(gateway.DeliverPaymentWebhook(await _delivery(s)))


@example(p.RevealCaseContact)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    sup = await s.centre.actor("zhou", "supervisor")
    return p.RevealCaseContact(s.case_id, "trusted_contact_phone"), sup


@example(p.CallCaseContact)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    (offer,) = [o for o in s.centre.pending_offers(s.agent.id) if o.task_id in _case_tasks(s)]
    await s.centre.handle(c.AcceptOffer(offer.id), s.login)
    return p.CallCaseContact(s.case_id, "payer", "8001"), s.login


@example(p.TalkToSpecialist)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    """The customer presses "联系反诈专员" on the held payment: a live chat joins its case."""
    gateway = await s.centre.actor("gateway", "integration")
    return p.TalkToSpecialist("p-1", "chat"), gateway


@example(p.RescreenCase)
async def _(s: Seed) -> tuple[Command[Any], Actor]:
    """A supervisor re-screens the held case with a remote-access app heard of on the call."""
    return system(
        p.RescreenCase(s.case_id, p.RescreenSignals(remote_access_app=True), "对方让她装了会议软件")
    )


# -- the checks -----------------------------------------------------------------------------------------
class Recorder:
    """Counts the commits of every unit of work the bus makes and keeps the events they committed, and
    records what the bus hands to this process's live listeners."""

    def __init__(self, bus: MessageBus) -> None:
        self.commits = 0
        self.committed: list[Event] = []
        self.published: list[Event] = []
        inner = bus.uow_factory

        def factory() -> UnitOfWork:
            uow = inner()
            commit, collect = uow.commit, uow.collect_events

            async def counted_commit() -> None:
                await commit()
                self.commits += 1

            def collected() -> list[Event]:
                events = collect()
                self.committed.extend(events)
                return events

            uow.commit = counted_commit  # type: ignore[method-assign]
            uow.collect_events = collected  # type: ignore[method-assign]
            return uow

        bus.uow_factory = factory
        listeners = bus.listeners

        class Listening:
            async def publish(inner_self, events: Any) -> None:
                self.published.extend(events)
                await listeners.publish(events)

        bus.listeners = Listening()


@pytest_asyncio.fixture
async def seeded(world: FakeWorld) -> Any:
    """A centre on the memory world with the seed in place and its events taken."""
    async with running_centre(world) as centre:
        made = await seed(centre)
        world.take_events()
        yield made


async def test_every_registered_command_has_an_example(seeded: Seed) -> None:
    """The table covers exactly the commands on the bus: a new command without an example fails here."""
    registered = set(seeded.centre.bus.command_types())
    missing = sorted(t.__name__ for t in registered - EXAMPLES.keys())
    extra = sorted(t.__name__ for t in EXAMPLES.keys() - registered)
    assert (missing, extra) == ([], [])


@pytest.mark.parametrize("command_type", list(EXAMPLES), ids=lambda t: t.__name__)
async def test_each_command_commits_through_a_unit_of_work_and_its_events_reach_the_outbox(
    seeded: Seed, command_type: type[Command[Any]], request: pytest.FixtureRequest
) -> None:
    """Handled through the bus, the example commits in a unit of work; every event it (and its reactions)
    committed, and every event the bus handed to the live listeners, is in the outbox."""
    centre = seeded.centre
    command, actor = await EXAMPLES[command_type](seeded)
    assert type(command) is command_type
    centre.world.take_events()
    recorder = Recorder(centre.bus)
    await centre.handle(command, actor)
    outbox = [(name, payload) for name, payload in centre.world.take_events()]
    if command_type in READ_ONLY:
        assert (recorder.commits, outbox) == (0, [])
        return
    assert recorder.commits >= 1, f"{command_type.__name__} changed nothing through a unit of work"
    committed = [(e.name, e.payload()) for e in recorder.committed]
    assert committed == outbox
    assert [(e.name, e.payload()) for e in recorder.published] == outbox


# -- the static check -----------------------------------------------------------------------------------
SRC = Path(kefu.__file__).parent
# Besides the command handlers, the routing engine's one place that saves its decisions may commit.
ALLOWED = {
    ("kefu.services.routing.router", "Router.apply"),
    ("kefu.services.routing.router", "Router._handle_rebuild"),
    # The relay only marks outbox rows sent and prunes them: delivery bookkeeping, not a change of state.
    ("kefu.services.outbox", "OutboxRelay.relay_once"),
    ("kefu.services.outbox", "OutboxRelay.prune"),
}


def _handler_functions(bus: MessageBus) -> set[tuple[str, str]]:
    """(module, qualified name) of every function registered as a command handler."""
    out: set[tuple[str, str]] = set()
    for command_type in bus.command_types():
        handler: Any = bus.handler_of(command_type)
        while isinstance(handler, functools.partial):
            handler = handler.func
        handler = getattr(handler, "__func__", handler)
        handler = inspect.unwrap(handler)
        out.add((handler.__module__, handler.__qualname__))
    return out


def _commits(path: Path) -> list[tuple[str, int]]:
    """(enclosing function's qualified name, line) of every ``<x>.commit()`` call in one module."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, [*scope, child.name])
                continue
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "commit"
                and not child.args
            ):
                found.append((".".join(scope), child.lineno))
            visit(child, scope)

    visit(ast.parse(path.read_text(encoding="utf-8")), [])
    return found


async def test_only_command_handlers_and_adapters_commit(seeded: Seed) -> None:
    """Outside the adapters, ``.commit()`` appears only in command handlers (and the router's save of its
    decisions): a periodic job, a route or a CLI command that writes beside the bus fails here."""
    allowed = _handler_functions(seeded.centre.bus) | ALLOWED
    beside: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC.parent)
        module = ".".join(relative.with_suffix("").parts)
        if module.startswith("kefu.adapters."):
            continue
        for function, line in _commits(path):
            if (module, function) not in allowed:
                beside.append(f"{relative}:{line} in {function or '<module>'}")
    assert beside == []


def test_the_static_check_sees_a_commit_beside_the_bus(tmp_path: Path) -> None:
    """The scan finds a commit in a periodic job's method, with its enclosing name."""
    job = tmp_path / "job.py"
    job.write_text(
        "class Job:\n    async def tick(self, uow):\n        await uow.commit()\n", encoding="utf-8"
    )
    assert _commits(job) == [("Job.tick", 3)]
