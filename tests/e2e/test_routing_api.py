"""Routing over HTTP: offers, accept/decline/expiry, missed offers, wrap-up, abandon, stats, rebuild."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.clock import FakeClock
from tests.clocks import MORNING, clock_for, clock_matrix
from tests.conftest import Database, asgi_client, make_user, running_kefu, settings_for

H = dict[str, str]


pytestmark = clock_matrix


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """10:00 in Beijing on a fixed day (daytime: no night-hours signal), frozen or advancing."""
    return clock_for(request, MORNING)


@pytest_asyncio.fixture
async def routed(database: Database, clock: FakeClock) -> AsyncIterator[Kefu]:
    """A kefu with its routing engine running on a clock the test moves."""
    async with running_kefu(
        settings_for(database, offer_timeout_s=20, wrap_up_s=10, max_missed_offers=2), clock
    ) as k:
        yield k


@pytest_asyncio.fixture
async def client(routed: Kefu) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(routed) as c:
        yield c


class Centre:
    """Small helpers to drive a centre through the API."""

    def __init__(self, client: httpx.AsyncClient, kefu: Kefu, clock: FakeClock) -> None:
        self.c, self.kefu, self.clock = client, kefu, clock
        self.sup: H = {}
        self.integ: H = {}

    async def setup(self) -> None:
        self.sup = await make_user(self.kefu, "sup", "supervisor")
        self.integ = await make_user(self.kefu, "gateway", "integration")

    async def agent(self, username: str, site: str = "chongqing", **skills: int) -> tuple[str, H]:
        h = await make_user(self.kefu, username, "agent")
        body = {
            "name": username,
            "site": site,
            "skills": skills or {"payments": 3},
            "capacity": {"chat": 1},
            "username": username,
        }
        r = await self.c.post("/api/v1/agents", json=body, headers=self.sup)
        assert r.status_code == 201, r.text
        return r.json()["id"], h

    async def available(self, agent_id: str, h: H) -> None:
        r = await self.c.put(f"/api/v1/agents/{agent_id}/presence", json={"presence": "available"}, headers=h)
        assert r.status_code == 200, r.text

    async def contact(self, external_id: str, line: str = "payments", **customer: object) -> str:
        body = {"external_id": external_id, "name": "客户", **customer}
        cust = (await self.c.post("/api/v1/customers", json=body, headers=self.integ)).json()
        r = await self.c.post(
            "/api/v1/conversations",
            json={"customer_id": cust["id"], "business_line": line, "channel": "chat", "text": "你好"},
            headers=self.integ,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def offers(self, agent_id: str, h: H) -> list[dict[str, object]]:
        r = await self.c.get(f"/api/v1/agents/{agent_id}/offers", headers=h)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        assert self.kefu.router is not None
        await self.kefu.router.tick()


@pytest_asyncio.fixture
async def centre(client: httpx.AsyncClient, routed: Kefu, clock: FakeClock) -> Centre:
    c = Centre(client, routed, clock)
    await c.setup()
    return c


async def test_a_contact_is_offered_accepted_answered_and_resolved(centre: Centre) -> None:
    """An available agent gets the offer, accepting assigns the conversation, and resolving starts wrap-up."""
    agent_id, h = await centre.agent("fang.qing")
    await centre.available(agent_id, h)
    conv = await centre.contact("c1")
    offers = await centre.offers(agent_id, h)
    assert [(o["conversation_id"], o["kind"], o["channel"]) for o in offers] == [
        (conv, "conversation", "chat")
    ]
    r = await centre.c.post(f"/api/v1/offers/{offers[0]['id']}/accept", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["conversation_id"] == conv
    detail = (await centre.c.get(f"/api/v1/conversations/{conv}", headers=h)).json()
    assert detail["status"] == "assigned"
    assert detail["agent_id"] == agent_id
    assert (
        await centre.c.post(f"/api/v1/conversations/{conv}/messages", json={"body": "您好"}, headers=h)
    ).status_code == 201
    r = await centre.c.post(
        f"/api/v1/conversations/{conv}/resolve", json={"disposition": "solved"}, headers=h
    )
    assert r.status_code == 200
    # In wrap-up the agent gets nothing new on chat; after wrap-up the next contact is offered.
    nxt = await centre.contact("c2")
    assert await centre.offers(agent_id, h) == []
    await centre.advance(11)
    assert [o["conversation_id"] for o in await centre.offers(agent_id, h)] == [nxt]
    bus = centre.kefu.publisher
    assert isinstance(bus, InProcessBus)
    names = [e.name for e in bus.published]
    for expected in ("task.opened", "task.queued", "offer.created", "offer.accepted", "task.completed"):
        assert expected in names


async def test_declined_work_goes_to_the_next_agent_and_cannot_then_be_accepted(centre: Centre) -> None:
    """A decline passes the task on; accepting the declined offer afterwards is a 409."""
    a1, h1 = await centre.agent("a1")
    await centre.available(a1, h1)
    conv = await centre.contact("d1")
    offer = (await centre.offers(a1, h1))[0]
    a2, h2 = await centre.agent("a2")
    await centre.available(a2, h2)
    assert (await centre.c.post(f"/api/v1/offers/{offer['id']}/decline", headers=h1)).status_code == 200
    second = await centre.offers(a2, h2)
    assert [o["conversation_id"] for o in second] == [conv]
    late = await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=h1)
    assert late.status_code == 409
    assert late.json()["code"] == "offer_declined"
    stolen = await centre.c.post(f"/api/v1/offers/{second[0]['id']}/accept", headers=h1)
    assert stolen.status_code == 403


async def test_an_offer_times_out_and_repeated_misses_set_the_agent_away(centre: Centre) -> None:
    """After the offer timeout the task moves on; after max_missed_offers misses the agent is away."""
    a1, h1 = await centre.agent("sleepy")
    await centre.available(a1, h1)
    await centre.contact("t1")
    first = (await centre.offers(a1, h1))[0]
    await centre.advance(21)
    r = await centre.c.post(f"/api/v1/offers/{first['id']}/accept", headers=h1)
    assert r.status_code == 409
    assert r.json()["code"] == "offer_expired"
    await centre.contact("t2")
    assert len(await centre.offers(a1, h1)) == 1
    await centre.advance(21)
    agent = (await centre.c.get(f"/api/v1/agents/{a1}", headers=centre.sup)).json()
    assert agent["presence"] == "away"


async def test_an_abandoned_contact_withdraws_its_offer(centre: Centre) -> None:
    """When the customer leaves, the pending offer disappears and the conversation is abandoned."""
    a1, h1 = await centre.agent("w1")
    await centre.available(a1, h1)
    conv = await centre.contact("ab1")
    offer = (await centre.offers(a1, h1))[0]
    r = await centre.c.post(f"/api/v1/conversations/{conv}/abandon", headers=centre.integ)
    assert r.json()["status"] == "abandoned"
    assert await centre.offers(a1, h1) == []
    late = await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=h1)
    assert late.status_code == 409


async def test_care_customers_are_offered_first_and_to_elderly_care_agents(centre: Centre) -> None:
    """With one agent free, the elderly customer who arrived later is offered before the younger one."""
    young = await centre.contact("y1")
    centre.clock.advance(5)
    old = await centre.contact("o1", birth_date="1940-05-01")
    a1, h1 = await centre.agent("carer", payments=3, elderly_care=4)
    await centre.available(a1, h1)
    offers = await centre.offers(a1, h1)
    assert [o["conversation_id"] for o in offers] == [old]
    assert offers[0]["care"] is True
    assert young != old


async def test_home_site_first_then_all_sites_after_escalation(centre: Centre) -> None:
    """A customer of Wuhan waits for a Wuhan agent until the queue's escalation step opens all sites."""
    a1, h1 = await centre.agent("cq", site="chongqing")
    await centre.available(a1, h1)
    conv = await centre.contact("home1", home_site="wuhan")
    assert await centre.offers(a1, h1) == []
    await centre.advance(61)
    assert [o["conversation_id"] for o in await centre.offers(a1, h1)] == [conv]


async def test_queue_stats_show_waiting_agents_and_service_level(centre: Centre) -> None:
    """Stats count waiting work, agents per site and state, answered and abandoned contacts."""
    a1, h1 = await centre.agent("s1", site="hefei")
    await centre.contact("q1")
    await centre.contact("q2")
    ab = await centre.contact("q3")
    await centre.c.post(f"/api/v1/conversations/{ab}/abandon", headers=centre.integ)
    await centre.advance(5)
    await centre.available(a1, h1)
    offer = (await centre.offers(a1, h1))[0]
    await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=h1)
    stats = (await centre.c.get("/api/v1/queues/payments/stats", headers=centre.sup)).json()
    assert stats["waiting"] == 1
    assert stats["answered"] == 1
    assert stats["abandoned"] == 1
    assert stats["service_level_pct"] == 50.0
    assert stats["agents"]["hefei"] == {"available": 0, "busy": 1, "away": 0}
    assert stats["longest_wait_s"] >= 5
    assert stats["today"]["answered"] == 1
    assert (await centre.c.get("/api/v1/queues/nope/stats", headers=centre.sup)).status_code == 404


async def test_queues_can_be_defined_and_changed(centre: Centre) -> None:
    """A supervisor defines a queue; bad escalation steps are 422; agents may read but not change queues."""
    body = {
        "id": "vip_payments",
        "name": "VIP",
        "business_line": "payments",
        "channels": ["voice"],
        "skills": {"payments": 4},
        "priority": 20,
        "service_level": {"answer_within_s": 10, "target_pct": 90},
        "escalation": [{"after_s": 30, "skills": {"payments": 2}, "sites": "all"}],
    }
    r = await centre.c.post("/api/v1/queues", json=body, headers=centre.sup)
    assert r.status_code == 201, r.text
    assert (await centre.c.post("/api/v1/queues", json=body, headers=centre.sup)).status_code == 409
    bad = {
        **body,
        "id": "bad_q",
        "escalation": [{"after_s": 30, "skills": {}}, {"after_s": 10, "skills": {}}],
    }
    assert (await centre.c.post("/api/v1/queues", json=bad, headers=centre.sup)).status_code == 422
    r = await centre.c.patch("/api/v1/queues/vip_payments", json={"priority": 30}, headers=centre.sup)
    assert r.json()["priority"] == 30
    _, h = await centre.agent("reader")
    assert (await centre.c.get("/api/v1/queues/vip_payments", headers=h)).status_code == 200
    assert (
        await centre.c.patch("/api/v1/queues/vip_payments", json={"priority": 1}, headers=h)
    ).status_code == 403
    names = [q["id"] for q in (await centre.c.get("/api/v1/queues", headers=h)).json()]
    assert "anti_fraud" in names
    assert "vip_payments" in names


@pytest.mark.both_databases
async def test_the_engine_rebuilds_from_the_database(
    centre: Centre, database: Database, clock: FakeClock
) -> None:
    """A second kefu on the same database restores waiting tasks, pending offers and assignments."""
    a1, h1 = await centre.agent("r1")
    await centre.available(a1, h1)
    c1 = await centre.contact("rb1")
    offer = (await centre.offers(a1, h1))[0]
    await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=h1)
    a2, h2 = await centre.agent("r2")
    await centre.available(a2, h2)
    c2 = await centre.contact("rb2")
    pending = (await centre.offers(a2, h2))[0]
    c3 = await centre.contact("rb3")
    second = await bootstrap(
        settings_for(database), hasher=Argon2Hasher(fast=True), publisher=InProcessBus(), clock=clock
    )
    try:
        assert second.router is not None
        tasks = {t.task_id: t for t in second.router.engine.tasks()}
        by_state = sorted(str(t.state) for t in tasks.values())
        assert by_state == ["assigned", "offered", "waiting"]
        assert [o.offer_id for o in second.router.engine.offers_for(a2)] == [pending["id"]]
        assert {c1, c2, c3} == {s for _, s in second.router._subjects.values()}
    finally:
        await second.close()


async def test_the_agent_controls_wrap_up(centre: Centre) -> None:
    """Wrap-up shows on the agent; extended once (bounded), a second extension is 409; ending it early
    offers the next chat at once; another agent may not touch it."""
    a1, h1 = await centre.agent("wrapper")
    await centre.available(a1, h1)
    conv = await centre.contact("wr-1")
    (offer,) = await centre.offers(a1, h1)
    assert (await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=h1)).status_code == 200
    resolve = {"disposition": "solved"}
    r = await centre.c.post(f"/api/v1/conversations/{conv}/resolve", json=resolve, headers=h1)
    assert r.status_code == 200, r.text
    shown = (await centre.c.get(f"/api/v1/agents/{a1}/wrap-up", headers=h1)).json()
    assert list(shown["wrap_up_until"]) == ["chat"]
    _, other = await centre.agent("nosy")
    assert (await centre.c.post(f"/api/v1/agents/{a1}/wrap-up/end", headers=other)).status_code == 403
    url = f"/api/v1/agents/{a1}/wrap-up/extend"
    longer = await centre.c.post(url, json={"seconds": 30}, headers=h1)
    assert longer.status_code == 200, longer.text
    assert longer.json()["wrap_up_until"]["chat"] > shown["wrap_up_until"]["chat"]
    again = await centre.c.post(url, json={"seconds": 30}, headers=h1)
    assert (again.status_code, again.json()["code"]) == (409, "task_state")
    nxt = await centre.contact("wr-2")
    assert await centre.offers(a1, h1) == []
    ended = await centre.c.post(f"/api/v1/agents/{a1}/wrap-up/end", headers=h1)
    assert (ended.status_code, ended.json()["wrap_up_until"]) == (200, {})
    assert [o["conversation_id"] for o in await centre.offers(a1, h1)] == [nxt]
