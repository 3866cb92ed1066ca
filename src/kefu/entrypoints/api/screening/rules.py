"""The screening rule set in force."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.domain.errors import Unavailable
from kefu.entrypoints.api.deps import ContextDep, KefuDep
from kefu.entrypoints.api.screening.schemas import RulesOut
from kefu.services.screening.screen import get_rules

router = APIRouter(prefix="/api/v1/rules", tags=["screening"])


@router.get("", response_model=RulesOut, summary="The active rule set, its version and thresholds")
async def active_rules(ctx: ContextDep, kefu: KefuDep) -> RulesOut:
    if kefu.screening is None:
        raise Unavailable("screening is not running in this process")
    active = await get_rules(ctx, kefu.screening)
    t = active.thresholds
    return RulesOut(
        seq=active.seq,
        version=active.rule_set.version,
        loaded_at=active.loaded_at,
        loaded_by=active.loaded_by,
        thresholds={"warn": t.warn, "hold": t.hold, "block": t.block},
        rule_set=active.rule_set.to_dict(),
    )
