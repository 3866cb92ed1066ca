"""Routing rules: the ordered conditions that choose a new contact's queue."""

from __future__ import annotations

from fastapi import APIRouter, Response

from kefu.domain.commands import CreateRoutingRule, DeleteRoutingRule
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep
from kefu.entrypoints.api.routing.schemas import RoutingRuleIn, RoutingRuleOut
from kefu.services.routing import rules as svc

router = APIRouter(prefix="/api/v1/routing-rules", tags=["queues"])


@router.get("", response_model=list[RoutingRuleOut], summary="The routing rules, in the order they are tried")
async def list_rules(ctx: ContextDep) -> list[RoutingRuleOut]:
    return [RoutingRuleOut.model_validate(r) for r in await svc.list_rules(ctx)]


@router.post("", response_model=RoutingRuleOut, status_code=201, summary="Add a routing rule")
async def create_rule(body: RoutingRuleIn, bus: BusDep, actor: ActorDep) -> RoutingRuleOut:
    cmd = CreateRoutingRule(
        queue=body.queue,
        position=body.position,
        business_line=body.business_line,
        channel=body.channel,
        intent=body.intent,
        language=body.language,
        care=body.care,
        vip=body.vip,
    )
    return RoutingRuleOut.model_validate(await bus.handle(cmd, actor))


@router.delete("/{rule_id}", status_code=204, response_class=Response, summary="Remove a routing rule")
async def delete_rule(rule_id: str, bus: BusDep, actor: ActorDep) -> Response:
    await bus.handle(DeleteRoutingRule(rule_id), actor)
    return Response(status_code=204)
