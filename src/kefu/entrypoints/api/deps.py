"""Dependencies of the routes, as ``Annotated`` aliases: who is calling, and the bus to call with.

Who is calling comes from a short-lived in-process cache (token → user, role, scopes), so a request does not
read the user and token rows every time. The token itself is verified on every request (signature and
expiry). An entry lives ``KEFU_AUTH_CACHE_S`` seconds (0: no cache) and is dropped as soon as this process
commits a change of its user (disabled, enabled, new password) or of the token (revoked): the process that
disables a user refuses it at once, other processes within the cache's time.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Protocol

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kefu.bootstrap import Kefu
from kefu.domain.errors import Unauthenticated, Unavailable
from kefu.domain.events import PasswordChanged, TokenRevoked, UserDisabled, UserEnabled
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


class _UserChange(Protocol):
    @property
    def user_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class _Known:
    actor: Actor
    token_id: str | None
    until: datetime


class ActorCache:
    """Actors of recently seen tokens, each for ``ttl_s`` seconds of the bus's clock; forgotten when this
    process commits a change of the user or the token. Bounded: full, it starts again empty."""

    MAX_ENTRIES = 10_000

    def __init__(self, bus: MessageBus, ttl_s: float) -> None:
        self.bus = bus
        self.ttl = timedelta(seconds=ttl_s)
        self._known: dict[str, _Known] = {}
        bus.subscribe(UserDisabled, self._user_changed)
        bus.subscribe(UserEnabled, self._user_changed)
        bus.subscribe(PasswordChanged, self._user_changed)
        bus.subscribe(TokenRevoked, self._token_revoked)

    async def actor(self, token: str) -> Actor:
        claims = self.bus.tokens.verify(token)  # signature and expiry, every time
        now = self.bus.clock.now()
        known = self._known.get(token)
        if known is not None and now < known.until:
            return known.actor
        actor = await actor_for_token(token, self.bus.uow_factory(), self.bus.tokens)
        if self.ttl:
            if len(self._known) >= self.MAX_ENTRIES:
                self._known.clear()
            self._known[token] = _Known(actor, claims.token_id, now + self.ttl)
        return actor

    def forget(self, user_id: str | None = None, token_id: str | None = None) -> None:
        self._known = {
            token: known
            for token, known in self._known.items()
            if known.actor.user_id != user_id and (token_id is None or known.token_id != token_id)
        }

    async def _user_changed(self, event: _UserChange) -> None:
        self.forget(user_id=event.user_id)

    async def _token_revoked(self, event: TokenRevoked) -> None:
        self.forget(token_id=event.token_id)


_caches: weakref.WeakKeyDictionary[MessageBus, ActorCache] = weakref.WeakKeyDictionary()


def actor_cache(kefu: Kefu) -> ActorCache:
    """The bus's actor cache, made (and subscribed to user changes) on first use."""
    cache = _caches.get(kefu.bus)
    if cache is None:
        cache = _caches[kefu.bus] = ActorCache(kefu.bus, kefu.settings.auth_cache_s)
    return cache


async def current_actor(
    kefu: KefuDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated("send Authorization: Bearer <token>")
    return await actor_cache(kefu).actor(credentials.credentials)


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
