"""Handlers shared by every job: users, customers, agents, conversations and queues, through the bus."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from kefu.adapters.memory.testing import FakeWorld
from kefu.domain import commands as c
from kefu.domain import events as ev
from kefu.domain.errors import (
    AlreadyExists,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from kefu.domain.queues import ServiceLevel
from kefu.domain.users import SYSTEM_ACTOR, Actor
from kefu.services import authz
from kefu.services.shared import audit
from kefu.services.shared.users import actor_for_token
from tests.unit.handlers.conftest import PASSWORD, Centre, running_centre

SECRET = "9f2c1e7ab4d85036c1e9f7a2b4d6e8f0"


async def test_an_admin_creates_a_user_and_the_event_names_it(centre: Centre) -> None:
    """CreateUser commits the user and exactly one user.created with its id, name, role and time."""
    user = await centre.handle(c.CreateUser("zhao", PASSWORD, "supervisor"))
    centre.world.assert_events(ev.UserCreated(user.id, "zhao", "supervisor", user.created_at))
    assert [u.username for u in centre.store.rows("users")] == ["zhao"]


async def test_only_an_admin_creates_users_and_a_name_is_taken_once(centre: Centre) -> None:
    """A supervisor may not create users (Forbidden); a second user of one name is AlreadyExists."""
    sup = await centre.actor("sup", "supervisor")
    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(c.CreateUser("qian", PASSWORD, "agent"), sup)
    with pytest.raises(AlreadyExists):
        await centre.handle(c.CreateUser("sup", PASSWORD, "agent"))
    centre.world.assert_no_events()


async def test_signing_in_commits_no_event_and_issuing_a_token_records_it(centre: Centre) -> None:
    """Authenticate answers a session and leaves the outbox empty; IssueToken emits token.issued."""
    await centre.actor("sun", "agent")
    centre.world.take_events()
    issued = await centre.handle(c.Authenticate("sun", PASSWORD))
    assert issued.user.username == "sun"
    with pytest.raises(Unauthenticated):
        await centre.handle(c.Authenticate("sun", "wrong-password"))
    centre.world.assert_no_events()
    api = await centre.handle(c.IssueToken("sun", 30, "gateway"))
    assert api.token is not None and api.expires_at > issued.expires_at
    centre.world.assert_events(
        ev.TokenIssued(api.token.id, issued.user.id, api.expires_at, api.token.created_at)
    )
    with pytest.raises(NotFound):
        await centre.handle(c.IssueToken("nobody"))
    centre.world.assert_no_events()


async def test_a_customer_is_created_then_updated_with_the_fields_that_changed(centre: Centre) -> None:
    """customer.created, then customer.updated naming the changed fields, each at the time it stored."""
    customer = await centre.customer()
    centre.world.assert_events(ev.CustomerCreated(customer.id, customer.created_at))
    updated = await centre.handle(c.UpdateCustomer(customer.id, {"name": "张三丰", "vulnerable": True}))
    centre.world.assert_events(ev.CustomerUpdated(customer.id, ("name", "vulnerable"), updated.updated_at))
    (stored,) = centre.store.rows("customers")
    assert (stored.name, stored.vulnerable) == ("张三丰", True)


async def test_customer_errors_commit_nothing(centre: Centre) -> None:
    """An agent may not write customers; an unknown id is NotFound; a duplicate external id AlreadyExists."""
    _, agent = await centre.agent("li", {"social": 3})
    await centre.customer("ext-1")
    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(c.CreateCustomer("ext-2", "李四"), agent)
    with pytest.raises(NotFound):
        await centre.handle(c.UpdateCustomer("no-such-customer", {"name": "x"}))
    with pytest.raises(AlreadyExists):
        await centre.customer("ext-1")
    with pytest.raises(InvalidInput):
        await centre.handle(c.CreateCustomer("ext-3", "王五", home_site="atlantis"))
    centre.world.assert_no_events()


async def test_an_agent_sets_their_own_presence_and_nobody_else_s(centre: Centre) -> None:
    """presence_changed names the old one; another agent's login: Forbidden; no change: no event."""
    agent, own = await centre.agent("li", {"social": 3}, available=False)
    _, other = await centre.agent("wu", {"social": 3}, available=False)
    centre.world.take_events()
    changed = await centre.handle(c.SetPresence(agent.id, "available"), own)
    assert changed.presence_since is not None
    centre.world.assert_events(
        ev.AgentPresenceChanged(agent.id, "shenzhen", "available", "offline", changed.presence_since)
    )
    await centre.handle(c.SetPresence(agent.id, "available"), own)
    with pytest.raises(Forbidden):
        await centre.handle(c.SetPresence(agent.id, "away"), other)
    with pytest.raises(NotFound):
        await centre.handle(c.SetPresence("no-such-agent", "away"))
    centre.world.assert_no_events()


async def test_an_agent_is_updated_and_only_managers_write_agents(centre: Centre) -> None:
    """UpdateAgent commits agent.updated with the fields; an agent's own login may not change skills."""
    agent, own = await centre.agent("li", {"social": 3})
    centre.world.take_events()
    updated = await centre.handle(c.UpdateAgent(agent.id, {"skills": {"social": 5}}))
    centre.world.assert_events(ev.AgentUpdated(agent.id, ("skills",), updated.updated_at))
    with pytest.raises(Forbidden):
        await centre.handle(c.UpdateAgent(agent.id, {"skills": {"social": 1}}), own)
    with pytest.raises(NotFound):
        await centre.handle(c.UpdateAgent("no-such-agent", {"name": "x"}))
    centre.world.assert_no_events()
    assert centre.store.rows("agents")[0].skills == {"social": 5}


async def test_opening_a_conversation_saves_it_with_its_task_and_routes_it(centre: Centre) -> None:
    """OpenConversation commits the conversation, its first message and its task; routing then offers it."""
    customer = await centre.customer()
    agent, _ = await centre.agent("li", {"social": 3})
    centre.world.take_events()
    conv = await centre.handle(
        c.OpenConversation(customer.id, "social", "chat", "账号", "我的账号被盗了怎么办")
    )
    (task,) = centre.store.rows("tasks")
    (message,) = conv.messages
    centre.world.assert_events(
        ev.ConversationCreated(conv.id, customer.id, "social", "chat", "social", 0, False, conv.created_at),
        ev.MessagePosted(conv.id, message.id, "customer", conv.created_at),
        ev.TaskOpened(task.id, "conversation", conv.id, "social", "chat", 0, False, None, task.enqueued_at),
        "task.queued",
        "offer.created",
    )
    assert (conv.status, task.state) == ("queued", "offered")
    assert [o.agent_id for o in centre.pending_offers()] == [agent.id]


async def test_open_conversation_refuses_unknown_customers_lines_and_roles(centre: Centre) -> None:
    """An unknown customer or business line is InvalidInput; an agent may not open a conversation."""
    customer = await centre.customer()
    _, agent = await centre.agent("li", {"social": 3})
    centre.world.take_events()
    with pytest.raises(InvalidInput):
        await centre.handle(c.OpenConversation("no-such-customer", "social", "chat"))
    with pytest.raises(InvalidInput):
        await centre.handle(c.OpenConversation(customer.id, "banking", "chat"))
    with pytest.raises(Forbidden):
        await centre.handle(c.OpenConversation(customer.id, "social", "chat"), agent)
    centre.world.assert_no_events()
    assert centre.store.rows("conversations") == []


async def test_assigning_by_hand_counts_against_capacity_until_resolved(centre: Centre) -> None:
    """Assign by hand: the task stays, assigned, and the engine counts it; resolving completes it."""
    customer = await centre.customer()
    conv = await centre.handle(c.OpenConversation(customer.id, "games", "chat", "退款"))
    agent, own = await centre.agent("li", {"social": 3})  # not a games agent: nothing is offered
    centre.world.take_events()
    assigned = await centre.handle(c.AssignConversation(conv.id, agent.id))
    (task,) = centre.store.rows("tasks")
    centre.world.assert_events(
        ev.TaskAssigned(task.id, "conversation", conv.id, agent.id, assigned.updated_at),
        ev.ConversationAssigned(conv.id, agent.id, assigned.updated_at),
        "task.hand_assigned",
    )
    assert (task.state, task.agent_id) == ("assigned", agent.id)
    assert centre.router.engine.agent(agent.id).load["chat"] == 1
    resolved = await centre.handle(c.ResolveConversation(conv.id, "refunded"), own)
    (task,) = centre.store.rows("tasks")
    centre.world.assert_events(
        ev.TaskClosed(task.id, "completed", task.ended_at),
        ev.ConversationResolved(conv.id, agent.id, "refunded", resolved.updated_at),
        "task.completed",
    )
    assert centre.router.engine.agent(agent.id).load["chat"] == 0
    closed = await centre.handle(c.CloseConversation(conv.id), own)
    centre.world.assert_events(ev.ConversationClosed(conv.id, closed.updated_at))


async def test_an_agent_acts_only_on_conversations_assigned_to_them(centre: Centre) -> None:
    """Replying to or resolving another agent's conversation is Forbidden and commits nothing."""
    customer = await centre.customer()
    conv = await centre.handle(c.OpenConversation(customer.id, "games", "chat", "退款"))
    agent, _ = await centre.agent("li", {"social": 3})
    _, other = await centre.agent("wu", {"social": 3})
    await centre.handle(c.AssignConversation(conv.id, agent.id))
    centre.world.take_events()
    with pytest.raises(Forbidden):
        await centre.handle(c.PostMessage(conv.id, "您好"), other)
    with pytest.raises(Forbidden):
        await centre.handle(c.ResolveConversation(conv.id, "done"), other)
    with pytest.raises(NotFound):
        await centre.handle(c.CloseConversation("no-such-conversation"))
    centre.world.assert_no_events()


async def test_a_posted_message_and_an_abandoned_conversation(centre: Centre) -> None:
    """PostMessage commits message.posted; AbandonConversation ends the task; twice is a Conflict."""
    customer = await centre.customer()
    gateway = await centre.actor("gateway", "integration")
    conv = await centre.handle(c.OpenConversation(customer.id, "games", "chat", "退款"))
    centre.world.take_events()
    message = await centre.handle(c.PostMessage(conv.id, "还在吗"), gateway)
    centre.world.assert_events(ev.MessagePosted(conv.id, message.id, "customer", message.created_at))
    abandoned = await centre.handle(c.AbandonConversation(conv.id), gateway)
    (task,) = centre.store.rows("tasks")
    centre.world.assert_events(
        ev.TaskClosed(task.id, "abandoned", task.ended_at),
        ev.ConversationAbandoned(conv.id, abandoned.updated_at),
        "task.removed",
    )
    with pytest.raises(IllegalTransition):
        await centre.handle(c.AbandonConversation(conv.id), gateway)
    centre.world.assert_no_events()


async def test_queues_are_created_and_updated_by_managers(centre: Centre) -> None:
    """CreateQueue and UpdateQueue each commit queue.changed; a taken id, an unknown id and an agent fail."""
    _, agent = await centre.agent("li", {"social": 3})
    centre.world.take_events()
    queue = await centre.handle(
        c.CreateQueue("vip", "VIP", "payments", ("chat",), {"payments": 4}, 10, ServiceLevel(15, 90.0))
    )
    centre.world.assert_events(ev.QueueChanged("vip", queue.created_at))
    updated = await centre.handle(c.UpdateQueue("vip", {"priority": 20}))
    centre.world.assert_events(ev.QueueChanged("vip", updated.updated_at))
    with pytest.raises(AlreadyExists):
        await centre.handle(c.CreateQueue("vip", "VIP", "payments", ("chat",), {"payments": 4}))
    with pytest.raises(NotFound):
        await centre.handle(c.UpdateQueue("nope", {"priority": 1}))
    with pytest.raises(Forbidden):
        await centre.handle(c.UpdateQueue("vip", {"priority": 1}), agent)
    centre.world.assert_no_events()
    assert {q.id: q.priority for q in centre.store.rows("queues")}["vip"] == 20


class _RecordingHasher:
    """Wraps the real hasher; records which hash each check used and on which thread it ran."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.checks: list[tuple[str | None, int]] = []

    def hash(self, password: str) -> str:
        return str(self.inner.hash(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        self.checks.append((password_hash, threading.get_ident()))
        return bool(self.inner.verify(password_hash, password))


async def test_sign_in_checks_a_hash_off_the_event_loop_for_known_and_unknown_users(centre: Centre) -> None:
    """An unknown user costs one argon2 check like a wrong password; no check runs on the loop's thread."""
    await centre.actor("sun", "agent")
    recording = _RecordingHasher(centre.bus.hasher)
    centre.bus.hasher = recording
    for username in ("sun", "nobody"):
        with pytest.raises(Unauthenticated, match="wrong username or password"):
            await centre.handle(c.Authenticate(username, "wrong-password"))
    (known, known_thread), (unknown, unknown_thread) = recording.checks
    assert known is not None and known.startswith("$argon2id$")
    assert unknown is None  # the hasher checks its dummy hash instead
    assert threading.get_ident() not in {known_thread, unknown_thread}


async def test_a_disabled_user_with_the_right_password_is_refused_like_a_wrong_one(centre: Centre) -> None:
    """An inactive account gets the same 401 as a wrong password."""
    await centre.actor("sun", "agent")
    async with centre.world.uow_factory() as uow:
        user = await uow.users.by_username("sun")
        assert user is not None
        user.active = False
        await uow.users.save(user)
        await uow.commit()
    with pytest.raises(Unauthenticated, match="wrong username or password"):
        await centre.handle(c.Authenticate("sun", PASSWORD))


def _only_event(centre: Centre, name: str) -> dict[str, Any]:
    """The payload of the one event committed since the last take, which must be ``name``."""
    ((got, payload),) = centre.world.take_events()
    assert got == name
    return payload


async def _who(centre: Centre, token: str) -> Actor:
    return await actor_for_token(token, centre.world.uow_factory(), centre.bus.tokens)


async def test_disabling_a_user_revokes_its_tokens_at_once_and_enabling_keeps_them_revoked(
    centre: Centre,
) -> None:
    """DisableUser bumps the token version (user.disabled); old tokens stay dead after EnableUser."""
    await centre.actor("sun", "agent")
    session = await centre.handle(c.Authenticate("sun", PASSWORD))
    api = await centre.handle(c.IssueToken("sun", 30, "script"))
    centre.world.take_events()
    assert (await _who(centre, session.access_token)).username == "sun"
    disabled = await centre.handle(c.DisableUser("sun"))
    assert _only_event(centre, "user.disabled")["user_id"] == disabled.id
    for token in (session.access_token, api.access_token):
        with pytest.raises(Unauthenticated):
            await _who(centre, token)
    with pytest.raises(Unauthenticated):
        await centre.handle(c.Authenticate("sun", PASSWORD))
    await centre.handle(c.EnableUser("sun"))
    assert _only_event(centre, "user.enabled")["user_id"] == disabled.id
    for token in (session.access_token, api.access_token):
        with pytest.raises(Unauthenticated):
            await _who(centre, token)
    fresh = await centre.handle(c.Authenticate("sun", PASSWORD))
    assert (await _who(centre, fresh.access_token)).username == "sun"


async def test_setting_a_password_revokes_earlier_tokens(centre: Centre) -> None:
    """SetPassword (user.password_changed) kills tokens issued before; the new password signs in."""
    await centre.actor("sun", "agent")
    before = await centre.handle(c.Authenticate("sun", PASSWORD))
    centre.world.take_events()
    user = await centre.handle(c.SetPassword("sun", "a-new-pass-99"))
    assert _only_event(centre, "user.password_changed")["user_id"] == user.id
    with pytest.raises(Unauthenticated):
        await _who(centre, before.access_token)
    with pytest.raises(Unauthenticated):
        await centre.handle(c.Authenticate("sun", PASSWORD))
    assert (await centre.handle(c.Authenticate("sun", "a-new-pass-99"))).user.id == user.id


async def test_only_an_admin_manages_users_and_nobody_disables_themselves(centre: Centre) -> None:
    """A supervisor may not disable, enable or set passwords; an admin may not disable their own login."""
    sup = await centre.actor("sup", "supervisor")
    admin = await centre.actor("root", "admin")
    await centre.actor("sun", "agent")
    centre.world.take_events()
    for command in (c.DisableUser("sun"), c.EnableUser("sun"), c.SetPassword("sun", "another-pass-1")):
        with pytest.raises(Forbidden):
            await centre.handle(command, sup)
    with pytest.raises(IllegalTransition):
        await centre.handle(c.DisableUser("root"), admin)
    with pytest.raises(NotFound):
        await centre.handle(c.DisableUser("nobody"))
    centre.world.assert_no_events()


async def test_an_api_token_is_revoked_alone_and_revoking_twice_changes_nothing(centre: Centre) -> None:
    """RevokeToken kills that token only (token.revoked once); the user's other tokens keep working."""
    await centre.actor("gw", "integration")
    first = await centre.handle(c.IssueToken("gw", 30, "gateway-a"))
    second = await centre.handle(c.IssueToken("gw", 30, "gateway-b"))
    assert first.token is not None and second.token is not None
    centre.world.take_events()
    revoked = await centre.handle(c.RevokeToken(first.token.id))
    assert revoked.revoked_at is not None
    centre.world.assert_events(ev.TokenRevoked(first.token.id, first.user.id, revoked.revoked_at))
    await centre.handle(c.RevokeToken(first.token.id))
    centre.world.assert_no_events()
    with pytest.raises(Unauthenticated):
        await _who(centre, first.access_token)
    assert (await _who(centre, second.access_token)).username == "gw"


async def test_an_api_token_lives_ninety_days_by_default_and_at_most_a_year(centre: Centre) -> None:
    """IssueToken defaults to 90 days; 366 days, unknown scopes or an empty name are refused."""
    await centre.actor("gw", "integration")
    issued = await centre.handle(c.IssueToken("gw"))
    assert issued.expires_at - centre.clock.now() <= timedelta(days=90)
    assert issued.expires_at - centre.clock.now() > timedelta(days=89)
    for bad in (
        c.IssueToken("gw", 366),
        c.IssueToken("gw", 0),
        c.IssueToken("gw", 30, "x", ("payments.screen", "do.anything")),
        c.IssueToken("gw", 30, "  "),
    ):
        with pytest.raises(InvalidInput):
            await centre.handle(bad)


async def test_a_scoped_token_may_do_only_what_its_scopes_and_its_role_allow(centre: Centre) -> None:
    """A token narrowed to kb.read reads the knowledge base's permission but no longer customers'."""
    await centre.actor("gw", "integration")
    issued = await centre.handle(c.IssueToken("gw", 30, "kb-only", ("kb.read", "users.manage")))
    actor = await _who(centre, issued.access_token)
    assert actor.scopes == frozenset({"kb.read", "users.manage"})
    assert authz.allowed(actor, "kb.read")
    assert not authz.allowed(actor, "customers.read")  # the role may, the scopes do not
    assert not authz.allowed(actor, "users.manage")  # the scopes name it, the role may not


async def test_prod_refuses_short_common_and_demo_passwords(world: FakeWorld) -> None:
    """With env=prod a password needs 12 characters and must not be common, a run or the demo's."""
    async with running_centre(world, env="prod", secret=SECRET) as centre:
        for weak in (
            "aaaaaaaa",
            "short-pass1",
            "Password1234!",
            "kefu-demo-2026",
            "aaaaaaaaaaaa",
            "123456789012",
        ):
            with pytest.raises(InvalidInput):
                await centre.handle(c.CreateUser("zhao", weak, "agent"))
        await centre.handle(c.CreateUser("zhao", "Plum.Rain#Vault-88", "agent"))
        with pytest.raises(InvalidInput):
            await centre.handle(c.SetPassword("zhao", "qwertyuiopas"))


async def test_a_checkpoint_signs_the_chain_head_once_and_verify_checks_it(centre: Centre) -> None:
    """CheckpointAudit signs the head (audit.checkpointed); again with nothing new it does nothing."""
    await centre.customer()
    await centre.customer("ext-2")
    centre.world.take_events()
    made = await centre.handle(c.CheckpointAudit())
    assert made is not None and made.seq == 2
    centre.world.assert_events(ev.AuditCheckpointed(2, made.hash, made.at))
    assert await centre.handle(c.CheckpointAudit()) is None
    centre.world.assert_no_events()
    report = await audit.verify(centre.bus.context(SYSTEM_ACTOR))
    assert (report.problems, report.entries, report.checkpoints) == ([], 2, 1)
    sup = await centre.actor("sup", "supervisor")
    with pytest.raises(Forbidden):
        await centre.handle(c.CheckpointAudit(), sup)
    with pytest.raises(Forbidden):
        await audit.verify(centre.bus.context(sup))
