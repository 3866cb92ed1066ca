"""The audit log, for admins and supervisors: filtered, oldest first, a cursor page at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from kefu.entrypoints.api.deps import ContextDep, PageDep
from kefu.entrypoints.api.shared.schemas import Instant, Out, Page
from kefu.services.ports import AuditFilter
from kefu.services.shared import audit as svc

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

Short = Annotated[str | None, Query(min_length=1, max_length=64)]


class AuditEntryOut(Out):
    id: str
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    detail: dict[str, Any]
    seq: int | None
    prev_hash: str | None
    hash: str | None


@router.get("", response_model=Page[AuditEntryOut], summary="Read the audit log (admin, supervisor)")
async def list_audit(
    ctx: ContextDep,
    page: PageDep,
    actor: Short = None,
    action: Short = None,
    subject_type: Short = None,
    subject_id: Short = None,
    since: Annotated[Instant | None, Query(description="entries at or after this time")] = None,
    until: Annotated[Instant | None, Query(description="entries before this time")] = None,
) -> Page[AuditEntryOut]:
    where = AuditFilter(actor, action, subject_type, subject_id, since, until)
    result = await svc.list_entries(ctx, page.after, page.limit, where)
    return Page[AuditEntryOut](
        items=[AuditEntryOut.model_validate(e) for e in result.items], next_cursor=result.next_cursor
    )
