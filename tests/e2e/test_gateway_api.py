"""The payments gateway loop over HTTP: the status endpoint, replays and idempotency mismatches, and signed
webhooks received by a real local HTTP server that refuses the first delivery."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.notify import RecordingNotifier, verify
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.clock import FakeClock
from kefu.services.screening.gateway import WebhookDispatcher
from tests.clocks import MORNING, clock_for, clock_matrix
from tests.conftest import Database, Receiver, asgi_client, make_user, settings_for

H = dict[str, str]
SECRET = "gateway-shared-secret-0123456789"
DIALER_SECRET = "telephony-shared-secret-98765"
BORDER = {"account_id": "acct-bf-1", "name": "边防战士 李强", "kind": "individual"}

pytestmark = clock_matrix


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """10:00 in Beijing on a fixed day, frozen or advancing."""
    return clock_for(request, MORNING)


@pytest_asyncio.fixture
async def desk(database: Database, clock: FakeClock, receiver: Receiver) -> AsyncIterator[Kefu]:
    """A kefu with routing and a payment webhook to the receiver; the test drives the dispatcher."""
    k = await bootstrap(
        settings_for(
            database,
            hold_s=3600,
            rules_check_s=0,
            payment_webhook_url=receiver.url,
            payment_webhook_secret=SECRET,
            payment_webhook_retry_s=5,
            dialer_webhook_url=receiver.url,
            dialer_webhook_secret=DIALER_SECRET,
            offer_timeout_s=60,
        ),
        hasher=Argon2Hasher(fast=True),
        publisher=InProcessBus(),
        clock=clock,
        notifier=RecordingNotifier(),
        relay=False,
    )
    try:
        yield k
    finally:
        await k.close()


@pytest_asyncio.fixture
async def client(desk: Kefu) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(desk) as c:
        yield c


@dataclass
class People:
    gw: H
    sup: H
    agent: H
    admin: H


@pytest_asyncio.fixture
async def people(desk: Kefu) -> People:
    return People(
        await make_user(desk, "gateway", "integration"),
        await make_user(desk, "sup", "supervisor"),
        await make_user(desk, "li", "agent"),
        await make_user(desk, "root", "admin"),
    )


def _payment(payment_id: str, clock: FakeClock, payer: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "payer": payer,
        "payee": BORDER,
        "amount": 10_000_000,
        "currency": "CNY",
        "channel": "transfer",
        "memo": "给边防战士的捐款",
        "created_at": clock.now().isoformat(),
        **more,
    }


async def _elderly(client: httpx.AsyncClient, people: People, clock: FakeClock, external_id: str) -> str:
    today = clock.now().date()
    body = {
        "external_id": external_id,
        "name": "张奶奶",
        "birth_date": today.replace(year=today.year - 80).isoformat(),
    }
    r = await client.post("/api/v1/customers", json=body, headers=people.gw)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def dispatcher(kefu: Kefu) -> WebhookDispatcher:
    assert kefu.webhooks is not None
    return kefu.webhooks


async def test_the_gateway_hears_held_then_cancelled_signed_and_retried(
    client: httpx.AsyncClient, desk: Kefu, people: People, clock: FakeClock, receiver: Receiver
) -> None:
    """The receiver refuses the first delivery; after the backoff it gets ``held`` again (same event id),
    then ``cancelled`` once the case is dissuaded; every signature verifies under the shared secret."""
    cid = await _elderly(client, people, clock, "ext-1")
    r = await client.post(
        "/api/v1/payments/screen", json=_payment("p-1", clock, {"customer_id": cid}), headers=people.gw
    )
    assert (r.status_code, r.json()["decision"], r.json()["status"]) == (200, "hold", "held")
    case_id = r.json()["case_id"]
    receiver.refuse = 1
    assert await dispatcher(desk).run_once() == 0
    assert await dispatcher(desk).run_once() == 0  # not due again before the backoff
    clock.advance(5)
    assert await dispatcher(desk).run_once() == 1
    resolved = await client.post(
        f"/api/v1/cases/{case_id}/resolve",
        json={"outcome": "dissuaded", "note": "劝阻成功"},
        headers=people.sup,
    )
    assert resolved.status_code == 200, resolved.text
    assert await dispatcher(desk).run_once() == 1
    assert [status for _, _, status in receiver.received] == [500, 200, 200]
    bodies = [json.loads(body) for _, body, _ in receiver.received]
    assert [b["data"]["status"] for b in bodies] == ["held", "held", "cancelled"]
    ids = [headers["x-kefu-event-id"] for headers, _, _ in receiver.received]
    assert ids[0] == ids[1] != ids[2] and ids == [b["id"] for b in bodies]
    now = int(clock.now().timestamp())
    for headers, body, _ in receiver.received:
        assert verify(SECRET, headers["x-kefu-signature"], body, now)
        assert not verify("another-secret-entirely", headers["x-kefu-signature"], body, now)
    assert bodies[2]["data"]["case_ref"].startswith("KF-")


async def test_the_status_endpoint_and_replays(
    client: httpx.AsyncClient, desk: Kefu, people: People, clock: FakeClock
) -> None:
    """GET /payments/{id} gives the current status and case reference to the gateway and managers (403 for
    an agent, 404 unknown); a replay answers the current status; another payment under the id is 409."""
    cid = await _elderly(client, people, clock, "ext-1")
    body = _payment("p-1", clock, {"customer_id": cid}, amount=4_000_000)  # below the four-eyes amount
    first = await client.post("/api/v1/payments/screen", json=body, headers=people.gw)
    case_id = first.json()["case_id"]
    got = await client.get("/api/v1/payments/p-1", headers=people.gw)
    assert got.status_code == 200, got.text
    view = got.json()
    assert (view["status"], view["decision"], view["case_id"]) == ("held", "hold", case_id)
    assert view["case_ref"].startswith("KF-") and view["specialist"] is None
    assert view["hold_expires_at"] is not None and view["status_changed_at"] is not None
    for role in (people.sup, people.admin):
        assert (await client.get("/api/v1/payments/p-1", headers=role)).status_code == 200
    forbidden = await client.get("/api/v1/payments/p-1", headers=people.agent)
    assert forbidden.status_code == 403 and forbidden.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert (await client.get("/api/v1/payments/nope", headers=people.gw)).status_code == 404
    assert (await client.get("/api/v1/payments/p-1")).status_code == 401
    reached = await client.post(
        f"/api/v1/cases/{case_id}/contact-attempts", json={"result": "reached"}, headers=people.sup
    )
    assert reached.status_code == 201, reached.text
    r = await client.post(
        f"/api/v1/cases/{case_id}/resolve",
        json={"outcome": "released", "note": "本人确认"},
        headers=people.sup,
    )
    assert r.status_code == 200, r.text
    replay = await client.post("/api/v1/payments/screen", json=body, headers=people.gw)
    assert (replay.status_code, replay.json()["decision"], replay.json()["status"]) == (
        200,
        "hold",
        "released",
    )
    assert (await client.get("/api/v1/payments/p-1", headers=people.gw)).json()["status"] == "released"
    for change in ({"amount": 1}, {"currency": "USD"}, {"payee": {"account_id": "other"}}):
        clash = await client.post("/api/v1/payments/screen", json={**body, **change}, headers=people.gw)
        assert clash.status_code == 409, clash.text
        assert clash.json()["code"] == "idempotency_mismatch"


async def test_a_payer_never_served_gets_a_case_that_can_be_worked(
    client: httpx.AsyncClient, people: People, clock: FakeClock
) -> None:
    """Screening by external_id with contact details creates the customer: the case has the payer's name
    and phone; bad details are 422 problems and store nothing."""
    today = clock.now().date()
    payer = {
        "external_id": "wx-1",
        "name": "刘大爷",
        "phone": "+86 139 0000 0009",
        "birth_date": today.replace(year=today.year - 81).isoformat(),
        "language": "zh",
        "trusted_contact": {"name": "刘小明", "phone": "+8613900000010", "relation": "son"},
    }
    r = await client.post("/api/v1/payments/screen", json=_payment("p-1", clock, payer), headers=people.gw)
    assert (r.status_code, r.json()["decision"]) == (200, "hold"), r.text
    case = (await client.get(f"/api/v1/cases/{r.json()['case_id']}", headers=people.sup)).json()
    assert (case["payer"]["name"], case["payer"]["phone"], case["elderly"]) == (
        "刘大爷",
        "+86 139 0000 0009",
        True,
    )
    bad = [
        {"phone": "call me"},
        {"birth_date": today.replace(year=today.year + 1).isoformat()},
        {"birth_date": "1800-01-01"},
        {"language": "fr"},
        {"trusted_contact": {"name": "儿子"}},
        {"nickname": "老刘"},
    ]
    for n, change in enumerate(bad):
        body = _payment(f"p-bad-{n}", clock, {"external_id": f"wx-bad-{n}", **change})
        refused = await client.post("/api/v1/payments/screen", json=body, headers=people.gw)
        assert refused.status_code == 422, (change, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        missing = await client.get(f"/api/v1/payments/p-bad-{n}", headers=people.gw)
        assert missing.status_code == 404


async def _specialist(client: httpx.AsyncClient, desk: Kefu, people: People, username: str) -> tuple[str, H]:
    h = await make_user(desk, username, "agent")
    body = {
        "name": username,
        "site": "chongqing",
        "skills": {"payments": 3, "anti_fraud": 4},
        "capacity": {"voice": 1},
        "username": username,
    }
    r = await client.post("/api/v1/agents", json=body, headers=people.sup)
    assert r.status_code == 201, r.text
    return str(r.json()["id"]), h


async def test_the_specialist_reveals_and_calls_through_click_to_call(
    client: httpx.AsyncClient, desk: Kefu, people: People, clock: FakeClock, receiver: Receiver
) -> None:
    """The specialist who accepted the case reveals the payer's number and places a signed click-to-call
    request to the telephony platform (a real local server); another specialist gets 403; the case still
    shows the number masked; bad input is 422, an unknown case 404."""
    agent_id, h = await _specialist(client, desk, people, "wang")
    other_id, other = await _specialist(client, desk, people, "zhao")
    today = clock.now().date()
    payer = {
        "external_id": "wx-1",
        "name": "刘大爷",
        "phone": "+8613900000009",
        "birth_date": today.replace(year=today.year - 81).isoformat(),
        "trusted_contact": {"name": "刘小明", "phone": "+8613900000010"},
    }
    r = await client.post("/api/v1/payments/screen", json=_payment("p-1", clock, payer), headers=people.gw)
    case_id = r.json()["case_id"]
    await client.put(f"/api/v1/agents/{agent_id}/presence", json={"presence": "available"}, headers=h)
    (offer,) = (await client.get(f"/api/v1/agents/{agent_id}/offers", headers=h)).json()
    assert (await client.post(f"/api/v1/offers/{offer['id']}/accept", headers=h)).status_code == 200
    masked = (await client.get(f"/api/v1/cases/{case_id}", headers=h)).json()
    assert masked["payer"]["phone"] == "+861******0009"
    assert masked["payer"]["trusted_contact"]["phone"] == "+861******0010"
    shown = await client.post(f"/api/v1/cases/{case_id}/reveal", json={"field": "payer_phone"}, headers=h)
    assert (shown.status_code, shown.json()["phone"]) == (200, "+8613900000009"), shown.text
    for headers in (other, people.gw, people.admin):
        refused = await client.post(
            f"/api/v1/cases/{case_id}/reveal", json={"field": "payer_phone"}, headers=headers
        )
        assert refused.status_code == 403, refused.text
    sup = await client.post(
        f"/api/v1/cases/{case_id}/reveal", json={"field": "trusted_contact_phone"}, headers=people.sup
    )
    assert (sup.status_code, sup.json()["name"], sup.json()["phone"]) == (200, "刘小明", "+8613900000010")
    assert (
        await client.post(f"/api/v1/cases/{case_id}/reveal", json={"field": "email"}, headers=h)
    ).status_code == 422
    assert (
        await client.post("/api/v1/cases/nope/reveal", json={"field": "payer_phone"}, headers=h)
    ).status_code == 404
    call = await client.post(
        f"/api/v1/cases/{case_id}/call", json={"target": "payer", "extension": "8001"}, headers=h
    )
    assert call.status_code == 200, call.text
    assert (call.json()["placed"], call.json()["number"]) == (True, "+861******0009")
    ((headers, body, status),) = receiver.received
    sent = json.loads(body)
    assert (sent["case_id"], sent["extension"], sent["number"], status) == (
        case_id,
        "8001",
        "+8613900000009",
        200,
    )
    assert verify(DIALER_SECRET, headers["x-kefu-signature"], body, int(clock.now().timestamp()))
    assert headers["x-kefu-event-id"] == sent["call_id"] == call.json()["reference"]
    refused_call = await client.post(f"/api/v1/cases/{case_id}/call", json={"target": "payer"}, headers=other)
    assert refused_call.status_code == 403
    bad = await client.post(
        f"/api/v1/cases/{case_id}/call", json={"target": "payer", "extension": "80 01;"}, headers=h
    )
    assert bad.status_code == 422
    assert other_id != agent_id


async def test_an_unsent_webhook_survives_a_restart(
    database: Database, clock: FakeClock, receiver: Receiver
) -> None:
    """A delivery the gateway refused before kefu stopped is sent by the next kefu on the same database,
    with the same event id and a valid signature."""
    settings = settings_for(
        database, payment_webhook_url=receiver.url, payment_webhook_secret=SECRET, payment_webhook_retry_s=5
    )
    receiver.refuse = 1
    first = await bootstrap(settings, hasher=Argon2Hasher(fast=True), clock=clock, routing=False, relay=False)
    try:
        async with asgi_client(first) as client:
            gw = await make_user(first, "gateway", "integration")
            payer = {
                "external_id": "wx-1",
                "name": "刘大爷",
                "phone": "+8613900000009",
                "birth_date": "1940-01-01",
            }
            r = await client.post("/api/v1/payments/screen", json=_payment("p-1", clock, payer), headers=gw)
            assert r.json()["status"] == "held", r.text
        assert await dispatcher(first).run_once() == 0
    finally:
        await first.close()
    clock.advance(5)
    second = await bootstrap(
        settings, hasher=Argon2Hasher(fast=True), clock=clock, routing=False, relay=False
    )
    try:
        assert await dispatcher(second).run_once() == 1
    finally:
        await second.close()
    assert [status for _, _, status in receiver.received] == [500, 200]
    (h1, b1, _), (h2, b2, _) = receiver.received
    assert h1["x-kefu-event-id"] == h2["x-kefu-event-id"] and b1 == b2
    assert verify(SECRET, h2["x-kefu-signature"], b2, int(clock.now().timestamp()))


async def test_a_refused_click_to_call_is_answered_not_placed_and_audited(
    client: httpx.AsyncClient, desk: Kefu, people: People, clock: FakeClock, receiver: Receiver
) -> None:
    """The telephony platform answering 500 gives placed false with the error (no 5xx); an unknown case
    is 404."""
    payer = {"external_id": "wx-1", "name": "刘大爷", "phone": "+8613900000009", "birth_date": "1940-01-01"}
    r = await client.post("/api/v1/payments/screen", json=_payment("p-1", clock, payer), headers=people.gw)
    case_id = r.json()["case_id"]
    receiver.refuse = 1
    call = await client.post(f"/api/v1/cases/{case_id}/call", json={"extension": "8001"}, headers=people.sup)
    assert call.status_code == 200, call.text
    assert (call.json()["placed"], call.json()["error"] is not None) == (False, True)
    missing = await client.post("/api/v1/cases/nope/call", json={"extension": "8001"}, headers=people.sup)
    assert missing.status_code == 404
