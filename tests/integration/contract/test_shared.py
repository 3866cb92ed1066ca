"""Contract of the shared repositories (users, sites, customers, agents, conversations, audit) and of the
unit of work itself: copies, rollback without commit, Conflict on duplicates and stale versions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.domain.audit import GENESIS, AuditEntry, Checkpoint, verify_chain
from kefu.domain.conversations import Message
from kefu.domain.errors import Conflict
from kefu.domain.users import ApiToken
from kefu.services.ports import AuditFilter
from tests.integration.contract import makers as mk
from tests.integration.contract.conftest import T0, Stores


async def test_users_round_trip_and_reads_are_copies(stores: Stores) -> None:
    """A saved user reads back equal; changing what was read changes nothing until it is saved."""
    async with stores.uow() as uow:
        await uow.users.add(mk.user(1))
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.users.by_username("user1")
        assert got == mk.user(1)
        assert got is not None
        got.active = False
        assert await uow.users.get("u-001") == mk.user(1)
        await uow.users.save(got)
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.users.get("u-001") == mk.user(1, active=False)
        assert await uow.users.get("u-404") is None
        assert await uow.users.by_username("nobody") is None


async def test_nothing_is_seen_before_commit_and_leaving_without_commit_rolls_back(stores: Stores) -> None:
    """A unit of work sees its own writes; others see them only after commit; no commit, no change."""
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1))
        assert await uow.customers.get("c-001") == mk.customer(1)
        async with stores.uow() as other:
            assert await other.customers.get("c-001") is None
    async with stores.uow() as uow:
        assert await uow.customers.get("c-001") is None
        await uow.customers.add(mk.customer(1))
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.customers.by_external_id("ext-1") == mk.customer(1)


async def test_saving_what_does_not_exist_changes_nothing(stores: Stores) -> None:
    """``save`` of an unknown id is a no-op for users, customers, agents and conversations."""
    async with stores.uow() as uow:
        await uow.users.save(mk.user(9))
        await uow.customers.save(mk.customer(9))
        await uow.agents.save(mk.agent(9))
        await uow.commit()
    async with stores.uow() as uow:
        assert (await uow.users.get("u-009"), await uow.customers.get("c-009")) == (None, None)
        assert await uow.agents.get("a-009") is None


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(lambda: ("users", mk.user(2, username="user1")), id="username"),
        pytest.param(lambda: ("users", mk.user(1, username="other")), id="user-id"),
        pytest.param(lambda: ("customers", mk.customer(2, external_id="ext-1")), id="external-id"),
        pytest.param(lambda: ("customers", mk.customer(1, external_id="ext-9")), id="customer-id"),
    ],
)
async def test_a_taken_unique_key_is_a_conflict(stores: Stores, second: object) -> None:
    """A second user with a taken username or id, or customer with a taken external id, is Conflict."""
    async with stores.uow() as uow:
        await uow.users.add(mk.user(1))
        await uow.customers.add(mk.customer(1))
        await uow.commit()
    table, row = second()  # type: ignore[operator]
    with pytest.raises(Conflict):
        async with stores.uow() as uow:
            await getattr(uow, table).add(row)
            await uow.commit()
    async with stores.uow() as uow:  # the failed commit left nothing behind
        assert len(await uow.customers.page(None, 10)) == 1


async def test_two_agents_for_one_user_and_unknown_references_are_conflicts(stores: Stores) -> None:
    """An agent's user is unique; an agent at an unknown site or a conversation of nobody is Conflict."""
    async with stores.uow() as uow:
        # A user and its agent in one commit fail on SQL: without relationships the ORM does not order
        # the inserts by their references.
        await uow.users.add(mk.user(1))
        await uow.commit()
    async with stores.uow() as uow:
        await uow.agents.add(mk.agent(1, user_id="u-001"))
        await uow.commit()
    for row in (mk.agent(2, user_id="u-001"), mk.agent(3, site="atlantis")):
        with pytest.raises(Conflict):
            async with stores.uow() as uow:
                await uow.agents.add(row)
                await uow.commit()
    with pytest.raises(Conflict):
        async with stores.uow() as uow:
            await uow.conversations.add(mk.conversation(1, customer_id="c-404"))
            await uow.commit()
    async with stores.uow() as uow:
        assert await uow.agents.by_user_id("u-001") == mk.agent(1, user_id="u-001")


async def test_sites_are_the_six_bases(stores: Stores) -> None:
    """A fresh store lists the six service bases, by id."""
    async with stores.uow() as uow:
        ids = [s.id for s in await uow.sites.list()]
    assert ids == ["chengdu", "chongqing", "hefei", "shenzhen", "wuhan", "yinchuan"]


async def test_customer_and_agent_pages_follow_the_id_with_filters(stores: Stores) -> None:
    """Pages are ordered by id, start after the cursor, stop at the limit, and filter by site."""
    async with stores.uow() as uow:
        for n in (3, 1, 5, 2, 4):
            await uow.customers.add(mk.customer(n))
            await uow.agents.add(mk.agent(n, site="wuhan" if n % 2 else "hefei"))
        await uow.commit()
    async with stores.uow() as uow:
        assert [c.id for c in await uow.customers.page(None, 2)] == ["c-001", "c-002"]
        assert [c.id for c in await uow.customers.page("c-002", 10)] == ["c-003", "c-004", "c-005"]
        assert [a.id for a in await uow.agents.page(None, 10, site="wuhan")] == ["a-001", "a-003", "a-005"]
        assert [a.id for a in await uow.agents.page("a-002", 1, site="hefei")] == ["a-004"]


async def test_conversations_with_messages_and_filtered_pages(stores: Stores) -> None:
    """Messages come back in id order; pages filter by status, queue, customer and agent."""
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1))
        await uow.customers.add(mk.customer(2))
        await uow.agents.add(mk.agent(1))
        await uow.commit()
    async with stores.uow() as uow:
        first = mk.conversation(1, messages=[Message("m-002", "v-001", "customer", "你好", T0)])
        await uow.conversations.add(first)
        await uow.conversations.add(mk.conversation(2, customer_id="c-002", queue="games"))
        await uow.conversations.add(mk.conversation(3, status="assigned", agent_id="a-001"))
        await uow.conversations.add_message(Message("m-001", "v-001", "agent", "您好", T0, "a-001"))
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.conversations.get("v-001")
        assert got is not None
        assert [m.id for m in got.messages] == ["m-001", "m-002"]
        bare = await uow.conversations.get("v-001", with_messages=False)
        assert bare is not None and bare.messages == []
        page = uow.conversations.page
        assert [c.id for c in await page(None, 10, status="queued")] == ["v-001", "v-002"]
        assert [c.id for c in await page(None, 10, queue="games")] == ["v-002"]
        assert [c.id for c in await page(None, 10, customer_id="c-001")] == ["v-001", "v-003"]
        assert [c.id for c in await page(None, 10, agent_id="a-001")] == ["v-003"]
        assert [c.id for c in await page("v-001", 1)] == ["v-002"]
        assert all(c.messages == [] for c in await page(None, 10))


async def test_a_conversation_changed_between_save_and_commit_is_a_conflict(stores: Stores) -> None:
    """A save whose row another unit of work commits before this commit is Conflict (row version)."""
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1))
        await uow.commit()
    async with stores.uow() as uow:
        await uow.conversations.add(mk.conversation(1))
        await uow.commit()
    later = stores.uow()
    async with later:
        mine = await later.conversations.get("v-001")
        assert mine is not None
        mine.subject = "second"
        await later.conversations.save(mine)
        async with stores.uow() as first:
            fresh = await first.conversations.get("v-001")
            assert fresh is not None
            fresh.subject = "first"
            await first.conversations.save(fresh)
            await first.commit()
        with pytest.raises(Conflict):
            await later.commit()
    async with stores.uow() as uow:
        got = await uow.conversations.get("v-001")
        assert got is not None and got.subject == "first"


async def test_a_save_from_a_read_before_another_commit_is_refused(stores: Stores) -> None:
    """A save based on a read older than another unit of work's commit is a Conflict, never a lost update.

    (A customer's message read the conversation while an agent accepted it; saving the message must not
    put the conversation back in the queue with nobody on it.)"""
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1))
        await uow.commit()
    async with stores.uow() as uow:
        await uow.conversations.add(mk.conversation(1))
        await uow.commit()
    with pytest.raises(Conflict):
        async with stores.uow() as later:
            mine = await later.conversations.get("v-001")
            assert mine is not None
            async with stores.uow() as first:
                fresh = await first.conversations.get("v-001")
                assert fresh is not None
                fresh.note = "first"
                await first.conversations.save(fresh)
                await first.commit()
            mine.subject = "second"
            await later.conversations.save(mine)
            await later.commit()
    async with stores.uow() as uow:
        got = await uow.conversations.get("v-001")
        assert got is not None and (got.subject, got.note) == (None, "first")


async def test_sequential_saves_of_one_conversation_both_land(stores: Stores) -> None:
    """Saving, committing, reading again and saving again is no conflict."""
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1))
        await uow.commit()
    async with stores.uow() as uow:
        await uow.conversations.add(mk.conversation(1))
        await uow.commit()
    for subject in ("one", "two"):
        async with stores.uow() as uow:
            got = await uow.conversations.get("v-001")
            assert got is not None
            got.subject, got.updated_at = subject, T0 + timedelta(minutes=1)
            await uow.conversations.save(got)
            await uow.commit()
    async with stores.uow() as uow:
        got = await uow.conversations.get("v-001")
        assert got is not None and (got.subject, got.updated_at) == ("two", T0 + timedelta(minutes=1))


async def test_audit_entries_for_one_subject_in_id_order(stores: Stores) -> None:
    """The audit log hands back one subject's entries in id order, details intact."""
    async with stores.uow() as uow:
        for n, subject in ((2, "k-1"), (1, "k-1"), (3, "k-2")):
            await uow.audit.append(AuditEntry(f"e-{n}", T0, "admin", "reveal", "case", subject, {"n": n}))
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.audit.for_subject("case", "k-1")
    assert [(e.id, e.detail) for e in got] == [("e-1", {"n": 1}), ("e-2", {"n": 2})]


async def test_users_page_in_id_order(stores: Stores) -> None:
    """Users page by id, oldest first, ``after`` excluded."""
    async with stores.uow() as uow:
        for n in (3, 1, 2):
            await uow.users.add(mk.user(n))
        await uow.commit()
    async with stores.uow() as uow:
        assert [u.id for u in await uow.users.page(None, 2)] == ["u-001", "u-002"]
        assert [u.id for u in await uow.users.page("u-002", 10)] == ["u-003"]


async def test_api_tokens_round_trip_revoke_and_page_by_user(stores: Stores) -> None:
    """An API token reads back equal (scopes or none); a saved revocation sticks; pages filter by user."""
    async with stores.uow() as uow:
        await uow.users.add(mk.user(1))
        await uow.users.add(mk.user(2))
        await uow.commit()
    tokens = [
        ApiToken(
            "t-1", "u-001", "gateway", ("kb.read", "payments.screen"), T0, T0 + timedelta(days=90), "root"
        ),
        ApiToken("t-2", "u-002", "script", None, T0, T0 + timedelta(days=1), "root"),
        ApiToken("t-3", "u-001", "other", (), T0, T0 + timedelta(days=1), "root"),
    ]
    async with stores.uow() as uow:
        for token in tokens:
            await uow.api_tokens.add(token)
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.api_tokens.get("t-1") == tokens[0]
        assert await uow.api_tokens.get("t-2") == tokens[1]
        assert await uow.api_tokens.get("t-3") == tokens[2]
        got = await uow.api_tokens.get("t-1")
        assert got is not None
        got.revoked_at = T0 + timedelta(hours=1)
        await uow.api_tokens.save(got)
        await uow.commit()
    async with stores.uow() as uow:
        stored = await uow.api_tokens.get("t-1")
        assert stored is not None and stored.revoked_at == T0 + timedelta(hours=1)
        assert [t.id for t in await uow.api_tokens.page(None, 10, "u-001")] == ["t-1", "t-3"]
        assert [t.id for t in await uow.api_tokens.page("t-1", 10)] == ["t-2", "t-3"]
        assert await uow.api_tokens.get("t-9") is None


async def test_an_api_token_of_an_unknown_user_is_a_conflict(stores: Stores) -> None:
    """A token must belong to a stored user."""
    with pytest.raises(Conflict):
        async with stores.uow() as uow:
            await uow.api_tokens.add(ApiToken("t-1", "u-404", "x", None, T0, T0, "root"))
            await uow.commit()


async def test_audit_entries_join_one_chain_when_their_unit_of_work_commits(stores: Stores) -> None:
    """Each commit links its entries after the head: seq 1..n, each prev_hash the hash before it."""
    for batch in (["a", "b"], ["c"]):
        async with stores.uow() as uow:
            for name in batch:
                await uow.audit.append(AuditEntry(name, T0, "admin", "reveal", "case", name, {"k": name}))
            await uow.commit()
    async with stores.uow() as uow:
        await uow.audit.append(AuditEntry("rolled-back", T0, "admin", "reveal", "case", "x"))
    async with stores.uow() as uow:
        chain = await uow.audit.chain(0, 10)
        head = await uow.audit.head()
        assert await uow.audit.unchained() == 0
        assert [(e.id, e.seq) for e in chain] == [("a", 1), ("b", 2), ("c", 3)]
        assert [e.prev_hash for e in chain] == [GENESIS, chain[0].hash, chain[1].hash]
        assert head == (3, chain[2].hash)
        assert verify_chain(chain, [], b"k").problems == []
        assert [e.id for e in await uow.audit.page("a", 10, AuditFilter(subject_id="c"))] == ["c"]
        assert [e.id for e in await uow.audit.chain(2, 10)] == ["c"]


async def test_audit_checkpoints_round_trip_in_seq_order(stores: Stores) -> None:
    """Checkpoints read back equal, oldest first."""
    made = [Checkpoint(5, "b" * 64, T0 + timedelta(days=1), "m2"), Checkpoint(2, "a" * 64, T0, "m1")]
    async with stores.uow() as uow:
        for cp in made:
            await uow.audit.add_checkpoint(cp)
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.audit.checkpoints() == [made[1], made[0]]


async def test_customers_page_by_base_and_by_the_integration_that_registered_them(stores: Stores) -> None:
    """registered_by round-trips; an integration's page holds its own customers and staff-registered ones."""
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1, registered_by="int-a", home_site="wuhan"))
        await uow.customers.add(mk.customer(2, registered_by="int-b"))
        await uow.customers.add(mk.customer(3, home_site="wuhan"))
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.customers.get("c-001")
        assert got is not None and got.registered_by == "int-a"
        assert [c.id for c in await uow.customers.page(None, 10, integration="int-a")] == ["c-001", "c-003"]
        assert [c.id for c in await uow.customers.page(None, 10, home_site="wuhan")] == ["c-001", "c-003"]
        assert [c.id for c in await uow.customers.page(None, 10)] == ["c-001", "c-002", "c-003"]


async def test_why_kefu_set_an_agent_away_round_trips(stores: Stores) -> None:
    """An agent's presence reason (``missed``) is saved and read back, and cleared when saved as None."""
    async with stores.uow() as uow:
        await uow.agents.add(mk.agent(1, presence="away", presence_reason="missed"))
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.agents.get("a-001")
        assert got == mk.agent(1, presence="away", presence_reason="missed")
        assert got is not None
        got.presence, got.presence_reason = "available", None
        await uow.agents.save(got)
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.agents.get("a-001") == mk.agent(1, presence="available")


async def test_a_customers_vip_flag_round_trips_and_defaults_to_false(stores: Stores) -> None:
    """vip (migration 0014) is saved, read back, changed, and false for a customer made without it."""
    async with stores.uow() as uow:
        await uow.customers.add(mk.customer(1, vip=True))
        await uow.customers.add(mk.customer(2))
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.customers.get("c-001")
        assert got == mk.customer(1, vip=True)
        assert got is not None
        assert [c.vip for c in await uow.customers.page(None, 10)] == [True, False]
        got.vip = False
        await uow.customers.save(got)
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.customers.get("c-001") == mk.customer(1)


async def test_a_supervisors_bases_round_trip_and_page_their_customers(stores: Stores) -> None:
    """users.sites round-trips (none: every base); customers and agents page over several bases at once."""
    async with stores.uow() as uow:
        await uow.users.add(mk.user(1, role="supervisor", sites=("wuhan", "hefei")))
        await uow.users.add(mk.user(2, role="supervisor"))
        for n, site in ((1, "wuhan"), (2, "hefei"), (3, "chengdu")):
            await uow.customers.add(mk.customer(n, home_site=site))
            await uow.agents.add(mk.agent(n, site=site))
        await uow.commit()
    async with stores.uow() as uow:
        scoped, everywhere = await uow.users.get("u-001"), await uow.users.get("u-002")
        page = await uow.customers.page(None, 10, home_sites=("wuhan", "hefei"))
        agents = await uow.agents.page(None, 10, sites=("wuhan", "chengdu"))
    assert [a.id for a in agents] == ["a-001", "a-003"]
    assert scoped is not None and scoped.sites == ("wuhan", "hefei")
    assert everywhere is not None and everywhere.sites == ()
    assert [c.id for c in page] == ["c-001", "c-002"]
