"""A customer who reports a scam reaches the anti-fraud desk: a report case with the conversation attached.

Triage reads "有人冒充公安让我把钱转到安全账户，我已经转了一笔" as ``scam_report``. Such a conversation does
not wait in the payments queue at priority 0: in the transaction that opens it, the conversation is routed on
the ``anti_fraud`` queue at the top case priority (the customer is waiting live, in their channel), and a
*report* case is opened carrying the conversation and the typology the customer's words speak of. The
specialist who accepts the conversation is the one working the case (``AssignReportCase``); a later call back
(after a missed attempt) is routed as the case's own task.
"""

from __future__ import annotations

from datetime import timedelta

from kefu.domain.cases import Case
from kefu.domain.conversations import Conversation
from kefu.domain.customers import Customer
from kefu.domain.ids import new_id
from kefu.screening import TYPOLOGIES, MemoLexicon
from kefu.services.context import Context
from kefu.services.screening.screen import open_case

REPORT_INTENT = "scam_report"
_LEXICON = MemoLexicon()


def reported_typology(text: str) -> str | None:
    """The first typology (in the playbooks' order) the customer's words speak of, if any."""
    named, _ = _LEXICON.match(text)
    return next((t for t in TYPOLOGIES if t in named), None)


async def open_report_case(ctx: Context, conversation: Conversation, customer: Customer, care: bool) -> Case:
    """Open a report case for a ``scam_report`` conversation in the caller's transaction; the caller routes
    the conversation itself on the anti-fraud queue (``CASE_QUEUE``) at ``REPORT_PRIORITY``."""
    now = ctx.clock.now()
    text = " ".join(m.body for m in conversation.messages if m.sender == "customer")
    case = Case(
        id=new_id(),
        payment_id=None,
        customer_id=customer.id,
        payer_id=customer.id,
        payee_account="",
        payee_name="",
        amount=0,
        currency="CNY",
        score=0,
        reasons=[],
        typology=reported_typology(f"{conversation.subject or ''} {text}"),
        rule_set_version="",
        elderly=customer.is_elderly(ctx.local_today(now), ctx.settings.elderly_age),
        opened_at=now,
        hold_expires_at=now + timedelta(seconds=ctx.settings.hold_s),
        kind="report",
        conversation_id=conversation.id,
    )
    await open_case(ctx, case, customer, care, route=False)
    return case
