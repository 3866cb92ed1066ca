"""A specialist who can call: full numbers on a case for the one working it, and the dialer.

Agents see phone numbers masked. On a case, the anti-fraud specialist it is offered or assigned to, and
supervisors, may reveal the payer's and the trusted contact's full number; each reveal is written to the
audit log (who, when, which case, which field). Placing a call through the ``Dialer`` port reveals the
number to the dialer alone and is audited too; the call's outcome is then recorded as a contact attempt
(``RecordContactAttempt``).
"""

from __future__ import annotations

from kefu.domain.cases import Case
from kefu.domain.customers import Customer
from kefu.domain.errors import Forbidden, NotFound, Unavailable
from kefu.domain.payments import (
    CallCaseContact,
    CaseCall,
    ContactField,
    RevealCaseContact,
    RevealedContact,
)
from kefu.domain.privacy import mask_phone
from kefu.services.authz import allowed, owned_only, require
from kefu.services.context import Context
from kefu.services.ports import Dialer
from kefu.services.screening.cases import check_case_base, works_on

_FIELD: dict[str, ContactField] = {"payer": "payer_phone", "trusted_contact": "trusted_contact_phone"}


async def _working(ctx: Context, case_id: str) -> tuple[Case, str]:
    """The case, if this actor may reveal on it (``cases.reveal``: supervisors on any case, an agent on the
    case offered or assigned to them), and the extension to call from (their username unless given)."""
    if not owned_only(ctx.actor, "cases.reveal"):
        require(ctx.actor, "cases.reveal")  # no share of it at all: refused before any read
    case = await ctx.uow.cases.get(case_id, with_history=False)
    if case is None:
        raise NotFound("case", case_id)
    owns = owned_only(ctx.actor, "cases.reveal") and await works_on(ctx, case)
    if not allowed(ctx.actor, "cases.reveal", owns=owns):
        raise Forbidden(
            "only the specialist the case is offered or assigned to sees its full numbers",
            permission="cases.reveal",
        )
    await check_case_base(ctx, "cases.reveal", case)
    return case, ctx.actor.username


def _contact(case: Case, customer: Customer | None, field: ContactField) -> tuple[str, str]:
    """(name, phone) of the field, or NotFound when the case has no such number."""
    if customer is not None and field == "payer_phone" and customer.phone:
        return customer.name, customer.phone
    if customer is not None and field == "trusted_contact_phone" and customer.trusted_contact is not None:
        return customer.trusted_contact.name, customer.trusted_contact.phone
    raise NotFound(f"{field.replace('_', ' ')} on case", case.id)


async def _number(ctx: Context, case: Case, field: ContactField) -> tuple[str, str]:
    customer = None if case.customer_id is None else await ctx.uow.customers.get(case.customer_id)
    return _contact(case, customer, field)


async def reveal_case_contact(cmd: RevealCaseContact, ctx: Context) -> RevealedContact:
    async with ctx.uow:
        case, _ = await _working(ctx, cmd.case_id)
        name, phone = await _number(ctx, case, cmd.field)
        await ctx.audit("case.contact_revealed", "case", case.id, field=cmd.field)
        await ctx.uow.commit()
    return RevealedContact(case.id, cmd.field, name, phone)


async def call_case_contact(cmd: CallCaseContact, ctx: Context, dialer: Dialer | None) -> CaseCall:
    """Dial between two transactions (no transaction waits on the telephony platform), then audit it."""
    if dialer is None:
        raise Unavailable("no dialer is configured in this process")
    field = _FIELD[cmd.target]
    async with ctx.uow:
        case, extension = await _working(ctx, cmd.case_id)
        _, phone = await _number(ctx, case, field)
    extension = cmd.extension or extension
    error: str | None = None
    try:
        result = await dialer.dial(case.id, extension, phone)
        placed, link, reference = result.placed, result.link, result.reference
    except Exception as exc:
        placed, link, reference = False, None, None
        error = (str(exc) or type(exc).__name__)[:500]
    async with ctx.uow:
        await ctx.audit(
            "case.call_placed",
            "case",
            case.id,
            target=cmd.target,
            field=field,
            extension=extension,
            placed=placed,
            reference=reference,
            error=error,
        )
        await ctx.uow.commit()
    return CaseCall(case.id, cmd.target, mask_phone(phone) or "", placed, link, reference, error)
