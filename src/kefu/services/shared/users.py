"""Users, sign-in and API tokens."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TypeVar

from kefu.domain import events
from kefu.domain.audit import AuditEntry
from kefu.domain.commands import (
    Authenticate,
    CreateUser,
    DisableUser,
    EnableUser,
    IssueToken,
    RevokeToken,
    SetPassword,
)
from kefu.domain.errors import (
    AlreadyExists,
    IllegalTransition,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from kefu.domain.ids import new_id
from kefu.domain.users import (
    API_TOKEN_MAX_DAYS,
    Actor,
    ApiToken,
    IssuedToken,
    User,
    check_password,
    check_role,
    check_username,
)
from kefu.services.authz import GRANTS, Permission, by_base, require
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of
from kefu.services.ports import LoginThrottle, TokenIssuer, UnitOfWork

T = TypeVar("T")
_LOGGABLE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{1,62}$")
# One password hash at a time per process: Argon2 is built to use all the CPU and memory it is given, and
# several at once (the default executor runs up to six) starve the event loop of the CPU it needs to answer
# every other request. Sign-ins queue for the hasher instead.
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-argon2")


async def _off_loop(work: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_HASHER, work, *args)


class Unthrottled:
    """A throttle that admits every attempt (a bus wired without one)."""

    async def admit(self, account: str, address: str | None) -> float | None:
        return None

    async def settle(self, account: str, address: str | None, succeeded: bool) -> float:
        return 0.0


async def _check_sites(ctx: Context, role: str, sites: tuple[str, ...]) -> tuple[str, ...]:
    """A supervisor's bases: known site ids, each once (none: all bases); other roles take none."""
    if not sites:
        return ()
    if role != "supervisor":
        raise InvalidInput("only a supervisor is given bases (sites)", field="sites")
    known = {s.id for s in await ctx.uow.sites.list()}
    unknown = sorted(set(sites) - known)
    if unknown:
        raise InvalidInput(f"unknown sites {unknown}; known: {sorted(known)}", field="sites")
    return tuple(dict.fromkeys(sites))


async def create_user(cmd: CreateUser, ctx: Context) -> User:
    require(ctx.actor, "users.manage")
    username = check_username(cmd.username)
    role = check_role(cmd.role)
    password = check_password(cmd.password, strict=ctx.settings.env == "prod", username=username)
    async with ctx.uow:
        if await ctx.uow.users.by_username(username) is not None:
            raise AlreadyExists(f"user {username!r} already exists", field="username")
        sites = await _check_sites(ctx, role, cmd.sites)
        now = ctx.clock.now()
        user = User(new_id(), username, await _off_loop(ctx.hasher.hash, password), role, now)
        user.sites = sites
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
    matches = await _off_loop(ctx.hasher.verify, stored, cmd.password)
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
    """A named API token (90 days unless told, at most a year), optionally narrowed to some permissions."""
    require(ctx.actor, "users.manage")
    if not 1 <= cmd.ttl_days <= API_TOKEN_MAX_DAYS:
        raise InvalidInput(f"a token lives 1 to {API_TOKEN_MAX_DAYS} days", field="days")
    name = cmd.name.strip()
    if not 1 <= len(name) <= 64:
        raise InvalidInput("a token's name has 1 to 64 characters", field="name")
    scopes = None if cmd.scopes is None else tuple(sorted(set(cmd.scopes)))
    unknown = sorted(set(scopes or ()) - set(GRANTS))
    if unknown:
        raise InvalidInput(f"unknown scopes: {', '.join(unknown)}", field="scopes")
    async with ctx.uow:
        user = await ctx.uow.users.by_username(cmd.username)
        if user is None:
            raise NotFound("user", cmd.username)
        if not user.active:
            raise IllegalTransition("user", user.username, "disabled", "issue a token for")
        now = ctx.clock.now()
        record = ApiToken(
            new_id(), user.id, name, scopes, now, now + timedelta(days=cmd.ttl_days), ctx.actor.username
        )
        await ctx.uow.api_tokens.add(record)
        await ctx.audit(
            "token.issued",
            "user",
            user.id,
            token_id=record.id,
            name=name,
            scopes=list(scopes) if scopes is not None else None,
            expires_at=record.expires_at.isoformat(),
        )
        ctx.uow.emit(events.TokenIssued(record.id, user.id, record.expires_at, now))
        await ctx.uow.commit()
    access = ctx.tokens.issue(user, record.expires_at, "api", record.id)
    return IssuedToken(access, record.expires_at, user, record)


async def revoke_token(cmd: RevokeToken, ctx: Context) -> ApiToken:
    require(ctx.actor, "users.manage")
    async with ctx.uow:
        record = await ctx.uow.api_tokens.get(cmd.token_id)
        if record is None:
            raise NotFound("token", cmd.token_id)
        if record.revoked_at is None:
            now = ctx.clock.now()
            record.revoked_at = now
            await ctx.uow.api_tokens.save(record)
            await ctx.audit("token.revoked", "user", record.user_id, token_id=record.id, name=record.name)
            ctx.uow.emit(events.TokenRevoked(record.id, record.user_id, now))
            await ctx.uow.commit()
    return record


async def _managed_user(ctx: Context, username: str) -> User:
    require(ctx.actor, "users.manage")
    user = await ctx.uow.users.by_username(username)
    if user is None:
        raise NotFound("user", username)
    return user


async def disable_user(cmd: DisableUser, ctx: Context) -> User:
    """Disable a user and revoke every token issued to it (the token version moves on)."""
    async with ctx.uow:
        user = await _managed_user(ctx, cmd.username)
        if user.id == ctx.actor.user_id:
            raise IllegalTransition("user", user.username, "signed in", "disable yourself while")
        if user.active:
            now = ctx.clock.now()
            user.active = False
            user.token_version += 1
            await ctx.uow.users.save(user)
            await ctx.audit("user.disabled", "user", user.id, username=user.username)
            ctx.uow.emit(events.UserDisabled(user.id, now))
            await ctx.uow.commit()
    return user


async def enable_user(cmd: EnableUser, ctx: Context) -> User:
    async with ctx.uow:
        user = await _managed_user(ctx, cmd.username)
        if not user.active:
            now = ctx.clock.now()
            user.active = True
            await ctx.uow.users.save(user)
            await ctx.audit("user.enabled", "user", user.id, username=user.username)
            ctx.uow.emit(events.UserEnabled(user.id, now))
            await ctx.uow.commit()
    return user


async def set_password(cmd: SetPassword, ctx: Context) -> User:
    """A new password; every token issued before it stops working at once."""
    password = check_password(cmd.password, strict=ctx.settings.env == "prod", username=cmd.username)
    new_hash = await _off_loop(ctx.hasher.hash, password)
    async with ctx.uow:
        user = await _managed_user(ctx, cmd.username)
        now = ctx.clock.now()
        user.password_hash = new_hash
        user.token_version += 1
        await ctx.uow.users.save(user)
        await ctx.audit("user.password_changed", "user", user.id, username=user.username)
        ctx.uow.emit(events.PasswordChanged(user.id, now))
        await ctx.uow.commit()
    return user


async def list_users(ctx: Context, after: str | None, limit: int) -> Page[User]:
    require(ctx.actor, "users.manage")
    async with ctx.uow:
        return page_of(await ctx.uow.users.page(after, limit + 1), limit)


async def list_tokens(
    ctx: Context, after: str | None, limit: int, username: str | None = None
) -> Page[ApiToken]:
    """API tokens (never their secret), oldest first; of one user when ``username`` is given."""
    require(ctx.actor, "users.manage")
    async with ctx.uow:
        user_id = None
        if username is not None:
            user = await ctx.uow.users.by_username(username)
            if user is None:
                raise NotFound("user", username)
            user_id = user.id
        return page_of(await ctx.uow.api_tokens.page(after, limit + 1, user_id), limit)


async def actor_for_token(token: str, uow: UnitOfWork, tokens: TokenIssuer) -> Actor:
    """The user behind a bearer token, checked against the live record (role, active, revocation); an API
    token also against its own record (revoked, scopes)."""
    claims = tokens.verify(token)
    record: ApiToken | None = None
    async with uow:
        user = await uow.users.get(claims.user_id)
        if claims.kind == "api" and claims.token_id is not None:
            record = await uow.api_tokens.get(claims.token_id)
    if user is None or not user.active or user.token_version != claims.version:
        raise Unauthenticated("token is no longer valid")
    revoked = record is None or record.revoked_at is not None or record.user_id != user.id
    if claims.kind == "api" and revoked:
        raise Unauthenticated("token is no longer valid")
    scopes = None if record is None or record.scopes is None else frozenset(record.scopes)
    return Actor(user.id, user.username, user.role, scopes)


async def whose_agent(ctx: Context) -> str | None:
    """The agent record the caller works as, if any (agents and supervisors who take contacts)."""
    async with ctx.uow:
        agent = await ctx.uow.agents.by_user_id(ctx.actor.user_id)
    return None if agent is None else agent.id


async def bases_of(ctx: Context, permission: Permission) -> tuple[str, ...] | None:
    """The bases the actor holds ``permission`` over, when the table scopes it by base (``authz.BASES``)
    and the user has bases recorded; None: every base."""
    if not by_base(ctx.actor, permission):
        return None
    user = await ctx.uow.users.get(ctx.actor.user_id)
    return None if user is None or not user.sites else user.sites
