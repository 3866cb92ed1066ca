"""Sign-in, the caller's own identity, and user administration."""

from __future__ import annotations

from fastapi import APIRouter, Request

from kefu.domain.commands import Authenticate, CreateUser
from kefu.domain.users import SYSTEM_ACTOR, IssuedToken
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep
from kefu.entrypoints.api.shared.schemas import LoginIn, MeOut, TokenOut, UserIn, UserOut
from kefu.services.shared.users import whose_agent

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
    user = await bus.handle(CreateUser(body.username, body.password, body.role), actor)
    return UserOut.model_validate(user)
