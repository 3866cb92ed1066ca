"""Customers: create, update, read (with personal data masked for roles that do not need it)."""

from __future__ import annotations

import dataclasses

from kefu.domain import events
from kefu.domain.commands import CreateCustomer, UpdateCustomer
from kefu.domain.customers import Customer, TrustedContact, check_birth_date, check_phone
from kefu.domain.errors import AlreadyExists, Forbidden, InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.privacy import mask_phone
from kefu.domain.tasks import Task
from kefu.domain.users import Actor
from kefu.domain.vocabulary import LANGUAGES
from kefu.services.authz import allowed, require
from kefu.services.changes import checked_changes
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of
from kefu.services.shared.users import bases_of

_UPDATABLE = frozenset(
    {"name", "phone", "birth_date", "language", "vulnerable", "vip", "trusted_contact", "home_site"}
)


def _checked_contact(tc: TrustedContact | None) -> TrustedContact | None:
    if tc is None:
        return None
    phone = check_phone(tc.phone, "trusted_contact.phone")
    return dataclasses.replace(tc, phone=phone or tc.phone)


async def create_customer(cmd: CreateCustomer, ctx: Context) -> Customer:
    require(ctx.actor, "customers.write")
    now = ctx.clock.now()
    customer = Customer(
        id=new_id(),
        external_id=cmd.external_id,
        name=cmd.name,
        language=cmd.language,
        created_at=now,
        updated_at=now,
        phone=check_phone(cmd.phone),
        birth_date=check_birth_date(cmd.birth_date, ctx.local_today()),
        vulnerable=cmd.vulnerable,
        vip=cmd.vip,
        trusted_contact=_checked_contact(cmd.trusted_contact),
        home_site=cmd.home_site,
        registered_by=ctx.actor.user_id if ctx.actor.role == "integration" else None,
    )
    async with ctx.uow:
        await ctx.check_site(cmd.home_site, "home_site")
        if await ctx.uow.customers.by_external_id(cmd.external_id) is not None:
            raise AlreadyExists(
                f"a customer with external_id {cmd.external_id!r} already exists", field="external_id"
            )
        await ctx.uow.customers.add(customer)
        await ctx.audit("customer.created", "customer", customer.id, external_id=cmd.external_id, vip=cmd.vip)
        ctx.uow.emit(events.CustomerCreated(customer.id, now))
        await ctx.uow.commit()
    return customer


async def update_customer(cmd: UpdateCustomer, ctx: Context) -> Customer:
    require(ctx.actor, "customers.write")
    changes = checked_changes(cmd.changes, _UPDATABLE, required=("name", "language", "vulnerable", "vip"))
    if "phone" in changes:
        changes["phone"] = check_phone(changes["phone"])
    if "birth_date" in changes:
        changes["birth_date"] = check_birth_date(changes["birth_date"], ctx.local_today())
    if "trusted_contact" in changes:
        changes["trusted_contact"] = _checked_contact(changes["trusted_contact"])
    if changes.get("language", "zh") not in LANGUAGES:
        raise InvalidInput("language must be zh or en", field="language")
    async with ctx.uow:
        customer = await ctx.uow.customers.get(cmd.customer_id)
        if customer is None:
            raise NotFound("customer", cmd.customer_id)
        check_channel(ctx.actor, customer)
        if "home_site" in changes:
            await ctx.check_site(changes["home_site"], "home_site")
        now = ctx.clock.now()
        for name, value in changes.items():
            setattr(customer, name, value)
        customer.updated_at = now
        await ctx.uow.customers.save(customer)
        fields = tuple(sorted(changes))
        await ctx.audit("customer.updated", "customer", customer.id, fields=list(fields))
        ctx.uow.emit(events.CustomerUpdated(customer.id, fields, now))
        await ctx.uow.commit()
    return customer


def present_customer(customer: Customer, actor: Actor) -> Customer:
    """The customer as this actor may see it: phones masked unless the role needs them in full."""
    if allowed(actor, "customers.read_unmasked"):
        return customer
    tc = customer.trusted_contact
    return dataclasses.replace(
        customer,
        phone=mask_phone(customer.phone),
        trusted_contact=None if tc is None else dataclasses.replace(tc, phone=mask_phone(tc.phone) or ""),
    )


async def get_customer(customer_id: str, ctx: Context) -> Customer:
    """A customer; an agent sees only customers of its own base and of work offered or assigned to it."""
    require(ctx.actor, "customers.read")
    async with ctx.uow:
        customer = await ctx.uow.customers.get(customer_id)
        if customer is None:
            raise NotFound("customer", customer_id)
        check_channel(ctx.actor, customer)
        bases = await bases_of(ctx, "customers.read")
        if bases is not None and customer.home_site not in bases:
            raise Forbidden("a supervisor sees the customers of their own bases", permission="customers.read")
        if ctx.actor.role == "agent" and not await _agent_sees(ctx, customer):
            raise Forbidden(
                "agents see customers of their own base and of work offered or assigned to them",
                permission="customers.read",
            )
    return present_customer(customer, ctx.actor)


async def list_customers(after: str | None, limit: int, ctx: Context) -> Page[Customer]:
    """Customers oldest first; an agent pages through the customers of its own base only."""
    require(ctx.actor, "customers.read")
    async with ctx.uow:
        if ctx.actor.role == "agent":
            agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
            if agent is None:
                return Page([], None)
            rows = await ctx.uow.customers.page(after, limit + 1, home_site=agent.site)
        elif ctx.actor.role == "integration":
            rows = await ctx.uow.customers.page(after, limit + 1, integration=ctx.actor.user_id)
        elif (bases := await bases_of(ctx, "customers.read")) is not None:
            rows = await ctx.uow.customers.page(after, limit + 1, home_sites=bases)
        else:
            rows = await ctx.uow.customers.page(after, limit + 1)
    return page_of([present_customer(c, ctx.actor) for c in rows], limit)


def check_channel(actor: Actor, customer: Customer) -> None:
    """An integration acts only for the customers it registered and those staff registered."""
    if actor.role == "integration" and customer.registered_by not in (None, actor.user_id):
        raise Forbidden(
            "an integration acts only for the customers it registered", permission="customers.read"
        )


async def _agent_sees(ctx: Context, customer: Customer) -> bool:
    agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
    if agent is None:
        return False
    if customer.home_site == agent.site:
        return True
    if await ctx.uow.conversations.page(None, 1, customer_id=customer.id, agent_id=agent.id):
        return True
    offered = [await ctx.uow.tasks.get(o.task_id) for o in await ctx.uow.offers.pending(agent.id)]
    assigned = [t for t in await ctx.uow.tasks.live() if t.agent_id == agent.id]
    for task in (t for t in (*offered, *assigned) if t is not None):
        if await _customer_of(ctx, task) == customer.id:
            return True
    return False


async def _customer_of(ctx: Context, task: Task) -> str | None:
    """Whose work a task is: the customer of its conversation, callback or case."""
    if task.kind == "conversation":
        conversation = await ctx.uow.conversations.get(task.subject_id, with_messages=False)
        return None if conversation is None else conversation.customer_id
    if task.kind == "callback":
        record = await ctx.uow.callbacks.get(task.subject_id)
        return None if record is None else record.callback.customer_id
    case = await ctx.uow.cases.get(task.subject_id, with_history=False)
    return None if case is None else case.customer_id


def is_elderly(customer: Customer, ctx: Context) -> bool:
    return customer.is_elderly(ctx.local_today(), ctx.settings.elderly_age)
