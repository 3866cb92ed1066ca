"""Users, sign-in and API tokens."""

from __future__ import annotations

from datetime import timedelta

from kefu.domain import events
from kefu.domain.commands import Authenticate, CreateUser, IssueToken
from kefu.domain.errors import AlreadyExists, NotFound, Unauthenticated
from kefu.domain.ids import new_id
from kefu.domain.users import Actor, IssuedToken, User, check_password, check_role, check_username
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.ports import TokenIssuer, UnitOfWork


async def create_user(cmd: CreateUser, ctx: Context) -> User:
    require(ctx.actor, "users.manage")
    username = check_username(cmd.username)
    role = check_role(cmd.role)
    password = check_password(cmd.password)
    async with ctx.uow:
        if await ctx.uow.users.by_username(username) is not None:
            raise AlreadyExists(f"user {username!r} already exists", field="username")
        now = ctx.clock.now()
        user = User(new_id(), username, ctx.hasher.hash(password), role, now)
        await ctx.uow.users.add(user)
        await ctx.audit("user.created", "user", user.id, username=username, role=role)
        ctx.uow.emit(events.UserCreated(user.id, username, role, now))
        await ctx.uow.commit()
    return user


async def authenticate(cmd: Authenticate, ctx: Context) -> IssuedToken:
    async with ctx.uow:
        user = await ctx.uow.users.by_username(cmd.username)
    if user is None:
        # Hash anyway, so an unknown username costs as long as a wrong password (no user enumeration).
        ctx.hasher.hash(cmd.password)
        raise Unauthenticated("wrong username or password")
    if not ctx.hasher.verify(user.password_hash, cmd.password) or not user.active:
        raise Unauthenticated("wrong username or password")
    expires_at = ctx.clock.now() + timedelta(seconds=ctx.settings.session_ttl_s)
    return IssuedToken(ctx.tokens.issue(user, expires_at, "session"), expires_at, user)


async def issue_token(cmd: IssueToken, ctx: Context) -> IssuedToken:
    require(ctx.actor, "users.manage")
    async with ctx.uow:
        user = await ctx.uow.users.by_username(cmd.username)
        if user is None:
            raise NotFound("user", cmd.username)
        expires_at = ctx.clock.now() + timedelta(days=cmd.ttl_days)
        token = ctx.tokens.issue(user, expires_at, "api")
        await ctx.audit("token.issued", "user", user.id, expires_at=expires_at.isoformat())
        await ctx.uow.commit()
    return IssuedToken(token, expires_at, user)


async def actor_for_token(token: str, uow: UnitOfWork, tokens: TokenIssuer) -> Actor:
    """The user behind a bearer token, checked against the live record (role, active, revocation)."""
    user_id, version = tokens.verify(token)
    async with uow:
        user = await uow.users.get(user_id)
    if user is None or not user.active or user.token_version != version:
        raise Unauthenticated("token is no longer valid")
    return Actor(user.id, user.username, user.role)


async def whose_agent(ctx: Context) -> str | None:
    """The agent record the caller works as, if any (agents and supervisors who take contacts)."""
    async with ctx.uow:
        agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
    return None if agent is None else agent.id
