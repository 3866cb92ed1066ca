"""The workspace's reads over work, over HTTP: an agent's waiting view holds the queued, unassigned
conversations of the queues whose skills they hold, with place in line and wait; a supervisor's holds their
bases'; the search finds customers and conversations within what each role may read (phones masked),
refuses the integration, and answers bad input with problem+json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.notify import RecordingNotifier
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.clock import FakeClock
from tests.clocks import AFTERNOON
from tests.conftest import Database, make_user, settings_for

H = dict[str, str]
PASSWORD = "long-enough-pass"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AFTERNOON)


@pytest_asyncio.fixture
async def kefu(database: Database, clock: FakeClock) -> AsyncIterator[Kefu]:
    """A kefu on a frozen clock: the waits it reports are the clock's, not the machine's."""
    k = await bootstrap(
        settings_for(database, offer_timeout_s=60, wrap_up_s=0),
        hasher=Argon2Hasher(fast=True),
        publisher=InProcessBus(),
        clock=clock,
        notifier=RecordingNotifier(acknowledge=True),
    )
    try:
        yield k
    finally:
        await k.close()


class Desk:
    """深圳 and 成都; a social agent and a games agent in 深圳; a supervisor of 深圳 only and one of all."""

    def __init__(self, client: httpx.AsyncClient, kefu: Kefu) -> None:
        self.c, self.kefu = client, kefu
        self.h: dict[str, H] = {}
        self.agents: dict[str, str] = {}

    async def _login(self, username: str, role: str, sites: list[str] | None = None) -> H:
        body: dict[str, Any] = {"username": username, "password": PASSWORD, "role": role}
        if sites is not None:
            body["sites"] = sites
        r = await self.c.post("/api/v1/users", json=body, headers=self.h["admin"])
        assert r.status_code == 201, r.text
        r = await self.c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def setup(self) -> None:
        self.h["admin"] = await make_user(self.kefu, "root", "admin")
        self.h["sup"] = await make_user(self.kefu, "all.sup", "supervisor")
        self.h["gw"] = await make_user(self.kefu, "gateway", "integration")
        self.h["sz.sup"] = await self._login("sz.sup", "supervisor", ["shenzhen"])
        for name, skills in (("social", {"social": 3}), ("games", {"games": 3})):
            self.h[name] = await self._login(f"{name}.agent", "agent")
            body = {"name": f"坐席 {name}", "site": "shenzhen", "skills": skills, "capacity": {"chat": 2},
                    "username": f"{name}.agent"}  # fmt: skip
            r = await self.c.post("/api/v1/agents", json=body, headers=self.h["admin"])
            assert r.status_code == 201, r.text
            self.agents[name] = r.json()["id"]

    async def customer(self, external_id: str, name: str, base: str, phone: str) -> str:
        body = {"external_id": external_id, "name": name, "phone": phone, "home_site": base}
        r = await self.c.post("/api/v1/customers", json=body, headers=self.h["admin"])
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def conversation(self, customer_id: str, line: str, subject: str) -> str:
        body = {"customer_id": customer_id, "business_line": line, "channel": "chat", "subject": subject}
        r = await self.c.post("/api/v1/conversations", json=body, headers=self.h["admin"])
        assert r.status_code == 201 and r.json()["status"] == "queued", r.text
        return str(r.json()["id"])

    async def assign(self, conversation_id: str, agent: str) -> None:
        r = await self.c.post(
            f"/api/v1/conversations/{conversation_id}/assign",
            json={"agent_id": self.agents[agent]},
            headers=self.h["admin"],
        )
        assert r.status_code == 200, r.text


@pytest_asyncio.fixture
async def desk(api: httpx.AsyncClient, kefu: Kefu) -> Desk:
    d = Desk(api, kefu)
    await d.setup()
    return d


async def _waiting(desk: Desk, who: str) -> list[dict[str, Any]]:
    r = await desk.c.get("/api/v1/conversations/waiting", headers=desk.h[who])
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_the_waiting_view_follows_skills_and_bases(desk: Desk, clock: FakeClock) -> None:
    """The social agent sees the social line (oldest first, with place and wait), not games, not assigned
    work; the games agent the games line; the 深圳 supervisor 深圳's customers only; the integration 403."""
    sz = await desk.customer("w-1", "王秀英", "shenzhen", "13812345678")
    cd = await desk.customer("w-2", "李雷", "chengdu", "13900001234")
    first = await desk.conversation(cd, "social", "退款进度")
    clock.advance(60)
    second = await desk.conversation(sz, "social", "账号被盗")
    games = await desk.conversation(sz, "games", "充值未到账")
    taken = await desk.conversation(sz, "social", "已分配")
    await desk.assign(taken, "social")
    clock.advance(30)

    social = await _waiting(desk, "social")
    assert [(w["id"], w["position"], w["waiting_s"]) for w in social] == [(first, 1, 90), (second, 2, 30)]
    assert [w["id"] for w in await _waiting(desk, "games")] == [games]
    assert [w["id"] for w in await _waiting(desk, "sup")] == [first, second, games]
    assert [w["id"] for w in await _waiting(desk, "sz.sup")] == [second, games]
    r = await desk.c.get("/api/v1/conversations/waiting", headers=desk.h["gw"])
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    # Reading the line takes nothing: the conversation still waits, unassigned.
    assert [w["id"] for w in await _waiting(desk, "social")] == [first, second]


async def test_search_finds_within_what_each_role_reads(desk: Desk) -> None:
    """Customers by name, external id or the last four phone digits (masked for agents); conversations
    by subject: an agent finds their base's customers and their own conversations, a supervisor of 深圳
    深圳's, a supervisor of all everything; the integration is refused."""
    sz = await desk.customer("VIP-8801", "王秀英", "shenzhen", "13812345678")
    cd = await desk.customer("VIP-8802", "Wang Lei", "chengdu", "13900005678")
    mine = await desk.conversation(sz, "social", "Refund of order 42")
    theirs = await desk.conversation(cd, "social", "refund status")
    await desk.assign(mine, "social")

    async def found(who: str, q: str) -> tuple[list[str], list[str]]:
        r = await desk.c.get("/api/v1/search/work", params={"q": q}, headers=desk.h[who])
        assert r.status_code == 200, r.text
        body = r.json()
        masked = who in ("social", "games")  # supervisors read phones in full, agents masked
        assert all(("****" in c["phone"]) == masked for c in body["customers"]), body
        return [c["id"] for c in body["customers"]], [c["id"] for c in body["conversations"]]

    assert await found("social", "5678") == ([sz], [])
    assert await found("social", "REFUND") == ([], [mine])
    assert await found("games", "refund") == ([], [])
    assert await found("social", "vip-88") == ([sz], [])
    assert await found("sz.sup", "vip-88") == ([sz], [])
    assert await found("sz.sup", "refund") == ([], [mine])
    assert await found("sup", "vip-88") == ([cd, sz], [])
    assert await found("sup", "refund") == ([], [theirs, mine])
    assert await found("sup", "wang") == ([cd], [])
    assert await found("sup", "秀英") == ([sz], [])
    assert await found("sup", "%") == ([], [])
    r = await desk.c.get("/api/v1/search/work", params={"q": "wang"}, headers=desk.h["gw"])
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "params",
    [{"q": ""}, {"q": "   "}, {"q": "x" * 101}, {"q": "a\x07b"}, {"q": "wang", "limit": "21"}, {}],
    ids=["empty", "blank", "too-long", "control", "limit", "missing"],
)
async def test_bad_search_input_is_problem_json(desk: Desk, params: dict[str, str]) -> None:
    """Empty, blank, over-long or control-character queries and a limit over 20: 422 problem+json."""
    r = await desk.c.get("/api/v1/search/work", params=params, headers=desk.h["sup"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_search_is_bounded(desk: Desk) -> None:
    """At most ``limit`` of each, newest first."""
    for n in range(4):
        await desk.customer(f"bulk-{n}", f"客户{n}", "shenzhen", f"1380000000{n}")
    r = await desk.c.get("/api/v1/search/work", params={"q": "bulk", "limit": 3}, headers=desk.h["sup"])
    assert r.status_code == 200, r.text
    assert [c["external_id"] for c in r.json()["customers"]] == ["bulk-3", "bulk-2", "bulk-1"]
