"""Intervention cases over HTTP (issue 13) on SQLite and PostgreSQL: split payments join one case, releases
need a reached contact and a reason, large releases need a second supervisor, only the specialist working a
case or a supervisor acts on it, and a customer's scam report opens a report case on anti-fraud."""

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
from tests.clocks import AFTERNOON, clock_for, clock_matrix
from tests.conftest import Database, asgi_client, make_user, settings_for

H = dict[str, str]
SOLDIER = {"account_id": "acct-soldier-1", "name": "边防战士 李强", "kind": "individual"}

pytestmark = clock_matrix


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """15:00 in Beijing (outside the night rule), frozen or advancing."""
    return clock_for(request, AFTERNOON)


@pytest_asyncio.fixture
async def kefu(database: Database, clock: FakeClock) -> AsyncIterator[Kefu]:
    """A kefu with routing on the test's clock; family alerts recorded."""
    k = await bootstrap(
        settings_for(database, offer_timeout_s=60, wrap_up_s=0, hold_s=3600, rules_check_s=0),
        hasher=Argon2Hasher(fast=True),
        publisher=InProcessBus(),
        clock=clock,
        notifier=RecordingNotifier(acknowledge=True),
    )
    try:
        yield k
    finally:
        await k.close()


class Centre:
    """The HTTP client with the people of a scene: a gateway, two supervisors, an admin."""

    def __init__(self, client: httpx.AsyncClient, kefu: Kefu, clock: FakeClock) -> None:
        self.c, self.kefu, self.clock = client, kefu, clock
        self.gw: H = {}
        self.sup: H = {}
        self.sup2: H = {}

    async def setup(self) -> None:
        self.gw = await make_user(self.kefu, "gateway", "integration")
        self.sup = await make_user(self.kefu, "sup", "supervisor")
        self.sup2 = await make_user(self.kefu, "sup2", "supervisor")

    async def specialist(self, username: str) -> tuple[str, H]:
        headers = await make_user(self.kefu, username, "agent")
        body = {
            "name": username,
            "site": "chongqing",
            "skills": {"payments": 3, "anti_fraud": 4},
            "capacity": {"voice": 1, "chat": 1},
            "username": username,
        }
        r = await self.c.post("/api/v1/agents", json=body, headers=self.sup)
        assert r.status_code == 201, r.text
        agent_id = str(r.json()["id"])
        r = await self.c.put(
            f"/api/v1/agents/{agent_id}/presence", json={"presence": "available"}, headers=headers
        )
        assert r.status_code == 200, r.text
        return agent_id, headers

    async def customer(self, external_id: str, age: int = 80) -> str:
        today = self.clock.now().date()
        body = {
            "external_id": external_id,
            "name": "王秀英",
            "phone": "13812345678",
            "birth_date": today.replace(year=today.year - age, day=min(today.day, 28)).isoformat(),
            "trusted_contact": {"name": "王强", "phone": "13987654321", "relation": "son"},
        }
        r = await self.c.post("/api/v1/customers", json=body, headers=self.gw)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def screen(self, payment_id: str, customer_id: str, amount: int, **more: Any) -> dict[str, Any]:
        body = {
            "payment_id": payment_id,
            "payer": {"customer_id": customer_id},
            "payee": SOLDIER,
            "amount": amount,
            "currency": "CNY",
            "channel": "transfer",
            "memo": "给边防战士的捐款",
            "created_at": self.clock.now().isoformat(),
            **more,
        }
        r = await self.c.post("/api/v1/payments/screen", json=body, headers=self.gw)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def offer_of(self, agent_id: str, headers: H) -> dict[str, Any]:
        (offer,) = (await self.c.get(f"/api/v1/agents/{agent_id}/offers", headers=headers)).json()
        return dict(offer)

    async def accept(self, agent_id: str, headers: H) -> str:
        offer = await self.offer_of(agent_id, headers)
        r = await self.c.post(f"/api/v1/offers/{offer['id']}/accept", headers=headers)
        assert r.status_code == 200, r.text
        return str(offer["subject_id"])

    async def attempt(self, case_id: str, result: str, headers: H) -> httpx.Response:
        return await self.c.post(
            f"/api/v1/cases/{case_id}/contact-attempts", json={"result": result}, headers=headers
        )

    async def resolve(
        self, case_id: str, outcome: str, headers: H, note: str | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"outcome": outcome} | ({"note": note} if note is not None else {})
        return await self.c.post(f"/api/v1/cases/{case_id}/resolve", json=body, headers=headers)


@pytest_asyncio.fixture
async def centre(kefu: Kefu, clock: FakeClock) -> AsyncIterator[Centre]:
    async with asgi_client(kefu) as client:
        made = Centre(client, kefu, clock)
        await made.setup()
        yield made


async def test_split_payments_join_one_case_worked_once(centre: Centre) -> None:
    """Three ¥49,000 payments to one "soldier" make one case with three payments, offered once; dissuaded,
    all three are cancelled and ¥147,000 is saved."""
    agent_id, specialist = await centre.specialist("li.na")
    customer = await centre.customer("u-split")
    first = await centre.screen("split-1", customer, 4_900_000)
    assert first["decision"] == "hold"
    case_id = await centre.accept(agent_id, specialist)
    assert case_id == first["case_id"]
    for n in (2, 3):
        centre.clock.advance(90)
        again = await centre.screen(f"split-{n}", customer, 4_900_000)
        assert (again["decision"], again["case_id"]) == ("hold", case_id)
    listed = (await centre.c.get("/api/v1/cases", headers=centre.sup)).json()["items"]
    assert [(c["id"], c["amount"]) for c in listed] == [(case_id, 14_700_000)]
    assert (await centre.attempt(case_id, "reached", specialist)).status_code == 201
    r = await centre.resolve(case_id, "dissuaded", specialist, "三笔都是冒充军人的诈骗")
    assert r.status_code == 200, r.text
    assert [(p["payment_id"], p["status"]) for p in r.json()["payments"]] == [
        ("split-1", "cancelled"),
        ("split-2", "cancelled"),
        ("split-3", "cancelled"),
    ]
    window = {
        "from": centre.clock.now().replace(hour=0).isoformat(),
        "to": centre.clock.now().replace(hour=23).isoformat(),
    }
    stats = (await centre.c.get("/api/v1/stats/fraud", params=window, headers=centre.sup)).json()
    assert stats["saved"] == {"CNY": 14_700_000}


async def test_release_needs_a_reached_contact_and_a_reason(centre: Centre) -> None:
    """Release before reaching the payer: 409 contact_required; without a reason: 422; reached with a
    reason, a ¥40,000 hold is released and no alert goes out."""
    agent_id, specialist = await centre.specialist("li.na")
    customer = await centre.customer("u-release")
    held = await centre.screen("rel-1", customer, 4_000_000)
    case_id = await centre.accept(agent_id, specialist)
    r = await centre.resolve(case_id, "released", specialist, "本人说是捐款")
    assert (r.status_code, r.json()["code"]) == (409, "contact_required")
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await centre.attempt(case_id, "reached", specialist)).status_code == 201
    r = await centre.resolve(case_id, "released", specialist)
    assert r.status_code == 422, r.text
    r = await centre.resolve(case_id, "released", specialist, "本人确认：给认识多年的战友")
    assert r.status_code == 200, r.text
    assert (r.json()["outcome"], r.json()["payments"][0]["status"]) == ("released", "released")
    assert held["case_id"] == case_id
    assert r.json()["alerts"] == []


async def test_a_large_release_needs_a_second_supervisor(centre: Centre) -> None:
    """A ¥100,000 release asked by the specialist waits as pending_approval; the specialist and the asking
    supervisor may not approve it (403); another supervisor approves and the payment is released."""
    agent_id, specialist = await centre.specialist("li.na")
    customer = await centre.customer("u-four-eyes")
    await centre.screen("big-1", customer, 10_000_000)
    case_id = await centre.accept(agent_id, specialist)
    assert (await centre.attempt(case_id, "reached", specialist)).status_code == 201
    r = await centre.resolve(case_id, "released", specialist, "本人确认：购房首付")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["release_requested_by"]) == ("pending_approval", "li.na")
    assert r.json()["payments"][0]["status"] == "held"
    url = f"/api/v1/cases/{case_id}/release-decision"
    assert (await centre.c.post(url, json={"approve": True}, headers=specialist)).status_code == 403
    r = await centre.c.post(url, json={"approve": False, "note": "先核实首付合同"}, headers=centre.sup)
    assert (r.status_code, r.json()["status"]) == (200, "open")
    assert (await centre.resolve(case_id, "released", centre.sup, "合同已核实")).json()["status"] == (
        "pending_approval"
    )
    assert (await centre.c.post(url, json={"approve": True}, headers=centre.sup)).status_code == 403
    r = await centre.c.post(url, json={"approve": True, "note": "同意"}, headers=centre.sup2)
    assert r.status_code == 200, r.text
    assert (r.json()["outcome"], r.json()["payments"][0]["status"]) == ("released", "released")
    async with centre.kefu.bus.uow_factory() as uow:
        actions = [e.action for e in await uow.audit.for_subject("case", case_id)]
    assert {"case.release_requested", "case.release_refused", "case.release_approved"} <= set(actions)


async def test_only_the_specialist_working_the_case_or_a_supervisor_may_resolve(centre: Centre) -> None:
    """Another anti-fraud agent gets 403 on a case assigned to a colleague; a supervisor may resolve it."""
    agent_id, specialist = await centre.specialist("li.na")
    customer = await centre.customer("u-owner")
    await centre.screen("own-1", customer, 10_000_000)
    case_id = await centre.accept(agent_id, specialist)
    _, other = await centre.specialist("zhou.min")
    r = await centre.resolve(case_id, "dissuaded", other)
    assert r.status_code == 403, r.text
    assert (await centre.attempt(case_id, "no_answer", other)).status_code == 403
    r = await centre.resolve(case_id, "unreachable", centre.sup)
    assert r.status_code == 200, r.text


async def test_a_scam_report_opens_a_report_case_on_anti_fraud(centre: Centre) -> None:
    """ "有人冒充公安…我已经转了一笔" opens a report case at case priority on anti_fraud with the conversation
    attached (not the payments queue at priority 0); the specialist who accepts it gets the conversation."""
    agent_id, specialist = await centre.specialist("li.na")
    customer = await centre.customer("u-report", age=35)
    r = await centre.c.post(
        "/api/v1/conversations",
        json={
            "customer_id": customer,
            "channel": "chat",
            "text": "有人冒充公安让我把钱转到安全账户，我已经转了一笔",
        },
        headers=centre.gw,
    )
    assert r.status_code == 201, r.text
    conversation = r.json()
    assert (conversation["intent"], conversation["queue"]) == ("scam_report", "anti_fraud")
    offer = await centre.offer_of(agent_id, specialist)
    assert (offer["kind"], offer["queue"], offer["subject_id"]) == (
        "conversation",
        "anti_fraud",
        conversation["id"],
    )
    await centre.accept(agent_id, specialist)
    got = (await centre.c.get(f"/api/v1/conversations/{conversation['id']}", headers=specialist)).json()
    assert (got["status"], got["agent_id"]) == ("assigned", agent_id)
    (case,) = (await centre.c.get("/api/v1/cases", headers=specialist)).json()["items"]
    assert (case["kind"], case["conversation_id"], case["typology"], case["agent_id"]) == (
        "report",
        conversation["id"],
        "impersonation_official",
        agent_id,
    )
    assert (await centre.attempt(case["id"], "reached", specialist)).status_code == 201
    r = await centre.resolve(case["id"], "dissuaded", specialist, "已指导报警，联系银行紧急止付")
    assert (r.status_code, r.json()["status"]) == (200, "resolved")


async def test_an_expired_police_impersonation_hold_stays_blocked(centre: Centre) -> None:
    """A 公检法 "安全账户" transfer held at 65 is settled by policy when its hold expires unreached: the rule
    set protects the typology, so the payment is blocked, not released to the scammer."""
    customer = await centre.customer("u-police", age=45)
    held = await centre.screen(
        "police-1",
        customer,
        5_000_000,
        payee={"account_id": "acct-anquan", "name": "张警官", "kind": "individual"},
        memo="转入安全账户配合调查",
    )
    assert (held["decision"], held["typology"], held["score"]) == ("hold", "impersonation_official", 65)
    centre.clock.advance(3601)
    assert centre.kefu.holds is not None
    assert (await centre.kefu.holds.tick())["settled"] == 1
    detail = (await centre.c.get(f"/api/v1/cases/{held['case_id']}", headers=centre.sup)).json()
    assert (detail["outcome"], detail["settled_by"], detail["payment_outcome"]) == (
        "unreachable",
        "policy",
        "blocked",
    )
    assert [p["status"] for p in detail["payments"]] == ["blocked"]


async def test_a_case_shows_each_payments_decision_inputs(centre: Centre) -> None:
    """The case detail carries what the specialist weighs: payment time, channel, memo, payee kind and age,
    device signals; an agent without the case never sees it, the supervisor does."""
    agent_id, specialist = await centre.specialist("wu.fang")
    customer = await centre.customer("u-inputs")
    device = {"new_device": True, "remote_access_app": False, "on_call": True, "screen_sharing": False}
    held = await centre.screen("inputs-1", customer, 4_900_000, device=device)
    assert held["decision"] in {"hold", "block"}  # either stop opens a case
    case_id = await centre.accept(agent_id, specialist)
    r = await centre.c.get(f"/api/v1/cases/{case_id}", headers=specialist)
    assert r.status_code == 200, r.text
    (payment,) = r.json()["payments"]
    assert payment["channel"] == "transfer"
    assert payment["memo"] == "给边防战士的捐款"
    assert (payment["payee_name"], payment["payee_kind"]) == (SOLDIER["name"], "individual")
    assert payment["payee_age_s"] == 0  # first seen with this payment
    assert payment["device"] == device
    assert payment["paid_at"] is not None
    assert r.json()["rule_set_version"]
    assert (await centre.c.get(f"/api/v1/cases/{case_id}", headers=centre.sup)).status_code == 200
    assert (await centre.c.get(f"/api/v1/cases/{case_id}", headers=centre.gw)).status_code == 403
