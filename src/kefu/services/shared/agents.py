"""Agents: create, update, presence, read."""

from __future__ import annotations

from kefu.domain import events
from kefu.domain.agents import AWAY_REASONS, Agent, check_capacity, check_skills
from kefu.domain.commands import CreateAgent, SetPresence, UpdateAgent
from kefu.domain.errors import AlreadyExists, Forbidden, InvalidInput, NotFound
from kefu.domain.ids import new_id
from kefu.domain.vocabulary import known_skills
from kefu.services.authz import Permission, allowed, require
from kefu.services.changes import checked_changes
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of
from kefu.services.shared.users import bases_of

_UPDATABLE = frozenset({"name", "site", "skills", "capacity"})


async def _user_id_for(ctx: Context, username: str | None) -> str | None:
    """Link an agent record to the login that works it; one login, one agent."""
    if username is None:
        return None
    user = await ctx.uow.users.by_username(username)
    if user is None:
        raise InvalidInput(f"no user named {username!r}; create it first", field="username")
    if user.role not in {"agent", "supervisor"}:
        raise InvalidInput(
            f"user {username!r} has role {user.role!r}, not agent or supervisor", field="username"
        )
    if await ctx.uow.agents.by_user_id(user.id) is not None:
        raise AlreadyExists(f"user {username!r} already works as another agent", field="username")
    return user.id


async def create_agent(cmd: CreateAgent, ctx: Context) -> Agent:
    require(ctx.actor, "agents.write")
    skills = check_skills(cmd.skills, known_skills(ctx.settings.business_lines))
    capacity = check_capacity(cmd.capacity)
    async with ctx.uow:
        await ctx.check_site(cmd.site, "site")
        now = ctx.clock.now()
        agent = Agent(
            id=new_id(),
            name=cmd.name,
            site=cmd.site,
            skills=skills,
            capacity=capacity,
            created_at=now,
            updated_at=now,
            presence_since=now,
            user_id=await _user_id_for(ctx, cmd.username),
        )
        await ctx.uow.agents.add(agent)
        await ctx.audit("agent.created", "agent", agent.id, site=agent.site)
        ctx.uow.emit(events.AgentCreated(agent.id, agent.site, now))
        await ctx.uow.commit()
    return agent


async def update_agent(cmd: UpdateAgent, ctx: Context) -> Agent:
    require(ctx.actor, "agents.write")
    changes = checked_changes(cmd.changes, _UPDATABLE, required=_UPDATABLE)
    if "skills" in changes:
        changes["skills"] = check_skills(changes["skills"], known_skills(ctx.settings.business_lines))
    if "capacity" in changes:
        changes["capacity"] = check_capacity(changes["capacity"])
    async with ctx.uow:
        agent = await _load(ctx, cmd.agent_id)
        if "site" in changes:
            await ctx.check_site(changes["site"], "site")
        now = ctx.clock.now()
        for name, value in changes.items():
            setattr(agent, name, value)
        agent.updated_at = now
        await ctx.uow.agents.save(agent)
        fields = tuple(sorted(changes))
        await ctx.audit("agent.updated", "agent", agent.id, fields=list(fields))
        ctx.uow.emit(events.AgentUpdated(agent.id, fields, now))
        await ctx.uow.commit()
    return agent


async def set_presence(cmd: SetPresence, ctx: Context) -> Agent:
    async with ctx.uow:
        agent = await _load(ctx, cmd.agent_id)
        if agent.user_id != ctx.actor.user_id:
            if not allowed(ctx.actor, "agents.presence_any"):
                raise Forbidden("agents may set only their own presence")
            await check_base(ctx, "agents.presence_any", agent)
        if cmd.reason is not None and (cmd.presence != "away" or cmd.reason not in AWAY_REASONS):
            raise InvalidInput(
                f"reason goes with away only, one of {', '.join(AWAY_REASONS)}", field="reason"
            )
        previous = agent.presence
        if previous == cmd.presence and agent.presence_reason == cmd.reason:
            return agent
        now = ctx.clock.now()
        agent.presence_reason = cmd.reason
        agent.updated_at = now
        if previous != cmd.presence:
            agent.presence = cmd.presence
            agent.presence_since = now
            ctx.uow.emit(events.AgentPresenceChanged(agent.id, agent.site, cmd.presence, previous, now))
        await ctx.uow.agents.save(agent)
        await ctx.audit(
            "agent.presence", "agent", agent.id, presence=cmd.presence, previous=previous, reason=cmd.reason
        )
        await ctx.uow.commit()
    return agent


async def check_base(ctx: Context, permission: Permission, agent: Agent) -> None:
    """A supervisor given bases acts on, and reads, the agents of those bases only (403 otherwise)."""
    bases = await bases_of(ctx, permission)
    if bases is not None and agent.site not in bases:
        raise Forbidden("a supervisor acts on the agents of their own bases", permission=permission)


async def _load(ctx: Context, agent_id: str) -> Agent:
    agent = await ctx.uow.agents.get(agent_id)
    if agent is None:
        raise NotFound("agent", agent_id)
    return agent


async def get_agent(agent_id: str, ctx: Context) -> Agent:
    require(ctx.actor, "agents.read")
    async with ctx.uow:
        agent = await _load(ctx, agent_id)
        await check_base(ctx, "agents.read", agent)
    return agent


async def list_agents(after: str | None, limit: int, site: str | None, ctx: Context) -> Page[Agent]:
    require(ctx.actor, "agents.read")
    async with ctx.uow:
        bases = await bases_of(ctx, "agents.read")
        rows = await ctx.uow.agents.page(after, limit + 1, site=site, sites=bases)
    return page_of(rows, limit)
