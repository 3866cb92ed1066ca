"""Offers: work proposed to one agent, who accepts or declines before it times out."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.domain.commands import AcceptOffer, DeclineOffer
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, RouterDep
from kefu.entrypoints.api.routing.schemas import OfferDecisionOut, OfferOut

router = APIRouter(prefix="/api/v1", tags=["offers"])


@router.get("/agents/{agent_id}/offers", response_model=list[OfferOut], summary="An agent's pending offers")
async def agent_offers(agent_id: str, ctx: ContextDep, routing: RouterDep) -> list[OfferOut]:
    return [OfferOut.model_validate(card) for card in await routing.offers(agent_id, ctx)]


@router.post("/offers/{offer_id}/accept", response_model=OfferDecisionOut, summary="Take the offered work")
async def accept_offer(offer_id: str, actor: ActorDep, bus: BusDep, _routing: RouterDep) -> OfferDecisionOut:
    subject = await bus.handle(AcceptOffer(offer_id), actor)
    return OfferDecisionOut(offer_id=offer_id, status="accepted", conversation_id=subject)


@router.post(
    "/offers/{offer_id}/decline", response_model=OfferDecisionOut, summary="Pass the work to someone else"
)
async def decline_offer(offer_id: str, actor: ActorDep, bus: BusDep, _routing: RouterDep) -> OfferDecisionOut:
    await bus.handle(DeclineOffer(offer_id), actor)
    return OfferDecisionOut(offer_id=offer_id, status="declined")
