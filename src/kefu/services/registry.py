"""``register``: the one table that puts every command handler (one module per job) on the bus.

Each handler takes ``(command, context)`` plus the collaborators it needs, given here by keyword (the
screening desk, the notifier, the follow-up rules); no handler reaches another job's collaborators by
importing its module. Reactions to events are small functions that turn an event into a command (or None);
``react`` subscribes them, so every change a reaction makes also goes through the door.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from kefu.care import FollowUpRules
from kefu.care import commands as care
from kefu.domain import canned as cr
from kefu.domain import commands as c
from kefu.domain import events as ev
from kefu.domain import payments as p
from kefu.domain import quality as q
from kefu.domain.cases import CaseContactAttempted, CaseResolved
from kefu.domain.commands import Command
from kefu.domain.events import Event
from kefu.domain.labels import LabelPayment
from kefu.domain.users import SYSTEM_ACTOR
from kefu.screening.commands import LoadRuleSet
from kefu.screening.model_records import PromoteModel, RetrainModel, StoreModel
from kefu.services.care import callbacks, followups, kb
from kefu.services.messagebus import MessageBus
from kefu.services.ports import Dialer, LoginThrottle, Notifier, PaymentWebhook
from kefu.services.quality import handlers as quality
from kefu.services.reports import service as reports
from kefu.services.routing import queues, rules, transfers
from kefu.services.screening import calls, cases, gateway, labels, payees, specialist
from kefu.services.screening import model as models
from kefu.services.screening import screen as screening
from kefu.services.screening.desk import ScreeningDesk
from kefu.services.shared import agents, audit, canned, conversations, customers, notes, users

E = TypeVar("E", bound=Event)


def register(
    bus: MessageBus,
    desk: ScreeningDesk,
    notifier: Notifier,
    follow_up_rules: FollowUpRules,
    payment_webhook: PaymentWebhook | None = None,
    dialer: Dialer | None = None,
    throttle: LoginThrottle | None = None,
) -> None:
    """Every command handler and every reaction of kefu outside the routing engine (which registers its own
    commands where it runs, see ``services/routing.py``). ``payment_webhook`` sends status changes to the
    payments gateway (None: none configured); ``dialer`` places the specialists' calls."""
    handlers: dict[type[Command[Any]], Any] = {
        c.CreateUser: users.create_user,
        c.Authenticate: partial(users.authenticate, throttle=throttle),
        c.IssueToken: users.issue_token,
        c.RevokeToken: users.revoke_token,
        c.CheckpointAudit: audit.checkpoint,
        c.DisableUser: users.disable_user,
        c.EnableUser: users.enable_user,
        c.SetPassword: users.set_password,
        c.CreateCustomer: customers.create_customer,
        c.UpdateCustomer: customers.update_customer,
        c.CreateAgent: agents.create_agent,
        c.UpdateAgent: agents.update_agent,
        c.SetPresence: agents.set_presence,
        c.OpenConversation: conversations.open_conversation,
        c.PostMessage: conversations.post_message,
        c.AddInternalNote: notes.add_internal_note,
        c.AssignConversation: conversations.assign_conversation,
        c.ResolveConversation: conversations.resolve_conversation,
        c.CloseConversation: conversations.close_conversation,
        c.AbandonConversation: conversations.abandon_conversation,
        c.TransferConversation: transfers.transfer_conversation,
        c.CreateRoutingRule: rules.create_rule,
        c.DeleteRoutingRule: rules.delete_rule,
        c.CreateQueue: queues.create_queue,
        c.UpdateQueue: queues.update_queue,
        care.PutArticle: kb.put_article,
        cr.CreateCannedResponse: canned.create_canned_response,
        cr.UpdateCannedResponse: canned.update_canned_response,
        cr.DeleteCannedResponse: canned.delete_canned_response,
        care.ScheduleCallback: callbacks.schedule,
        care.CancelCallback: callbacks.cancel,
        care.RecordCallbackAttempt: callbacks.record_attempt_of,
        care.TakeCallbackInstead: callbacks.take_callback_instead,
        callbacks.ClaimDueCallbacks: callbacks.claim_due,
        callbacks.DeliverCallback: callbacks.deliver,
        callbacks.StartCallbackAttempt: callbacks.start_callback_attempt,
        followups.ScheduleFollowUps: partial(followups.schedule_follow_ups, rules=follow_up_rules),
        q.RecordCsat: quality.record_csat,
        q.GiveCommendation: quality.give_commendation,
        q.FileComplaint: quality.file_complaint,
        q.HandleComplaint: quality.handle_complaint,
        reports.RollUpReports: reports.roll_up,
        p.ScreenPayment: partial(screening.screen_payment, desk=desk),
        LoadRuleSet: partial(screening.load_rules, desk=desk),
        StoreModel: partial(models.store_model, desk=desk),
        PromoteModel: partial(models.promote_model, desk=desk),
        RetrainModel: partial(models.retrain_model, desk=desk),
        p.RecordContactAttempt: cases.record_contact_attempt,
        p.ResolveCase: partial(cases.resolve_case, desk=desk),
        cases.SettleExpiredHold: partial(cases.settle_expired_hold, desk=desk),
        cases.RecontactCase: cases.recontact_case,
        cases.AssignCase: cases.assign_case,
        cases.AssignReportCase: cases.assign_report_case,
        cases.SendFamilyAlert: partial(cases.send_family_alert, notifier=notifier),
        cases.RetryFamilyAlert: partial(cases.retry_family_alert, notifier=notifier),
        p.DecideRelease: partial(cases.decide_release, desk=desk),
        p.TalkToSpecialist: specialist.talk_to_specialist,
        p.RescreenCase: partial(specialist.rescreen_case, desk=desk),
        p.ReportPayee: partial(payees.report_payee, desk=desk),
        p.SetTrustedPayees: payees.set_trusted_payees,
        LabelPayment: labels.label_payment,
        p.AddToWatchlist: partial(payees.add_to_watchlist, desk=desk),
        p.RemoveFromWatchlist: partial(payees.remove_from_watchlist, desk=desk),
        p.RevealCaseContact: calls.reveal_case_contact,
        p.CallCaseContact: partial(calls.call_case_contact, dialer=dialer),
        gateway.ClaimPaymentWebhooks: gateway.claim_payment_webhooks,
        gateway.DeliverPaymentWebhook: partial(gateway.deliver_payment_webhook, sender=payment_webhook),
    }
    for command_type, handler in handlers.items():
        bus.register(command_type, handler)
    react(bus, ev.TaskAssigned, callbacks.on_task_assigned)
    react(bus, ev.TaskAssigned, cases.on_task_assigned)
    react(bus, CaseContactAttempted, cases.on_case_contact_attempted)
    react(bus, CaseResolved, cases.on_case_resolved)
    react(bus, CaseResolved, followups.on_case_resolved)
    react(bus, ev.ConversationResolved, followups.on_conversation_resolved)


def react(bus: MessageBus, event_type: type[E], reaction: Callable[[E], Command[Any] | None]) -> None:
    """Subscribe a reaction: the command it returns for an event is handled as the system."""

    async def handle(event: E) -> None:
        command = reaction(event)
        if command is not None:
            await bus.handle(command, SYSTEM_ACTOR)

    handle.__qualname__ = f"react[{reaction.__module__}.{reaction.__qualname__}]"
    bus.subscribe(event_type, handle)
