"""The border-soldier scene of issues 5 and 13, end to end over HTTP on SQLite and PostgreSQL, at any hour.

An 80-year-old customer is about to send ¥100,000 to a "border soldier" she met online. At 15:00 Beijing
time kefu holds the payment; at 03:30 the night rule makes it a block. Either way a case tops the anti-fraud
queue, a specialist calls and reaches her, she is dissuaded, the money is saved, the payee is watchlisted
(the next payment to it is blocked) and her son is told once, after the outcome. The specialist reveals her
number (audited) and dials it through the dialer; the payments gateway's webhook receiver, a real local HTTP
server, hears every status change of the payment with a valid signature.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.notify import RecordingNotifier, verify
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.cases import CaseOpened, CaseResolved
from kefu.domain.clock import FakeClock
from tests.clocks import AFTERNOON, NIGHT, clock_for, story_matrix
from tests.conftest import Database, Receiver, asgi_client, make_user, settings_for

H = dict[str, str]
SECRET = "gateway-shared-secret-0123456789"


pytestmark = story_matrix


# The hour of the scene: (start, decision, what the stopped payment becomes once she is dissuaded, and the
# statuses the gateway hears: a hold is held then cancelled; a block stays blocked).
SCENES = {
    "night-0330": (NIGHT, "block", "blocked", ["blocked"]),
    "afternoon-1500": (AFTERNOON, "hold", "cancelled", ["held", "cancelled"]),
}


@pytest.fixture(params=sorted(SCENES))
def scene(request: pytest.FixtureRequest) -> tuple[Any, str, str, list[str]]:
    """03:30 Beijing (night rule: block) or 15:00 (hold)."""
    return SCENES[request.param]


@pytest.fixture
def clock(request: pytest.FixtureRequest, scene: tuple[Any, str, str, list[str]]) -> FakeClock:
    """The scene's hour on a fixed day, frozen or advancing."""
    return clock_for(request, scene[0])


@pytest.fixture
def notifier() -> RecordingNotifier:
    """Family alerts recorded, standing in for a channel that acknowledges them."""
    return RecordingNotifier(acknowledge=True)


@pytest_asyncio.fixture
async def desk(
    database: Database, clock: FakeClock, notifier: RecordingNotifier, receiver: Receiver
) -> AsyncIterator[Kefu]:
    """A kefu with routing on a test-driven clock, a recording notifier and the gateway's webhook (sent when
    the test runs the sender, so what the gateway hears is checked in order)."""
    publisher = InProcessBus()
    k = await bootstrap(
        settings_for(
            database,
            offer_timeout_s=20,
            wrap_up_s=10,
            payment_webhook_url=receiver.url,
            payment_webhook_secret=SECRET,
        ),
        hasher=Argon2Hasher(fast=True),
        publisher=publisher,
        clock=clock,
        notifier=notifier,
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


def eighty_years_before(day: date) -> str:
    return day.replace(year=day.year - 80, day=min(day.day, 28)).isoformat()


async def test_border_soldier_scene(
    client: httpx.AsyncClient,
    desk: Kefu,
    clock: FakeClock,
    notifier: RecordingNotifier,
    receiver: Receiver,
    scene: tuple[Any, str, str, list[str]],
) -> None:
    """Held by day, blocked by night: a top-priority case either way, the number revealed and dialled,
    reached and dissuaded, ¥100,000 saved, payee blocked, the gateway told each status with a valid
    signature, the son alerted once after the outcome."""
    _, expected_decision, stopped_as, gateway_hears = scene
    assert desk.webhooks is not None
    sup = await make_user(desk, "sup", "supervisor")
    gateway = await make_user(desk, "gateway", "integration")
    specialist = await make_user(desk, "li.na", "agent")
    r = await client.post(
        "/api/v1/agents",
        json={
            "name": "李娜",
            "site": "chongqing",
            "skills": {"anti_fraud": 5, "payments": 4},
            "capacity": {"voice": 1},
            "username": "li.na",
        },
        headers=sup,
    )
    assert r.status_code == 201, r.text
    agent_id = r.json()["id"]
    r = await client.put(
        f"/api/v1/agents/{agent_id}/presence", json={"presence": "available"}, headers=specialist
    )
    assert r.status_code == 200, r.text

    r = await client.post(
        "/api/v1/customers",
        json={
            "external_id": "u-wang-80",
            "name": "王秀英",
            "phone": "13812345678",
            "birth_date": eighty_years_before(clock.now().date()),
            "trusted_contact": {"name": "王强", "phone": "13987654321", "relation": "son"},
            "home_site": "chongqing",
        },
        headers=gateway,
    )
    assert r.status_code == 201, r.text
    customer = r.json()
    assert customer["elderly"] is True

    payment = {
        "payment_id": "pay-border-1",
        "payer": {"customer_id": customer["id"]},
        "payee": {"account_id": "acct-bianfang-li", "name": "边防战士 李强", "kind": "individual"},
        "amount": 10_000_000,
        "currency": "CNY",
        "channel": "transfer",
        "memo": "给边防战士的捐款",
        "created_at": clock.now().isoformat(),
    }
    r = await client.post("/api/v1/payments/screen", json=payment, headers=gateway)
    assert r.status_code == 200, r.text
    decision = r.json()
    assert decision["decision"] == expected_decision
    assert decision["typology"] == "impersonation_soldier"
    assert decision["rule_set_version"]
    codes = {x["code"] for x in decision["reasons"]}
    assert codes >= {"elderly_large_new_payee", "memo_impersonation_soldier"}
    case_id = decision["case_id"]
    assert case_id is not None  # a block opens a case too
    assert (decision["hold_expires_at"] is not None) == (expected_decision == "hold")

    # The same payment again: the same answer, no second case.
    again = await client.post("/api/v1/payments/screen", json=payment, headers=gateway)
    assert again.json() == decision
    listed = (await client.get("/api/v1/cases", headers=sup)).json()
    assert [c["id"] for c in listed["items"]] == [case_id]

    # The case is offered at once to the anti-fraud specialist, flagged for care (elderly payer).
    offers = (await client.get(f"/api/v1/agents/{agent_id}/offers", headers=specialist)).json()
    assert [(o["kind"], o["subject_id"], o["queue"], o["care"]) for o in offers] == [
        ("case", case_id, "anti_fraud", True)
    ]
    clock.advance(10)
    r = await client.post(f"/api/v1/offers/{offers[0]['id']}/accept", headers=specialist)
    assert r.status_code == 200, r.text

    detail = (await client.get(f"/api/v1/cases/{case_id}", headers=specialist)).json()
    assert detail["agent_id"] == agent_id
    assert detail["playbook"]["typology"] == "impersonation_soldier"
    assert detail["playbook"]["ask"]["zh"] and detail["playbook"]["ask"]["en"]
    assert detail["kind"] == ("decide" if expected_decision == "hold" else "protect")
    assert detail["payer"]["phone"] == "138****5678"  # agents see the phone masked
    assert detail["alerts"] == []  # nobody alerted before the specialist has checked
    assert [p["payment_id"] for p in detail["payments"]] == ["pay-border-1"]

    # The specialist reveals the payer's number (audited) and dials it through the dialer (a tel: link).
    shown = await client.post(
        f"/api/v1/cases/{case_id}/reveal", json={"field": "payer_phone"}, headers=specialist
    )
    assert (shown.status_code, shown.json()["phone"]) == (200, "13812345678"), shown.text
    call = await client.post(f"/api/v1/cases/{case_id}/call", json={"target": "payer"}, headers=specialist)
    assert call.status_code == 200, call.text
    assert call.json()["link"] == "tel:13812345678"
    audit = (await client.get("/api/v1/audit", params={"subject_id": case_id}, headers=sup)).json()
    actions = {entry["action"] for entry in audit["items"]}
    assert {"case.contact_revealed", "case.call_placed"} <= actions, actions
    # The gateway hears the stop (the payment's first status change), signed.
    assert await desk.webhooks.run_once() == 1

    clock.advance(50)
    r = await client.post(
        f"/api/v1/cases/{case_id}/contact-attempts",
        json={"result": "reached", "note": "讲解冒充军人诈骗，老人同意取消"},
        headers=specialist,
    )
    assert r.status_code == 201, r.text
    assert r.json()["next_contact_due_at"] is None
    r = await client.post(
        f"/api/v1/cases/{case_id}/resolve", json={"outcome": "dissuaded"}, headers=specialist
    )
    assert r.status_code == 200, r.text
    resolved = r.json()
    assert (resolved["status"], resolved["outcome"], resolved["payment_outcome"]) == (
        "resolved",
        "dissuaded",
        stopped_as,
    )
    assert [p["status"] for p in resolved["payments"]] == [stopped_as]
    assert [a["kind"] for a in resolved["alerts"]] == ["case_dissuaded"]
    assert all(a["delivered"] for a in resolved["alerts"])
    assert [(a.kind, a.contact_phone) for a in notifier.sent] == [("case_dissuaded", "13987654321")]

    # The gateway hears the outcome (a held payment is now cancelled; a blocked one stays blocked).
    await desk.webhooks.run_once()
    bodies = [json.loads(body) for _, body, _ in receiver.received]
    assert [b["data"]["payment_id"] for b in bodies] == ["pay-border-1"] * len(gateway_hears)
    assert [b["data"]["status"] for b in bodies] == gateway_hears
    now = int(clock.now().timestamp())
    for headers, body, status in receiver.received:
        assert status == 200
        assert verify(SECRET, headers["x-kefu-signature"], body, now)

    again = await client.post(
        f"/api/v1/cases/{case_id}/resolve", json={"outcome": "released"}, headers=specialist
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")

    day_from = (clock.now() - timedelta(days=1)).isoformat()
    day_to = (clock.now() + timedelta(days=1)).isoformat()
    stats = (
        await client.get("/api/v1/stats/fraud", params={"from": day_from, "to": day_to}, headers=sup)
    ).json()
    assert stats.get("saved") == {"CNY": 10_000_000}, stats
    assert (stats["screened"], stats["held"] + stats["blocked"]) == (1, 1)
    assert stats["cases"]["dissuaded"] == 1
    assert stats["dissuasion_rate"] == 1.0
    assert stats["median_time_to_first_contact_s"] == 60.0
    assert stats["by_typology"]["impersonation_soldier"]["saved"] == {"CNY": 10_000_000}

    # The payee is on the watchlist: the next payment to it, from anyone, is blocked outright.
    clock.advance(600)
    r = await client.post(
        "/api/v1/payments/screen",
        json={
            **payment,
            "payment_id": "pay-border-2",
            "payer": {"external_id": "someone-else"},
            "amount": 500_000,
            "memo": "",
            "created_at": clock.now().isoformat(),
        },
        headers=gateway,
    )
    assert r.status_code == 200, r.text
    assert r.json()["decision"] == "block"
    assert "payee_watchlisted" in {x["code"] for x in r.json()["reasons"]}
    # A new victim paying the watchlisted account is blocked and reached too: a protect case of their own.
    assert r.json()["case_id"] not in (None, case_id)

    published = [type(e) for e in desk.publisher.published]  # type: ignore[attr-defined]
    assert published.count(CaseOpened) == 2
    assert published.count(CaseResolved) == 1
