"""Customers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kefu.domain.commands import CreateCustomer, UpdateCustomer
from kefu.domain.customers import Customer, TrustedContact
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.shared.schemas import (
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    Page,
    TrustedContactIn,
    changes,
)
from kefu.services.context import Context
from kefu.services.shared import customers as svc

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


def _contact(tc: TrustedContactIn | None) -> TrustedContact | None:
    return None if tc is None else TrustedContact(tc.name, tc.phone, tc.relation, tc.language)


def _out(customer: Customer, ctx: Context) -> CustomerOut:
    shown = svc.present_customer(customer, ctx.actor)
    return CustomerOut.model_validate({**_fields(shown), "elderly": svc.is_elderly(customer, ctx)})


def _fields(c: Customer) -> dict[str, Any]:
    return {name: getattr(c, name) for name in Customer.__dataclass_fields__}


@router.post("", response_model=CustomerOut, status_code=201, summary="Register a customer")
async def create_customer(body: CustomerIn, bus: BusDep, actor: ActorDep) -> CustomerOut:
    cmd = CreateCustomer(
        external_id=body.external_id,
        name=body.name,
        language=body.language,
        phone=body.phone,
        birth_date=body.birth_date,
        vulnerable=body.vulnerable,
        vip=body.vip,
        trusted_contact=_contact(body.trusted_contact),
        home_site=body.home_site,
    )
    customer = await bus.handle(cmd, actor)
    return _out(customer, bus.context(actor))


@router.get("", response_model=Page[CustomerOut], summary="List customers, oldest first")
async def list_customers(ctx: ContextDep, page: PageDep) -> Page[CustomerOut]:
    result = await svc.list_customers(page.after, page.limit, ctx)
    return Page[CustomerOut](items=[_out(c, ctx) for c in result.items], next_cursor=result.next_cursor)


@router.get("/{customer_id}", response_model=CustomerOut, summary="One customer")
async def get_customer(customer_id: str, ctx: ContextDep) -> CustomerOut:
    return _out(await svc.get_customer(customer_id, ctx), ctx)


@router.patch("/{customer_id}", response_model=CustomerOut, summary="Change some of a customer's fields")
async def update_customer(customer_id: str, body: CustomerPatch, bus: BusDep, actor: ActorDep) -> CustomerOut:
    fields = changes(body)
    if "trusted_contact" in fields:
        fields["trusted_contact"] = _contact(body.trusted_contact)
    customer = await bus.handle(UpdateCustomer(customer_id, fields), actor)
    return _out(customer, bus.context(actor))
