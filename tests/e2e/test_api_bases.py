"""Supervisors narrowed by base, generated from the permission table: for every permission ``BASES`` narrows,
a supervisor of 深圳 acts on a thing of 深圳 and gets 403 on the same thing of 成都; lists hold the
supervisor's bases only, filtered by the store's query. A conversation or case belongs to its agent's base
once assigned, to its customer's home base until then; a callback to its customer's home base."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.notify import RecordingNotifier
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.clock import FakeClock
from kefu.services.authz import BASES
from kefu.services.care.scheduler import Scheduler
from tests.clocks import AFTERNOON
from tests.conftest import Database, asgi_client, make_user, settings_for

H = dict[str, str]
HOME, AWAY = "shenzhen", "chengdu"  # the scoped supervisor looks after 深圳 only
SOLDIER = {"account_id": "acct-soldier-1", "name": "边防战士 李强", "kind": "individual"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AFTERNOON)


@pytest_asyncio.fixture
async def kefu(database: Database, clock: FakeClock) -> AsyncIterator[Kefu]:
    """A kefu at 15:00 Beijing time on a frozen clock (screening's night rule stays out of it)."""
    k = await bootstrap(
        settings_for(database, offer_timeout_s=60, wrap_up_s=0, hold_s=3600, scheduler_poll_s=60),
        hasher=Argon2Hasher(fast=True),
        publisher=InProcessBus(),
        clock=clock,
        notifier=RecordingNotifier(acknowledge=True),
    )
    try:
        yield k
    finally:
        await k.close()


class World:
    """An admin, a supervisor of every base, one of 深圳 only, a gateway, and one agent per base."""

    def __init__(self, client: httpx.AsyncClient, kefu: Kefu, clock: FakeClock) -> None:
        self.c, self.kefu, self.clock = client, kefu, clock
        self.admin: H = {}
        self.sup: H = {}
        self.scoped: H = {}
        self.gw: H = {}
        self.agents: dict[str, str] = {}
        self.n = 0

    async def setup(self) -> None:
        self.admin = await make_user(self.kefu, "root", "admin")
        self.sup = await make_user(self.kefu, "all.sup", "supervisor")
        self.gw = await make_user(self.kefu, "gateway", "integration")
        made = await self.c.post(
            "/api/v1/users",
            json={
                "username": "sz.sup",
                "password": "long-enough-pass",
                "role": "supervisor",
                "sites": [HOME],
            },
            headers=self.admin,
        )
        assert made.status_code == 201, made.text
        login = await self.c.post(
            "/api/v1/auth/login", json={"username": "sz.sup", "password": "long-enough-pass"}
        )
        self.scoped = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for base in (HOME, AWAY):
            body = {
                "name": f"agent-{base}",
                "site": base,
                "skills": {"social": 3},
                "capacity": {"chat": 2, "voice": 1},
            }
            r = await self.c.post("/api/v1/agents", json=body, headers=self.admin)
            assert r.status_code == 201, r.text
            self.agents[base] = str(r.json()["id"])

    def _next(self) -> int:
        self.n += 1
        return self.n

    async def customer(self, base: str) -> str:
        body = {
            "external_id": f"c-{self._next()}",
            "name": "王秀英",
            "phone": "13812345678",
            "birth_date": "1946-03-01",
            "home_site": base,
            "trusted_contact": {"name": "王强", "phone": "13987654321", "relation": "son"},
        }
        r = await self.c.post("/api/v1/customers", json=body, headers=self.admin)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def conversation(self, base: str, agent_base: str | None = None, resolved: bool = False) -> str:
        """A chat of a customer of ``base``, assigned to the agent of ``agent_base`` when given."""
        body = {"customer_id": await self.customer(base), "business_line": "social", "channel": "chat"}
        r = await self.c.post("/api/v1/conversations", json=body, headers=self.admin)
        assert r.status_code == 201, r.text
        conversation_id = str(r.json()["id"])
        if agent_base is not None:
            r = await self.c.post(
                f"/api/v1/conversations/{conversation_id}/assign",
                json={"agent_id": self.agents[agent_base]},
                headers=self.admin,
            )
            assert r.status_code == 200, r.text
        if resolved:
            r = await self.c.post(
                f"/api/v1/conversations/{conversation_id}/resolve",
                json={"disposition": "answered"},
                headers=self.admin,
            )
            assert r.status_code == 200, r.text
        return conversation_id

    async def callback(self, base: str, due: bool = False) -> str:
        start = self.clock.now() + timedelta(minutes=1)
        body = {
            "customer_id": await self.customer(base),
            "reason": "退款进度",
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=2)).isoformat(),
        }
        r = await self.c.post("/api/v1/callbacks", json=body, headers=self.gw)
        assert r.status_code == 201, r.text
        if due:
            self.clock.advance(120)
            assert await Scheduler(self.kefu.bus).run_once() >= 1
        return str(r.json()["id"])

    async def case(self, base: str, pending: bool = False) -> str:
        """A hold case on a ¥100,000 payment of a customer of ``base`` (unassigned: no specialist is on)."""
        n = self._next()
        body = {
            "payment_id": f"pay-{n}",
            "payer": {"customer_id": await self.customer(base)},
            "payee": SOLDIER,
            "amount": 10_000_000,
            "currency": "CNY",
            "channel": "transfer",
            "memo": "给边防战士的捐款",
            "created_at": self.clock.now().isoformat(),
        }
        r = await self.c.post("/api/v1/payments/screen", json=body, headers=self.gw)
        assert r.status_code == 200 and r.json()["decision"] == "hold", r.text
        case_id = str(r.json()["case_id"])
        if pending:
            r = await self.c.post(
                f"/api/v1/cases/{case_id}/contact-attempts", json={"result": "reached"}, headers=self.sup
            )
            assert r.status_code == 201, r.text
            r = await self.c.post(
                f"/api/v1/cases/{case_id}/resolve",
                json={"outcome": "released", "note": "本人确认：购房首付"},
                headers=self.sup,
            )
            assert r.json()["status"] == "pending_approval", r.text
        return case_id


@pytest_asyncio.fixture
async def world(kefu: Kefu, clock: FakeClock) -> AsyncIterator[World]:
    async with asgi_client(kefu) as client:
        made = World(client, kefu, clock)
        await made.setup()
        yield made


Scenario = Callable[[World, str], Awaitable[httpx.Response]]


async def _customers_read(w: World, base: str) -> httpx.Response:
    return await w.c.get(f"/api/v1/customers/{await w.customer(base)}", headers=w.scoped)


async def _agents_read(w: World, base: str) -> httpx.Response:
    return await w.c.get(f"/api/v1/agents/{w.agents[base]}", headers=w.scoped)


async def _agents_presence(w: World, base: str) -> httpx.Response:
    url = f"/api/v1/agents/{w.agents[base]}/presence"
    return await w.c.put(url, json={"presence": "away"}, headers=w.scoped)


async def _conversations_assign(w: World, base: str) -> httpx.Response:
    url = f"/api/v1/conversations/{await w.conversation(base)}/assign"
    return await w.c.post(url, json={"agent_id": w.agents[HOME]}, headers=w.scoped)


async def _conversations_read(w: World, base: str) -> httpx.Response:
    return await w.c.get(f"/api/v1/conversations/{await w.conversation(base)}", headers=w.scoped)


async def _conversations_post(w: World, base: str) -> httpx.Response:
    url = f"/api/v1/conversations/{await w.conversation(base)}/messages"
    return await w.c.post(url, json={"body": "您好，我是值班主管"}, headers=w.scoped)


async def _conversations_resolve(w: World, base: str) -> httpx.Response:
    # Assigned work belongs to its agent's base, whatever the customer's: the customer is of the other base.
    other = AWAY if base == HOME else HOME
    url = f"/api/v1/conversations/{await w.conversation(other, agent_base=base)}/resolve"
    return await w.c.post(url, json={"disposition": "answered"}, headers=w.scoped)


async def _conversations_close(w: World, base: str) -> httpx.Response:
    url = f"/api/v1/conversations/{await w.conversation(base, agent_base=base, resolved=True)}/close"
    return await w.c.post(url, headers=w.scoped)


async def _conversations_abandon(w: World, base: str) -> httpx.Response:
    return await w.c.post(f"/api/v1/conversations/{await w.conversation(base)}/abandon", headers=w.scoped)


async def _conversations_note(w: World, base: str) -> httpx.Response:
    url = f"/api/v1/conversations/{await w.conversation(base, agent_base=base)}/notes"
    return await w.c.post(url, json={"body": "客户情绪激动，请注意"}, headers=w.scoped)


async def _callbacks_read(w: World, base: str) -> httpx.Response:
    return await w.c.get(f"/api/v1/callbacks/{await w.callback(base)}", headers=w.scoped)


async def _callbacks_write(w: World, base: str) -> httpx.Response:
    url = f"/api/v1/callbacks/{await w.callback(base)}/cancel"
    return await w.c.post(url, json={}, headers=w.scoped)


async def _callbacks_attempt(w: World, base: str) -> httpx.Response:
    url = f"/api/v1/callbacks/{await w.callback(base, due=True)}/attempts"
    return await w.c.post(url, json={"result": "no_answer"}, headers=w.scoped)


async def _cases_read(w: World, base: str) -> httpx.Response:
    return await w.c.get(f"/api/v1/cases/{await w.case(base)}", headers=w.scoped)


async def _cases_work(w: World, base: str) -> httpx.Response:
    url = f"/api/v1/cases/{await w.case(base)}/contact-attempts"
    return await w.c.post(url, json={"result": "no_answer"}, headers=w.scoped)


async def _cases_reveal(w: World, base: str) -> httpx.Response:
    url = f"/api/v1/cases/{await w.case(base)}/reveal"
    return await w.c.post(url, json={"field": "payer_phone"}, headers=w.scoped)


async def _cases_approve_release(w: World, base: str) -> httpx.Response:
    url = f"/api/v1/cases/{await w.case(base, pending=True)}/release-decision"
    return await w.c.post(url, json={"approve": True, "note": "同意"}, headers=w.scoped)


SCENARIOS: dict[str, Scenario] = {
    "customers.read": _customers_read,
    "agents.read": _agents_read,
    "agents.presence_any": _agents_presence,
    "conversations.assign": _conversations_assign,
    "conversations.read": _conversations_read,
    "conversations.post_agent": _conversations_post,
    "conversations.resolve": _conversations_resolve,
    "conversations.close": _conversations_close,
    "conversations.abandon": _conversations_abandon,
    "conversations.note": _conversations_note,
    "callbacks.read": _callbacks_read,
    "callbacks.write": _callbacks_write,
    "callbacks.attempt": _callbacks_attempt,
    "cases.read": _cases_read,
    "cases.work": _cases_work,
    "cases.reveal": _cases_reveal,
    "cases.approve_release": _cases_approve_release,
}
MATRIX = [(p, inside) for p in sorted(BASES) for inside in (True, False)]


def test_every_permission_narrowed_by_base_has_a_scenario() -> None:
    """The matrix below is the table's: a permission added to BASES without a scenario fails here."""
    assert set(SCENARIOS) == set(BASES)
    assert all(roles == frozenset({"supervisor"}) for roles in BASES.values())


@pytest.mark.parametrize(
    ("permission", "inside"), MATRIX, ids=[f"{p}-{'in' if i else 'out'}" for p, i in MATRIX]
)
async def test_a_supervisor_acts_inside_their_bases_only(world: World, permission: str, inside: bool) -> None:
    """In the supervisor's base the action succeeds; the same action on another base's thing is 403."""
    r = await SCENARIOS[permission](world, HOME if inside else AWAY)
    if inside:
        assert r.status_code in (200, 201), (permission, r.text)
    else:
        assert r.status_code == 403, (permission, r.text)
        assert r.json()["code"] == "forbidden" and r.headers["content-type"].startswith(
            "application/problem+json"
        )


async def _ids(w: World, path: str, headers: H) -> set[str]:
    r = await w.c.get(path, headers=headers)
    assert r.status_code == 200, r.text
    return {str(item["id"]) for item in r.json()["items"]}


@pytest.mark.both_databases
async def test_lists_hold_the_supervisors_bases_only(world: World) -> None:
    """Conversations (by agent once assigned, by customer until then), callbacks and cases: the 深圳
    supervisor's lists hold 深圳's only, also one item per page; a supervisor of every base sees all."""
    w = world
    near_chat = await w.conversation(HOME)
    far_chat = await w.conversation(AWAY)
    served_here = await w.conversation(AWAY, agent_base=HOME)  # a 成都 customer served from 深圳
    served_away = await w.conversation(HOME, agent_base=AWAY)
    near_cb, far_cb = await w.callback(HOME), await w.callback(AWAY)
    near_case, far_case = await w.case(HOME), await w.case(AWAY)
    assert await _ids(w, "/api/v1/conversations", w.scoped) == {near_chat, served_here}
    assert await _ids(w, "/api/v1/callbacks", w.scoped) == {near_cb}
    assert await _ids(w, "/api/v1/cases", w.scoped) == {near_case}
    paged: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        r = await w.c.get("/api/v1/conversations", params=params, headers=w.scoped)
        paged += [item["id"] for item in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert sorted(paged) == sorted([near_chat, served_here])
    for h in (w.sup, w.admin):
        assert await _ids(w, "/api/v1/conversations", h) == {near_chat, far_chat, served_here, served_away}
        assert await _ids(w, "/api/v1/callbacks", h) == {near_cb, far_cb}
        assert await _ids(w, "/api/v1/cases", h) == {near_case, far_case}


async def test_a_scoped_supervisor_transfers_only_their_bases_work_to_their_agents(world: World) -> None:
    """Transfer: a 成都 conversation is 403, so is handing a 深圳 one to a 成都 agent; 深圳 to 深圳 works."""
    w = world
    url = "/api/v1/conversations/{}/transfer"
    far = await w.conversation(AWAY, agent_base=AWAY)
    r = await w.c.post(url.format(far), json={"to_agent": w.agents[HOME]}, headers=w.scoped)
    assert r.status_code == 403, r.text
    near = await w.conversation(HOME, agent_base=HOME)
    r = await w.c.post(url.format(near), json={"to_agent": w.agents[AWAY]}, headers=w.scoped)
    assert r.status_code == 403, r.text
    r = await w.c.post(url.format(near), json={"to_queue": "social"}, headers=w.scoped)
    assert r.status_code == 200, r.text
