"""Search over the work staff may read: customers and conversations (the knowledge base has its own
``/api/v1/search``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from kefu.domain.customers import Customer
from kefu.entrypoints.api.deps import ContextDep
from kefu.entrypoints.api.shared.schemas import ConversationOut, CustomerOut, Out
from kefu.services.shared import search as svc
from kefu.services.shared.customers import is_elderly

router = APIRouter(prefix="/api/v1/search/work", tags=["conversations"])


class FoundOut(Out):
    customers: list[CustomerOut]
    conversations: list[ConversationOut]


@router.get(
    "",
    response_model=FoundOut,
    summary="Find customers (name, external id, last four phone digits) and conversations (subject)",
)
async def search_work(
    ctx: ContextDep,
    q: Annotated[str, Query(description="1 to 100 characters, no control characters")],
    limit: Annotated[int, Query(ge=1, le=svc.MAX_LIMIT, description="at most this many of each")] = 10,
) -> FoundOut:
    found = await svc.search_work(q, limit, ctx)
    customers = [
        CustomerOut.model_validate({**_fields(c), "elderly": is_elderly(c, ctx)}) for c in found.customers
    ]
    conversations = [ConversationOut.model_validate(c) for c in found.conversations]
    return FoundOut(customers=customers, conversations=conversations)


def _fields(c: Customer) -> dict[str, Any]:
    return {name: getattr(c, name) for name in Customer.__dataclass_fields__}
