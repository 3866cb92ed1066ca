"""Service bases."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.entrypoints.api.deps import ContextDep
from kefu.entrypoints.api.shared.schemas import SiteOut
from kefu.services.authz import require

router = APIRouter(prefix="/api/v1", tags=["sites"])


@router.get("/sites", response_model=list[SiteOut], summary="The service bases")
async def list_sites(ctx: ContextDep) -> list[SiteOut]:
    require(ctx.actor, "sites.read")
    async with ctx.uow:
        sites = await ctx.uow.sites.list()
    return [SiteOut.model_validate(s) for s in sites]
