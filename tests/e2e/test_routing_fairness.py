"""Routing that strands no one, over HTTP: declines and misses cool down, priority holds after a timeout,
elderly customers and cases leave an empty home base quickly; the customer's place and wait, transfers,
routing rules and per-queue home-site-first times."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from kefu.bootstrap import Kefu
from kefu.domain.clock import FakeClock
from tests.clocks import MORNING, clock_for, clock_matrix
from tests.conftest import Database, asgi_client, running_kefu, settings_for
from tests.e2e.test_routing_api import Centre
from tests.e2e.test_screening_api import Desk

pytestmark = clock_matrix


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """10:00 in Beijing on a fixed day, frozen or advancing."""
    return clock_for(request, MORNING)


@pytest_asyncio.fixture
async def routed(database: Database, clock: FakeClock) -> AsyncIterator[Kefu]:
    """A kefu with the shipped defaults for misses, cool-down and care home time; no wrap-up."""
    async with running_kefu(settings_for(database, offer_timeout_s=20, wrap_up_s=0), clock) as k:
        yield k


@pytest_asyncio.fixture
async def centre(routed: Kefu, clock: FakeClock) -> AsyncIterator[Centre]:
    async with asgi_client(routed) as client:
        made = Centre(client, routed, clock)
        await made.setup()
        yield made


async def _holder(centre: Centre, agents: dict[str, dict[str, str]]) -> tuple[str, dict[str, object]]:
    """The one agent holding an offer now, and that offer."""
    held = [(a, o) for a, h in agents.items() for o in await centre.offers(a, h)]
    assert len(held) == 1, held
    return held[0]


async def test_three_declining_agents_do_not_strand_the_chat(centre: Centre) -> None:
    """Each of three agents declines in turn; the chat is still offered, never left waiting beside them."""
    agents: dict[str, dict[str, str]] = {}
    for name in ("d1", "d2", "d3"):
        agent_id, h = await centre.agent(name)
        await centre.available(agent_id, h)
        agents[agent_id] = h
    conv = await centre.contact("decl-1")
    decliners = []
    for _ in range(3):
        agent_id, offer = await _holder(centre, agents)
        assert offer["conversation_id"] == conv
        r = await centre.c.post(f"/api/v1/offers/{offer['id']}/decline", headers=agents[agent_id])
        assert r.status_code == 200, r.text
        decliners.append(agent_id)
    assert sorted(decliners) == sorted(agents)  # while others were free, nobody got it twice
    agent_id, offer = await _holder(centre, agents)
    assert offer["conversation_id"] == conv
    r = await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=agents[agent_id])
    assert r.status_code == 200, r.text


async def test_a_decliner_gets_the_chat_after_the_cool_down(centre: Centre) -> None:
    """Held back while a colleague is busy, a decliner is offered the chat when the 30 s cool-down ends."""
    busy, hb = await centre.agent("busy")
    await centre.available(busy, hb)
    await centre.contact("filler")
    (first,) = await centre.offers(busy, hb)
    assert (await centre.c.post(f"/api/v1/offers/{first['id']}/accept", headers=hb)).status_code == 200
    idle, hi = await centre.agent("idle")
    await centre.available(idle, hi)
    conv = await centre.contact("cool-1")
    (offer,) = await centre.offers(idle, hi)
    assert (await centre.c.post(f"/api/v1/offers/{offer['id']}/decline", headers=hi)).status_code == 200
    assert await centre.offers(idle, hi) == []
    await centre.advance(31)
    assert [o["conversation_id"] for o in await centre.offers(idle, hi)] == [conv]


async def test_priority_holds_after_a_timeout(centre: Centre) -> None:
    """Two agents at capacity; the elderly chat offered first times out; the next agent freed gets it."""
    a, ha = await centre.agent("pa")
    b, hb = await centre.agent("pb")
    held: dict[str, str] = {}
    for agent_id, h in ((a, ha), (b, hb)):
        await centre.available(agent_id, h)
        conv = await centre.contact(f"fill-{agent_id}")
        (offer,) = await centre.offers(agent_id, h)
        assert (await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=h)).status_code == 200
        held[agent_id] = conv
    young = await centre.contact("young")
    centre.clock.advance(5)
    elderly = await centre.contact("elderly", birth_date="1940-05-01")
    resolve = {"disposition": "solved"}
    r = await centre.c.post(f"/api/v1/conversations/{held[b]}/resolve", json=resolve, headers=hb)
    assert r.status_code == 200, r.text
    assert [o["conversation_id"] for o in await centre.offers(b, hb)] == [elderly]
    await centre.advance(21)  # b misses it: set away (missed), offered nothing else
    assert await centre.offers(b, hb) == []
    agent = (await centre.c.get(f"/api/v1/agents/{b}", headers=centre.sup)).json()
    assert (agent["presence"], agent["presence_reason"]) == ("away", "missed")
    r = await centre.c.post(f"/api/v1/conversations/{held[a]}/resolve", json=resolve, headers=ha)
    assert r.status_code == 200, r.text
    assert [o["conversation_id"] for o in await centre.offers(a, ha)] == [elderly]
    assert young != elderly


async def test_an_elderly_customer_reaches_another_base_after_the_care_home_time(centre: Centre) -> None:
    """An elderly Wuhan customer with nobody free in Wuhan is offered to Chongqing after 10 s, not 60 s."""
    cq, h = await centre.agent("cq-carer", site="chongqing", payments=3, elderly_care=3)
    await centre.available(cq, h)
    conv = await centre.contact("eld-1", home_site="wuhan", birth_date="1940-05-01")
    assert await centre.offers(cq, h) == []
    await centre.advance(11)
    assert [o["conversation_id"] for o in await centre.offers(cq, h)] == [conv]


async def test_a_waiting_customer_sees_their_place_and_expected_wait(centre: Centre) -> None:
    """Position, contacts ahead and (ahead + 1) x mean handle time / staffed capacity; 409 once assigned."""
    a1, h1 = await centre.agent("solo")
    await centre.available(a1, h1)
    first = await centre.contact("pl-1")
    (offer,) = await centre.offers(a1, h1)
    second = await centre.contact("pl-2")
    third = await centre.contact("pl-3")
    place = await centre.c.get(f"/api/v1/conversations/{first}/queue", headers=centre.integ)
    assert place.status_code == 200, place.text
    assert (place.json()["state"], place.json()["position"], place.json()["estimated_wait_s"]) == (
        "offered",
        1,
        0,
    )
    assert (await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=h1)).status_code == 200
    centre.clock.advance(60)
    resolved = await centre.c.post(
        f"/api/v1/conversations/{first}/resolve", json={"disposition": "solved"}, headers=h1
    )
    assert resolved.status_code == 200, resolved.text
    (offer,) = await centre.offers(a1, h1)
    assert (await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=h1)).status_code == 200
    got = (await centre.c.get(f"/api/v1/conversations/{third}/queue", headers=centre.integ)).json()
    expected = {"state": "waiting", "position": 1, "ahead": 0, "estimated_wait_s": 60}
    assert {k: got[k] for k in expected} == expected  # one handle time seen: 60 s, one agent
    assert (got["callback_offered"], got["callback_offered_after_s"]) == (False, None)  # chat
    gone = await centre.c.get(f"/api/v1/conversations/{second}/queue", headers=centre.integ)
    assert (gone.status_code, gone.json()["code"]) == (409, "not_queued")
    missing = await centre.c.get("/api/v1/conversations/nope/queue", headers=centre.integ)
    assert missing.status_code == 404


async def test_a_voice_caller_sees_when_a_callback_is_offered(centre: Centre) -> None:
    """A voice caller with nobody free sees no estimate, then the callback offer after callback_offer_s."""
    body = {"external_id": "v-1", "name": "李秀英", "phone": "13800000000"}
    customer = (await centre.c.post("/api/v1/customers", json=body, headers=centre.integ)).json()
    opened = await centre.c.post(
        "/api/v1/conversations",
        json={"customer_id": customer["id"], "business_line": "payments", "channel": "voice", "text": "转账"},
        headers=centre.integ,
    )
    conv = opened.json()["id"]
    got = (await centre.c.get(f"/api/v1/conversations/{conv}/queue", headers=centre.integ)).json()
    assert (got["position"], got["estimated_wait_s"], got["callback_offered"]) == (1, None, False)
    assert got["callback_offered_after_s"] == 120 - got["waited_s"]
    await centre.advance(121)
    got = (await centre.c.get(f"/api/v1/conversations/{conv}/queue", headers=centre.integ)).json()
    assert (got["callback_offered"], got["callback_offered_after_s"]) == (True, 0)


async def test_an_agent_transfers_a_chat_to_a_colleague_with_a_note(centre: Centre) -> None:
    """POST /transfer to_agent: the colleague is offered it first and sees the note; no target is 422."""
    a1, h1 = await centre.agent("tr-1")
    await centre.available(a1, h1)
    conv = await centre.contact("tr-c1")
    (offer,) = await centre.offers(a1, h1)
    assert (await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=h1)).status_code == 200
    a2, h2 = await centre.agent("tr-2")
    await centre.available(a2, h2)
    a3, h3 = await centre.agent("tr-3")
    await centre.available(a3, h3)
    url = f"/api/v1/conversations/{conv}/transfer"
    assert (await centre.c.post(url, json={"note": "?"}, headers=h1)).status_code == 422
    assert (await centre.c.post(url, json={"to_agent": a3}, headers=h2)).status_code == 403
    r = await centre.c.post(url, json={"to_agent": a3, "note": "客户要改绑手机"}, headers=h1)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["agent_id"]) == ("queued", None)
    assert [o["conversation_id"] for o in await centre.offers(a3, h3)] == [conv]
    assert await centre.offers(a2, h2) == []
    detail = (await centre.c.get(f"/api/v1/conversations/{conv}", headers=centre.sup)).json()
    assert any("客户要改绑手机" in m["body"] for m in detail["messages"])


async def test_a_supervisor_transfers_a_waiting_chat_to_another_queue(centre: Centre) -> None:
    """A transfer to a queue keeps the customer's original wait: the place answer counts from the start."""
    conv = await centre.contact("tr-q1", line="payments")
    await centre.advance(40)
    r = await centre.c.post(
        f"/api/v1/conversations/{conv}/transfer", json={"to_queue": "elderly_care"}, headers=centre.sup
    )
    assert r.status_code == 200, r.text
    assert r.json()["queue"] == "elderly_care"
    stats = (await centre.c.get("/api/v1/queues/payments/stats", headers=centre.sup)).json()
    assert (stats["transferred"], stats["today"]["transferred"]) == (1, 1)
    got = (await centre.c.get(f"/api/v1/conversations/{conv}/queue", headers=centre.integ)).json()
    assert (got["queue"], got["state"]) == ("elderly_care", "waiting")
    assert got["waited_s"] >= 40


async def test_a_transferred_chat_is_answered_in_both_queues_and_once_by_the_centre(centre: Centre) -> None:
    """Answered in payments, transferred to elderly_care and answered there: payments shows it answered and
    transferred out, elderly_care answered and transferred in; the wallboard's centre line counts it once."""
    a, ha = await centre.agent("tr-first")
    await centre.available(a, ha)
    conv = await centre.contact("tr-once")
    (offer,) = await centre.offers(a, ha)
    assert (await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=ha)).status_code == 200
    b, hb = await centre.agent("tr-second", elderly_care=3)
    await centre.available(b, hb)
    r = await centre.c.post(
        f"/api/v1/conversations/{conv}/transfer", json={"to_queue": "elderly_care"}, headers=ha
    )
    assert r.status_code == 200, r.text
    (offer,) = await centre.offers(b, hb)
    assert (await centre.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=hb)).status_code == 200
    got = {}
    for queue in ("payments", "elderly_care"):
        stats = (await centre.c.get(f"/api/v1/queues/{queue}/stats", headers=centre.sup)).json()
        today = stats["today"]
        got[queue] = (
            stats["answered"],
            stats["transferred"],
            stats["transferred_in"],
            today["transferred_in"],
        )
    assert got == {"payments": (1, 1, 0, 0), "elderly_care": (1, 0, 1, 1)}
    board = (await centre.c.get("/api/v1/wallboard", headers=centre.sup)).json()
    for window in ("recent", "today"):
        line = board["centre"][window]
        assert (line["answered"], line["abandoned"], line["transferred"]) == (1, 0, 1)


async def test_a_routing_rule_sends_elderly_payments_contacts_to_elderly_care(centre: Centre) -> None:
    """A rule validated on write chooses the queue when none is given; a named queue wins over rules."""
    bad = await centre.c.post("/api/v1/routing-rules", json={"queue": "nowhere"}, headers=centre.sup)
    assert bad.status_code == 422
    bad = await centre.c.post(
        "/api/v1/routing-rules", json={"queue": "elderly_care", "intent": "astrology"}, headers=centre.sup
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")
    body = {"queue": "elderly_care", "business_line": "payments", "care": True}
    assert (await centre.c.post("/api/v1/routing-rules", json=body, headers=centre.integ)).status_code == 403
    made = await centre.c.post("/api/v1/routing-rules", json=body, headers=centre.sup)
    assert made.status_code == 201, made.text
    rules = (await centre.c.get("/api/v1/routing-rules", headers=centre.sup)).json()
    assert [r["id"] for r in rules] == [made.json()["id"]]
    elderly = await centre.contact("rr-old", birth_date="1940-05-01")
    young = await centre.contact("rr-young")
    queue_of = {}
    for conv in (elderly, young):
        queue_of[conv] = (await centre.c.get(f"/api/v1/conversations/{conv}", headers=centre.sup)).json()[
            "queue"
        ]
    assert queue_of == {elderly: "elderly_care", young: "payments"}
    cust = (
        await centre.c.post(
            "/api/v1/customers", json={"external_id": "rr-named", "name": "客户"}, headers=centre.integ
        )
    ).json()
    opened = {"customer_id": cust["id"], "business_line": "payments", "channel": "chat", "queue": "games"}
    named = await centre.c.post("/api/v1/conversations", json=opened, headers=centre.integ)
    assert (named.status_code, named.json()["queue"]) == (201, "games")
    nowhere = await centre.c.post(
        "/api/v1/conversations", json={**opened, "queue": "nowhere"}, headers=centre.integ
    )
    assert nowhere.status_code == 422
    gone = await centre.c.delete(f"/api/v1/routing-rules/{made.json()['id']}", headers=centre.sup)
    assert gone.status_code == 204
    assert (
        await centre.c.delete(f"/api/v1/routing-rules/{made.json()['id']}", headers=centre.sup)
    ).status_code == 404


async def test_a_routing_rule_sends_vip_payments_chats_to_a_queue_of_their_own(centre: Centre) -> None:
    """A VIP customer (registered so, or made so by a supervisor) goes by a vip rule to vip_payments."""
    queue = {
        "id": "vip_payments",
        "name": "VIP",
        "business_line": "payments",
        "channels": ["chat"],
        "skills": {"payments": 4},
    }
    assert (await centre.c.post("/api/v1/queues", json=queue, headers=centre.sup)).status_code == 201
    bad = await centre.c.post(
        "/api/v1/routing-rules", json={"queue": "vip_payments", "vip": "maybe"}, headers=centre.sup
    )
    assert bad.status_code == 422
    body = {"queue": "vip_payments", "business_line": "payments", "channel": "chat", "vip": True}
    made = await centre.c.post("/api/v1/routing-rules", json=body, headers=centre.sup)
    assert (made.status_code, made.json()["vip"]) == (201, True), made.text
    born_vip = await centre.contact("vip-1", vip=True)
    plain = await centre.contact("vip-2")
    cust = (await centre.c.get("/api/v1/customers?limit=100", headers=centre.sup)).json()["items"]
    by_ext = {c["external_id"]: c for c in cust}
    assert (by_ext["vip-1"]["vip"], by_ext["vip-2"]["vip"]) == (True, False)
    _, agent_h = await centre.agent("not-allowed")
    url = f"/api/v1/customers/{by_ext['vip-2']['id']}"
    assert (await centre.c.patch(url, json={"vip": True}, headers=agent_h)).status_code == 403
    assert (await centre.c.patch(url, json={"vip": None}, headers=centre.sup)).status_code == 422
    r = await centre.c.patch(url, json={"vip": True}, headers=centre.sup)
    assert (r.status_code, r.json()["vip"]) == (200, True), r.text
    opened = {"customer_id": by_ext["vip-2"]["id"], "business_line": "payments", "channel": "chat"}
    made_vip = await centre.c.post("/api/v1/conversations", json=opened, headers=centre.integ)
    assert made_vip.status_code == 201, made_vip.text
    queue_of = {}
    for conv in (born_vip, plain, made_vip.json()["id"]):
        got = await centre.c.get(f"/api/v1/conversations/{conv}", headers=centre.sup)
        queue_of[conv] = got.json()["queue"]
    assert queue_of == {born_vip: "vip_payments", plain: "payments", made_vip.json()["id"]: "vip_payments"}


async def test_a_queue_sets_home_first_per_priority_class(centre: Centre) -> None:
    """PATCH home_first_s {"other": 5}: a Wuhan customer reaches Chongqing after 5 s; a bad class is 422."""
    bad = await centre.c.patch(
        "/api/v1/queues/payments", json={"home_first_s": {"vip": 5}}, headers=centre.sup
    )
    assert bad.status_code == 422
    r = await centre.c.patch(
        "/api/v1/queues/payments", json={"home_first_s": {"other": 5}}, headers=centre.sup
    )
    assert (r.status_code, r.json()["home_first_s"]) == (200, {"other": 5})
    cq, h = await centre.agent("cq-other", site="chongqing")
    await centre.available(cq, h)
    conv = await centre.contact("hf-1", home_site="wuhan")
    assert await centre.offers(cq, h) == []
    await centre.advance(6)
    assert [o["conversation_id"] for o in await centre.offers(cq, h)] == [conv]


async def test_a_case_reaches_a_specialist_at_another_base_at_once(centre: Centre) -> None:
    """A held payment of a Wuhan payer is offered at once to the free specialist in Chongqing."""
    desk = Desk(centre.c, centre.kefu, centre.clock)
    desk.sup, desk.gw = centre.sup, centre.integ
    specialist, h = await desk.specialist("fan.case")
    await centre.available(specialist, h)
    case_id = await desk.held_case("p-home", home_site="wuhan")
    offers = await centre.offers(specialist, h)
    assert [(o["kind"], o["subject_id"]) for o in offers] == [("case", case_id)]
