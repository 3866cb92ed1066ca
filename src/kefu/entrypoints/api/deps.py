"""Dependencies of the routes, as ``Annotated`` aliases: who is calling, and the bus to call with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kefu.bootstrap import Kefu
from kefu.domain.errors import Unauthenticated, Unavailable
from kefu.domain.users import Actor
from kefu.services.context import Context
from kefu.services.messagebus import MessageBus
from kefu.services.pagination import decode_cursor
from kefu.services.routing.remote import RoutingView
from kefu.services.shared.users import actor_for_token

_bearer = HTTPBearer(auto_error=False, description="A token from /api/v1/auth/login or `kefu token create`")


def get_kefu(request: Request) -> Kefu:
    kefu: Kefu = request.app.state.kefu
    return kefu


KefuDep = Annotated[Kefu, Depends(get_kefu)]


def get_router(kefu: KefuDep) -> RoutingView:
    """The routing engine: this process's, or (an API node) the partitions' routers; else 503."""
    routing = kefu.routing or kefu.router
    if routing is None:
        raise Unavailable("routing is not running in this process")
    return routing


RouterDep = Annotated[RoutingView, Depends(get_router)]


def get_bus(kefu: KefuDep) -> MessageBus:
    return kefu.bus


BusDep = Annotated[MessageBus, Depends(get_bus)]


async def current_actor(
    bus: BusDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated("send Authorization: Bearer <token>")
    return await actor_for_token(credentials.credentials, bus.uow_factory(), bus.tokens)


ActorDep = Annotated[Actor, Depends(current_actor)]


def get_context(bus: BusDep, actor: ActorDep) -> Context:
    return bus.context(actor)


ContextDep = Annotated[Context, Depends(get_context)]


class PageParams:
    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=200, description="items per page")] = 50,
        cursor: Annotated[
            str | None, Query(max_length=200, description="next_cursor of the previous page")
        ] = None,
    ) -> None:
        self.limit = limit
        self.after = decode_cursor(cursor)


PageDep = Annotated[PageParams, Depends()]
