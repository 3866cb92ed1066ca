"""The watchlist of scam payee accounts (screening blocks them): list, add with a reason and a source,
remove with a reason; supervisors and admins, every change audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from kefu.domain.payments import AddToWatchlist, RemoveFromWatchlist
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.screening.schemas import WatchlistEntryOut, WatchlistIn
from kefu.entrypoints.api.shared.schemas import Page
from kefu.services.screening import payees as svc

router = APIRouter(prefix="/api/v1/watchlist", tags=["screening"])


@router.get("", response_model=Page[WatchlistEntryOut], summary="Watchlisted payees, by account id")
async def list_watchlist(ctx: ContextDep, page: PageDep) -> Page[WatchlistEntryOut]:
    result = await svc.watchlist_page(page.after, page.limit, ctx)
    return Page[WatchlistEntryOut](
        items=[WatchlistEntryOut.model_validate(e) for e in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "", response_model=WatchlistEntryOut, status_code=201, summary="Watchlist a payee: blocked at once"
)
async def add(body: WatchlistIn, bus: BusDep, actor: ActorDep) -> WatchlistEntryOut:
    entry = await bus.handle(AddToWatchlist(body.account_id, body.reason, body.source), actor)
    return WatchlistEntryOut.model_validate(entry)


@router.delete("/{account_id}", status_code=204, summary="Take a payee off the watchlist (with a reason)")
async def remove(
    account_id: str,
    bus: BusDep,
    actor: ActorDep,
    reason: Annotated[str, Query(min_length=1, max_length=2000, description="why it comes off")],
) -> Response:
    await bus.handle(RemoveFromWatchlist(account_id, reason), actor)
    return Response(status_code=204)
