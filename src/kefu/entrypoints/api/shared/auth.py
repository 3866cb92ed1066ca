"""Sign-in, the caller's own identity, user administration and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from kefu.domain.commands import (
    Authenticate,
    CreateUser,
    DisableUser,
    EnableUser,
    IssueToken,
    RevokeToken,
    SetPassword,
)
from kefu.domain.users import SYSTEM_ACTOR, ApiToken, IssuedToken
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.shared.schemas import (
    ApiTokenIn,
    ApiTokenIssuedOut,
    ApiTokenOut,
    LoginIn,
    MeOut,
    Page,
    PasswordIn,
    TokenOut,
    UserIn,
    UserOut,
)
from kefu.services.shared import users as svc
from kefu.services.shared.users import whose_agent

UsernamePath = Annotated[str, Path(min_length=2, max_length=63)]

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/login", response_model=TokenOut, summary="Exchange username and password for a token")
async def login(body: LoginIn, bus: BusDep, request: Request) -> TokenOut:
    client = request.client.host if request.client is not None else None
    issued: IssuedToken = await bus.handle(Authenticate(body.username, body.password, client), SYSTEM_ACTOR)
    return TokenOut(access_token=issued.access_token, expires_at=issued.expires_at)


@router.get("/auth/me", response_model=MeOut, summary="Who the token belongs to")
async def me(ctx: ContextDep) -> MeOut:
    agent_id = await whose_agent(ctx)
    return MeOut(id=ctx.actor.user_id, username=ctx.actor.username, role=ctx.actor.role, agent_id=agent_id)


@router.post("/users", response_model=UserOut, status_code=201, summary="Create a user (admin)")
async def create_user(body: UserIn, actor: ActorDep, bus: BusDep) -> UserOut:
    user = await bus.handle(CreateUser(body.username, body.password, body.role, tuple(body.sites)), actor)
    return UserOut.model_validate(user)


@router.get("/users", response_model=Page[UserOut], summary="List users, oldest first (admin)")
async def list_users(ctx: ContextDep, page: PageDep) -> Page[UserOut]:
    result = await svc.list_users(ctx, page.after, page.limit)
    return Page[UserOut](
        items=[UserOut.model_validate(u) for u in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/users/{username}/disable",
    response_model=UserOut,
    summary="Disable a user; its sessions and API tokens stop working at once (admin)",
)
async def disable_user(username: UsernamePath, actor: ActorDep, bus: BusDep) -> UserOut:
    return UserOut.model_validate(await bus.handle(DisableUser(username), actor))


@router.post("/users/{username}/enable", response_model=UserOut, summary="Enable a user again (admin)")
async def enable_user(username: UsernamePath, actor: ActorDep, bus: BusDep) -> UserOut:
    return UserOut.model_validate(await bus.handle(EnableUser(username), actor))


@router.put(
    "/users/{username}/password",
    response_model=UserOut,
    summary="Set a user's password; tokens issued before stop working at once (admin)",
)
async def set_password(username: UsernamePath, body: PasswordIn, actor: ActorDep, bus: BusDep) -> UserOut:
    return UserOut.model_validate(await bus.handle(SetPassword(username, body.password), actor))


def _token_out(record: ApiToken) -> dict[str, Any]:
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name in ApiToken.__dataclass_fields__
        for value in (getattr(record, name),)
    }


@router.post(
    "/tokens",
    response_model=ApiTokenIssuedOut,
    status_code=201,
    summary="Issue a named API token for an integration (admin); the token is shown only here",
)
async def issue_token(body: ApiTokenIn, actor: ActorDep, bus: BusDep) -> ApiTokenIssuedOut:
    scopes = None if body.scopes is None else tuple(body.scopes)
    issued: IssuedToken = await bus.handle(IssueToken(body.username, body.days, body.name, scopes), actor)
    assert issued.token is not None  # noqa: S101 - IssueToken always records its token
    return ApiTokenIssuedOut.model_validate({**_token_out(issued.token), "access_token": issued.access_token})


@router.get("/tokens", response_model=Page[ApiTokenOut], summary="List API tokens, oldest first (admin)")
async def list_tokens(
    ctx: ContextDep,
    page: PageDep,
    username: Annotated[
        str | None, Query(min_length=2, max_length=63, description="this user's only")
    ] = None,
) -> Page[ApiTokenOut]:
    result = await svc.list_tokens(ctx, page.after, page.limit, username)
    return Page[ApiTokenOut](
        items=[ApiTokenOut.model_validate(_token_out(t)) for t in result.items],
        next_cursor=result.next_cursor,
    )


@router.delete("/tokens/{token_id}", response_model=ApiTokenOut, summary="Revoke an API token (admin)")
async def revoke_token(
    token_id: Annotated[str, Path(min_length=1, max_length=64)], actor: ActorDep, bus: BusDep
) -> ApiTokenOut:
    return ApiTokenOut.model_validate(_token_out(await bus.handle(RevokeToken(token_id), actor)))
