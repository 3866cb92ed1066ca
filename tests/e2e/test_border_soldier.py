"""The border-soldier scene of issue 5, end to end over HTTP on SQLite and PostgreSQL.

An 80-year-old customer is about to send ¥100,000 to a "border soldier" she met online. kefu holds the
payment, the case tops the anti-fraud queue, a specialist calls, she cancels, the money is saved, the payee
is watchlisted (the next payment to it is blocked) and her registered family contact is told.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest
import pytest_asyncio

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.notify import RecordingNotifier
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.cases import CaseOpened, CaseResolved
from kefu.domain.clock import FakeClock
from tests.clocks import MORNING, clock_for, story_matrix
from tests.conftest import Database, asgi_client, make_user, settings_for

H = dict[str, str]


pytestmark = story_matrix


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """10:00 in Beijing on a fixed day (daytime: no night-hours signal), frozen or advancing."""
    return clock_for(request, MORNING)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest_asyncio.fixture
async def desk(database: Database, clock: FakeClock, notifier: RecordingNotifier) -> AsyncIterator[Kefu]:
    """A kefu with routing on a test-driven clock and a recording notifier."""
    publisher = InProcessBus()
    k = await bootstrap(
        settings_for(database, offer_timeout_s=20, wrap_up_s=10),
        hasher=Argon2Hasher(fast=True),
        publisher=publisher,
        clock=clock,
        notifier=notifier,
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
    client: httpx.AsyncClient, desk: Kefu, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    """Hold, top-priority case, accepted and dissuaded, ¥100,000 saved, payee blocked, family told."""
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
    assert decision["decision"] == "hold"
    assert decision["typology"] == "impersonation_soldier"
    assert decision["rule_set_version"]
    codes = {x["code"] for x in decision["reasons"]}
    assert codes >= {"elderly_large_new_payee", "memo_impersonation_soldier"}
    case_id = decision["case_id"]
    assert decision["hold_expires_at"] is not None

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
    assert detail["payer"]["phone"] == "138****5678"  # agents see the phone masked
    assert [a["kind"] for a in detail["alerts"]] == ["case_opened"]
    assert detail["alerts"][0]["contact_phone"] != "13987654321"

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
        "cancelled",
    )
    assert [a["kind"] for a in resolved["alerts"]] == ["case_opened", "case_dissuaded"]
    assert all(a["delivered"] for a in resolved["alerts"])
    assert [a.contact_phone for a in notifier.sent] == ["13987654321", "13987654321"]

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
    assert (stats["screened"], stats["held"]) == (1, 1)
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

    published = [type(e) for e in desk.publisher.published]  # type: ignore[attr-defined]
    assert published.count(CaseOpened) == 1
    assert published.count(CaseResolved) == 1
