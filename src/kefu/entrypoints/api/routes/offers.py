"""Offers: work proposed to one agent, who accepts or declines before it times out."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.domain.errors import Unavailable
from kefu.entrypoints.api.deps import ActorDep, ContextDep, KefuDep
from kefu.entrypoints.api.schemas import OfferDecisionOut, OfferOut
from kefu.services.routing import Router

router = APIRouter(prefix="/api/v1", tags=["offers"])


def _router(kefu: KefuDep) -> Router:
    if kefu.router is None:
        raise Unavailable("routing is not running in this process")
    return kefu.router


@router.get("/agents/{agent_id}/offers", response_model=list[OfferOut], summary="An agent's pending offers")
async def agent_offers(agent_id: str, ctx: ContextDep, kefu: KefuDep) -> list[OfferOut]:
    return [OfferOut.model_validate(card) for card in await _router(kefu).offers(agent_id, ctx)]


@router.post("/offers/{offer_id}/accept", response_model=OfferDecisionOut, summary="Take the offered work")
async def accept_offer(offer_id: str, actor: ActorDep, kefu: KefuDep) -> OfferDecisionOut:
    subject = await _router(kefu).accept(offer_id, actor)
    return OfferDecisionOut(offer_id=offer_id, status="accepted", conversation_id=subject)


@router.post(
    "/offers/{offer_id}/decline", response_model=OfferDecisionOut, summary="Pass the work to someone else"
)
async def decline_offer(offer_id: str, actor: ActorDep, kefu: KefuDep) -> OfferDecisionOut:
    await _router(kefu).decline(offer_id, actor)
    return OfferDecisionOut(offer_id=offer_id, status="declined")
