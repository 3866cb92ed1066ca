"""Customers: create, update, read (with personal data masked for roles that do not need it)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kefu.domain import events
from kefu.domain.commands import CreateCustomer, UpdateCustomer
from kefu.domain.customers import Customer, TrustedContact, check_birth_date, check_phone
from kefu.domain.errors import AlreadyExists, InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.privacy import mask_phone
from kefu.domain.users import Actor
from kefu.domain.vocabulary import LANGUAGES
from kefu.services.authz import allowed, require
from kefu.services.changes import checked_changes
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of

_UPDATABLE = frozenset(
    {"name", "phone", "birth_date", "language", "vulnerable", "trusted_contact", "home_site"}
)


def local_today(ctx: Context, now: datetime | None = None) -> date:
    """Ages are counted on the centre's local calendar day, not UTC's (of ``now``, else of the clock)."""
    return (now or ctx.clock.now()).astimezone(ZoneInfo(ctx.settings.local_timezone)).date()


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
        birth_date=check_birth_date(cmd.birth_date, local_today(ctx)),
        vulnerable=cmd.vulnerable,
        trusted_contact=_checked_contact(cmd.trusted_contact),
        home_site=cmd.home_site,
    )
    async with ctx.uow:
        await ctx.check_site(cmd.home_site, "home_site")
        if await ctx.uow.customers.by_external_id(cmd.external_id) is not None:
            raise AlreadyExists(
                f"a customer with external_id {cmd.external_id!r} already exists", field="external_id"
            )
        await ctx.uow.customers.add(customer)
        await ctx.audit("customer.created", "customer", customer.id, external_id=cmd.external_id)
        ctx.uow.emit(events.CustomerCreated(customer.id, now))
        await ctx.uow.commit()
    return customer


async def update_customer(cmd: UpdateCustomer, ctx: Context) -> Customer:
    require(ctx.actor, "customers.write")
    changes = checked_changes(cmd.changes, _UPDATABLE, required=("name", "language", "vulnerable"))
    if "phone" in changes:
        changes["phone"] = check_phone(changes["phone"])
    if "birth_date" in changes:
        changes["birth_date"] = check_birth_date(changes["birth_date"], local_today(ctx))
    if "trusted_contact" in changes:
        changes["trusted_contact"] = _checked_contact(changes["trusted_contact"])
    if changes.get("language", "zh") not in LANGUAGES:
        raise InvalidInput("language must be zh or en", field="language")
    async with ctx.uow:
        customer = await ctx.uow.customers.get(cmd.customer_id)
        if customer is None:
            raise NotFound("customer", cmd.customer_id)
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
    require(ctx.actor, "customers.read")
    async with ctx.uow:
        customer = await ctx.uow.customers.get(customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    return present_customer(customer, ctx.actor)


async def list_customers(after: str | None, limit: int, ctx: Context) -> Page[Customer]:
    require(ctx.actor, "customers.read")
    async with ctx.uow:
        rows = await ctx.uow.customers.page(after, limit + 1)
    return page_of([present_customer(c, ctx.actor) for c in rows], limit)


def is_elderly(customer: Customer, ctx: Context) -> bool:
    return customer.is_elderly(local_today(ctx), ctx.settings.elderly_age)
