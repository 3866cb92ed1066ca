"""Users, sign-in and API tokens."""

from __future__ import annotations

import asyncio
import math
import re
from datetime import timedelta

from kefu.domain import events
from kefu.domain.audit import AuditEntry
from kefu.domain.commands import Authenticate, CreateUser, IssueToken
from kefu.domain.errors import AlreadyExists, NotFound, TooManyRequests, Unauthenticated
from kefu.domain.ids import new_id
from kefu.domain.users import Actor, IssuedToken, User, check_password, check_role, check_username
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.ports import LoginThrottle, TokenIssuer, UnitOfWork

_LOGGABLE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{1,62}$")


class Unthrottled:
    """A throttle that admits every attempt (a bus wired without one)."""

    async def admit(self, account: str, address: str | None) -> float | None:
        return None

    async def settle(self, account: str, address: str | None, succeeded: bool) -> float:
        return 0.0


async def create_user(cmd: CreateUser, ctx: Context) -> User:
    require(ctx.actor, "users.manage")
    username = check_username(cmd.username)
    role = check_role(cmd.role)
    password = check_password(cmd.password)
    async with ctx.uow:
        if await ctx.uow.users.by_username(username) is not None:
            raise AlreadyExists(f"user {username!r} already exists", field="username")
        now = ctx.clock.now()
        user = User(new_id(), username, await asyncio.to_thread(ctx.hasher.hash, password), role, now)
        await ctx.uow.users.add(user)
        await ctx.audit("user.created", "user", user.id, username=username, role=role)
        ctx.uow.emit(events.UserCreated(user.id, username, role, now))
        await ctx.uow.commit()
    return user


async def authenticate(cmd: Authenticate, ctx: Context, throttle: LoginThrottle | None = None) -> IssuedToken:
    """A session token for a right password; every attempt is throttled and audited (never the password).

    An unknown user costs the same as a wrong password (the hasher checks a dummy hash) and gets the same
    answer; argon2 runs in a worker thread so that guesses cannot stall the event loop."""
    throttle = throttle or Unthrottled()
    account = cmd.username.strip().lower()[:64]
    wait = await throttle.admit(account, cmd.client)
    if wait is not None:
        raise TooManyRequests("too many sign-in attempts; try again later", math.ceil(wait))
    async with ctx.uow:
        user = await ctx.uow.users.by_username(cmd.username)
    stored = None if user is None else user.password_hash
    matches = await asyncio.to_thread(ctx.hasher.verify, stored, cmd.password)
    ok = matches and user is not None and user.active
    locked_for_s = await throttle.settle(account, cmd.client, ok)
    async with ctx.uow:
        detail: dict[str, object] = {"client": cmd.client}
        if not ok:
            # The name typed is kept only when it could be a username: people type passwords there too.
            detail["username"] = account if _LOGGABLE_NAME.match(account) else "(not a username)"
            detail["reason"] = "inactive" if matches and user is not None else "wrong_credentials"
            detail["locked_for_s"] = math.ceil(locked_for_s)
        await ctx.uow.audit.append(
            AuditEntry(
                id=new_id(),
                at=ctx.clock.now(),
                actor=user.username if ok and user is not None else "anonymous",
                action="login.succeeded" if ok else "login.failed",
                subject_type="user",
                subject_id=user.id if user is not None else "-",
                detail=detail,
            )
        )
        await ctx.uow.commit()
    if not ok or user is None:
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
