"""The anti-fraud desk over HTTP: screening, idempotency, trusted payees, rules, cases, holds, stats."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from typer.testing import CliRunner

from kefu.adapters.bus.memory import InProcessBus
from kefu.adapters.notify import RecordingNotifier, WebhookNotifier
from kefu.adapters.security.passwords import Argon2Hasher
from kefu.bootstrap import Kefu, bootstrap
from kefu.domain.clock import FakeClock
from kefu.domain.commands import CreateCustomer
from kefu.domain.customers import TrustedContact
from kefu.domain.errors import AlreadyExists
from kefu.domain.payments import ResolveCase, ScreenPayment
from kefu.domain.users import SYSTEM_ACTOR
from kefu.entrypoints.cli import app as cli_app
from kefu.screening import InvalidRuleSet
from kefu.services.screening.cases import RetryFamilyAlert
from kefu.services.screening.holds import HoldKeeper
from tests.clocks import MORNING, NIGHT, clock_for, clock_matrix
from tests.conftest import Database, asgi_client, make_user, settings_for

H = dict[str, str]
BORDER = {"account_id": "acct-bf-1", "name": "边防战士 李强", "kind": "individual"}


pytestmark = clock_matrix


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """10:00 in Beijing on a fixed day (daytime: no night-hours signal), frozen or advancing."""
    return clock_for(request, MORNING)


@pytest_asyncio.fixture
async def desk(database: Database, clock: FakeClock) -> AsyncIterator[Kefu]:
    """A kefu with routing and the hold keeper, on a test-driven clock."""
    k = await bootstrap(
        settings_for(
            database, offer_timeout_s=20, wrap_up_s=0, hold_s=3600, recontact_s=300, rules_check_s=0
        ),
        hasher=Argon2Hasher(fast=True),
        publisher=InProcessBus(),
        clock=clock,
        notifier=RecordingNotifier(),
    )
    try:
        yield k
    finally:
        await k.close()


@pytest_asyncio.fixture
async def client(desk: Kefu) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(desk) as c:
        yield c


class Desk:
    def __init__(self, c: httpx.AsyncClient, kefu: Kefu, clock: FakeClock) -> None:
        self.c, self.kefu, self.clock = c, kefu, clock
        self.sup: H = {}
        self.gw: H = {}
        self.admin: H = {}

    async def setup(self) -> None:
        self.sup = await make_user(self.kefu, "sup", "supervisor")
        self.gw = await make_user(self.kefu, "gateway", "integration")
        self.admin = await make_user(self.kefu, "root", "admin")

    async def customer(self, external_id: str, age: int = 40, **more: Any) -> str:
        today = self.clock.now().date()
        body = {
            "external_id": external_id,
            "name": "客户",
            "birth_date": today.replace(year=today.year - age, day=min(today.day, 28)).isoformat(),
            **more,
        }
        r = await self.c.post("/api/v1/customers", json=body, headers=self.gw)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def specialist(self, username: str, anti_fraud: int = 4) -> tuple[str, H]:
        h = await make_user(self.kefu, username, "agent")
        skills = {"payments": 3, "anti_fraud": anti_fraud} if anti_fraud else {"payments": 3}
        body = {
            "name": username,
            "site": "chongqing",
            "skills": skills,
            "capacity": {"voice": 1},
            "username": username,
        }
        r = await self.c.post("/api/v1/agents", json=body, headers=self.sup)
        assert r.status_code == 201, r.text
        return str(r.json()["id"]), h

    def payment(self, payment_id: str, customer_id: str, **more: Any) -> dict[str, Any]:
        return {
            "payment_id": payment_id,
            "payer": {"customer_id": customer_id},
            "payee": BORDER,
            "amount": 10_000_000,
            "currency": "CNY",
            "channel": "transfer",
            "memo": "给边防战士的捐款",
            "created_at": self.clock.now().isoformat(),
            **more,
        }

    async def screen(self, body: dict[str, Any], headers: H | None = None) -> httpx.Response:
        return await self.c.post("/api/v1/payments/screen", json=body, headers=headers or self.gw)

    async def held_case(self, payment_id: str = "p-1", age: int = 80, **customer: Any) -> str:
        cid = await self.customer(f"ext-{payment_id}", age=age, **customer)
        r = await self.screen(self.payment(payment_id, cid))
        assert r.json()["decision"] == "hold", r.text
        return str(r.json()["case_id"])


@pytest_asyncio.fixture
async def d(client: httpx.AsyncClient, desk: Kefu, clock: FakeClock) -> Desk:
    x = Desk(client, desk, clock)
    await x.setup()
    return x


def keeper(kefu: Kefu) -> HoldKeeper:
    assert kefu.holds is not None
    return kefu.holds


async def test_bad_screening_requests_are_4xx_problems(d: Desk) -> None:
    """Floats, missing fields, naive times, unknown fields and unknown customers are refused with 422."""
    cid = await d.customer("c-bad")
    good = d.payment("p-bad", cid)
    bad_bodies = [
        {**good, "amount": 100.5},
        {**good, "amount": "100"},
        {**good, "amount": -5},
        {**good, "currency": "yuan"},
        {**good, "created_at": "2026-11-25T10:00:00"},
        {**good, "payer": {}},
        {**good, "payer": {"customer_id": cid, "external_id": "x"}},
        {**good, "surprise": 1},
        {**good, "channel": "cash"},
        {k: v for k, v in good.items() if k != "payee"},
        {**good, "payer": {"customer_id": "no-such-customer"}},
    ]
    for body in bad_bodies:
        r = await d.screen(body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_only_integration_and_admin_may_screen(d: Desk) -> None:
    """Agents and supervisors may not screen payments; admins and the payments side may."""
    cid = await d.customer("c-roles")
    agent = await make_user(d.kefu, "plain.agent", "agent")
    assert (await d.screen(d.payment("p-r1", cid), agent)).status_code == 403
    assert (await d.screen(d.payment("p-r2", cid), d.sup)).status_code == 403
    assert (await d.screen(d.payment("p-r3", cid), d.admin)).status_code == 200
    assert (await d.c.post("/api/v1/payments/screen", json=d.payment("p-r4", cid))).status_code == 401


@pytest.mark.both_databases
async def test_concurrent_duplicates_open_one_case(d: Desk) -> None:
    """Several deliveries of one payment at once get one answer and open exactly one case."""
    cid = await d.customer("c-dup", age=80)
    body = d.payment("p-dup", cid)
    answers = await asyncio.gather(*(d.screen(body) for _ in range(4)))
    assert {r.status_code for r in answers} == {200}
    assert len({r.json()["case_id"] for r in answers}) == 1
    cases = (await d.c.get("/api/v1/cases", headers=d.sup)).json()["items"]
    assert len(cases) == 1


async def test_trusted_payee_is_allowed_and_list_is_managed(d: Desk) -> None:
    """A payee on the customer's trusted list is allowed outright; the list is replaced with PUT."""
    cid = await d.customer("c-trust", age=80)
    put = await d.c.put(
        f"/api/v1/customers/{cid}/trusted-payees",
        json={"payees": [{"account_id": "acct-bf-1", "name": "儿子"}], "channel": "app"},
        headers=d.gw,
    )
    assert put.status_code == 200, put.text
    got = (await d.c.get(f"/api/v1/customers/{cid}/trusted-payees", headers=d.sup)).json()
    assert got["payees"] == [{"account_id": "acct-bf-1", "name": "儿子"}]
    r = await d.screen(d.payment("p-trust", cid))
    assert (r.json()["decision"], r.json()["lane"]) == ("allow", "trusted_payee")
    missing = await d.c.put(
        "/api/v1/customers/nobody/trusted-payees", json={"payees": [], "channel": "app"}, headers=d.gw
    )
    assert missing.status_code == 404


async def test_rules_load_through_cli_is_used_by_the_running_server(
    d: Desk, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kefu rules load` stores a new version; the server's next screening and GET /rules use it."""
    before = (await d.c.get("/api/v1/rules", headers=d.sup)).json()
    assert before["seq"] == 0 and before["thresholds"] == {"warn": 40, "hold": 65, "block": 90}
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        "version: strict-1\nthresholds: {warn: 10, hold: 20, block: 95}\nrules:\n"
        "  - code: any_transfer\n    when: amount >= 100\n    weight: 30\n"
        "    message_zh: 任意转账\n    message_en: any transfer\n",
        encoding="utf-8",
    )
    for key, value in database.env().items():
        monkeypatch.setenv(key, value)
    # The CLI would point logging at the runner's stream, which is closed once it returns.
    monkeypatch.setattr("kefu.entrypoints.cli_screening.configure_logging", lambda *a, **k: None)
    monkeypatch.setattr("kefu.entrypoints.cli_run.configure_logging", lambda *a, **k: None)
    result = await asyncio.to_thread(CliRunner().invoke, cli_app, ["rules", "load", str(strict)])
    assert result.exit_code == 0, result.output
    assert "strict-1" in result.output
    after = (await d.c.get("/api/v1/rules", headers=d.sup)).json()
    assert (after["version"], after["seq"], after["thresholds"]["hold"]) == ("strict-1", 1, 20)
    cid = await d.customer("c-rules")
    r = await d.screen(d.payment("p-rules", cid, amount=5_000, memo=""))
    assert (r.json()["decision"], r.json()["rule_set_version"]) == ("hold", "strict-1")
    again = await asyncio.to_thread(CliRunner().invoke, cli_app, ["rules", "load", str(strict)])
    assert isinstance(again.exception, AlreadyExists) and "strict-1" in again.exception.detail
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "version: b\nrules:\n  - code: x\n    when: amount >>> 3\n    weight: 5\n", encoding="utf-8"
    )
    bad = await asyncio.to_thread(CliRunner().invoke, cli_app, ["rules", "load", str(broken)])
    assert isinstance(bad.exception, InvalidRuleSet)


async def test_missed_contact_is_due_again_and_reoffered(d: Desk) -> None:
    """After a missed call the next attempt is due in KEFU_RECONTACT_S and routing offers the case again."""
    agent_id, h = await d.specialist("fang")
    await d.c.put(f"/api/v1/agents/{agent_id}/presence", json={"presence": "available"}, headers=h)
    case_id = await d.held_case("p-miss")
    offers = (await d.c.get(f"/api/v1/agents/{agent_id}/offers", headers=h)).json()
    assert [o["subject_id"] for o in offers] == [case_id]
    await d.c.post(f"/api/v1/offers/{offers[0]['id']}/accept", headers=h)
    r = await d.c.post(f"/api/v1/cases/{case_id}/contact-attempts", json={"result": "no_answer"}, headers=h)
    assert r.status_code == 201, r.text
    due = datetime.fromisoformat(r.json()["next_contact_due_at"])
    tried_at = datetime.fromisoformat(r.json()["contact_attempts"][-1]["at"])
    assert due == tried_at + timedelta(seconds=300)
    assert r.json()["attempts"] == 1
    assert await keeper(d.kefu).tick() == {"settled": 0, "recontacted": 0, "retried": 0}
    d.clock.advance(301)
    assert d.kefu.router is not None
    await d.kefu.router.tick()
    assert await keeper(d.kefu).tick() == {"settled": 0, "recontacted": 1, "retried": 0}
    assert await keeper(d.kefu).tick() == {"settled": 0, "recontacted": 0, "retried": 0}
    offers = (await d.c.get(f"/api/v1/agents/{agent_id}/offers", headers=h)).json()
    assert [o["subject_id"] for o in offers] == [case_id]


@pytest.mark.both_databases
async def test_expired_hold_is_settled_once_by_policy(d: Desk) -> None:
    """An unresolved hold is settled as unreachable on expiry (blocked at a high score), exactly once."""
    case_id = await d.held_case("p-exp")
    d.clock.advance(3601)
    other = HoldKeeper(d.kefu.bus, 1.0)
    results = await asyncio.gather(keeper(d.kefu).tick(), other.tick())
    assert sum(r["settled"] for r in results) == 1
    case = (await d.c.get(f"/api/v1/cases/{case_id}", headers=d.sup)).json()
    assert (case["status"], case["outcome"], case["settled_by"], case["payment_outcome"]) == (
        "resolved",
        "unreachable",
        "policy",
        "blocked",
    )
    r = await d.c.post(f"/api/v1/cases/{case_id}/resolve", json={"outcome": "dissuaded"}, headers=d.sup)
    assert r.status_code == 409


async def test_released_case_counts_as_false_positive(d: Desk) -> None:
    """Releasing a held payment (reached, with a reason, approved by a second pair of eyes) ends the case
    without savings and shows in the false-positive rate."""
    case_id = await d.held_case("p-rel", age=70)
    r = await d.c.post(f"/api/v1/cases/{case_id}/contact-attempts", json={"result": "reached"}, headers=d.sup)
    assert r.status_code == 201, r.text
    r = await d.c.post(
        f"/api/v1/cases/{case_id}/resolve", json={"outcome": "released", "note": "亲属"}, headers=d.sup
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending_approval"
    r = await d.c.post(f"/api/v1/cases/{case_id}/release-decision", json={"approve": True}, headers=d.admin)
    assert r.status_code == 200, r.text
    assert r.json()["payment_outcome"] == "released"
    window = {
        "from": (d.clock.now() - timedelta(hours=1)).isoformat(),
        "to": (d.clock.now() + timedelta(hours=1)).isoformat(),
    }
    stats = (await d.c.get("/api/v1/stats/fraud", params=window, headers=d.sup)).json()
    assert stats["false_positive_rate"] == 1.0 and stats["saved"] == {}
    assert stats["cases"]["released"] == 1


async def test_cases_need_the_anti_fraud_skill_and_page(d: Desk) -> None:
    """Agents without anti_fraud may not see cases; lists filter by status and page with a cursor."""
    _, plain = await d.specialist("no.skill", anti_fraud=0)
    _, expert = await d.specialist("expert")
    ids = [await d.held_case(f"p-page-{i}") for i in range(3)]
    assert (await d.c.get("/api/v1/cases", headers=plain)).status_code == 403
    assert (await d.c.get(f"/api/v1/cases/{ids[0]}", headers=plain)).status_code == 403
    first = (await d.c.get("/api/v1/cases", params={"limit": 2, "status": "open"}, headers=expert)).json()
    assert [c["id"] for c in first["items"]] == ids[:2]
    rest = (
        await d.c.get(
            "/api/v1/cases",
            params={"limit": 2, "status": "open", "cursor": first["next_cursor"]},
            headers=expert,
        )
    ).json()
    assert [c["id"] for c in rest["items"]] == ids[2:] and rest["next_cursor"] is None
    resolved = (await d.c.get("/api/v1/cases", params={"status": "resolved"}, headers=expert)).json()
    assert resolved["items"] == []
    assert (await d.c.get("/api/v1/cases/nope", headers=expert)).status_code == 404
    bad = await d.c.post(f"/api/v1/cases/{ids[0]}/resolve", json={"outcome": "maybe"}, headers=expert)
    assert bad.status_code == 422


async def test_payee_reports_raise_later_scores(d: Desk) -> None:
    """User reports are recorded (once per reporting customer) and make the next payment to that payee
    score higher at once."""
    cid = await d.customer("c-rep")
    reporters = [await d.customer(f"c-reporter-{n}") for n in range(3)]
    body = d.payment(
        "p-rep-1",
        cid,
        amount=50_000,
        memo="",
        payee={"account_id": "acct-r", "name": "张三", "kind": "individual"},
    )
    first = (await d.screen(body)).json()
    for reporter in reporters:
        report = {"account_id": "acct-r", "reason": "骗我刷单", "customer_id": reporter}
        r = await d.c.post("/api/v1/reports/payees", json=report, headers=d.gw)
        assert r.status_code == 201, r.text
    assert r.json() == {"account_id": "acct-r", "reports": 3, "watchlisted": False}
    d.clock.advance(60)
    second = (
        await d.screen({**body, "payment_id": "p-rep-2", "created_at": d.clock.now().isoformat()})
    ).json()
    assert second["score"] > first["score"]
    assert (
        await d.c.post("/api/v1/reports/payees", json={"account_id": "", "reason": "x"}, headers=d.gw)
    ).status_code == 422


async def test_stats_refuse_bad_windows(d: Desk) -> None:
    """from must precede to and both need offsets; the answer has every field the issue names."""
    now = d.clock.now()
    r = await d.c.get(
        "/api/v1/stats/fraud",
        params={"from": now.isoformat(), "to": (now - timedelta(1)).isoformat()},
        headers=d.sup,
    )
    assert r.status_code == 422
    r = await d.c.get(
        "/api/v1/stats/fraud", params={"from": "yesterday", "to": now.isoformat()}, headers=d.sup
    )
    assert r.status_code == 422
    r = await d.c.get(
        "/api/v1/stats/fraud",
        params={"from": (now - timedelta(1)).isoformat(), "to": now.isoformat()},
        headers=d.sup,
    )
    assert set(r.json()) >= {
        "screened",
        "allowed",
        "warned",
        "held",
        "blocked",
        "cases",
        "saved",
        "dissuasion_rate",
        "false_positive_rate",
        "median_time_to_first_contact_s",
        "by_typology",
    }


async def test_webhook_notifier_posts_and_failures_are_recorded(database: Database, clock: FakeClock) -> None:
    """The webhook adapter posts the alert as JSON after the outcome; a failed delivery is recorded on the
    case with a retry time, and the retry (same alert id) is delivered once the channel acknowledges."""
    posted: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(503 if len(posted) == 1 else 200)

    webhook = WebhookNotifier(
        "http://family.test/alerts", httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )
    kefu = await bootstrap(
        settings_for(database),
        hasher=Argon2Hasher(fast=True),
        publisher=InProcessBus(),
        clock=clock,
        notifier=webhook,
        routing=False,
    )
    try:
        today = clock.now().date()
        customer = await kefu.bus.handle(
            CreateCustomer(
                external_id="w-1",
                name="王秀英",
                language="zh",
                birth_date=today.replace(year=today.year - 80, day=min(today.day, 28)),
                trusted_contact=TrustedContact("王强", "13987654321", "son"),
            ),
            SYSTEM_ACTOR,
        )
        body = {
            "payment_id": "w-pay",
            "payer": {"customer_id": customer.id},
            "payee": {"account_id": "acct-w", "name": "边防战士 李强", "kind": "individual"},
            "amount": 10_000_000,
            "currency": "CNY",
            "memo": "给边防战士的捐款",
            "created_at": clock.now().isoformat(),
        }
        held = (await kefu.bus.handle(ScreenPayment(body), SYSTEM_ACTOR)).result
        assert posted == []  # nothing at opening: nobody has checked yet
        case = await kefu.bus.handle(ResolveCase(held["case_id"], "dissuaded"), SYSTEM_ACTOR)
        assert [p["kind"] for p in posted] == ["case_dissuaded"]
        assert posted[0]["to"] == {"name": "王强", "phone": "13987654321"}
        assert posted[0]["text"]["zh"] and posted[0]["text"]["en"]
        assert (posted[0]["language"], posted[0]["message"]) == ("zh", posted[0]["text"]["zh"])
        async with kefu.bus.uow_factory() as uow:
            stored = await uow.cases.get(case.id)
        assert stored is not None
        (failed,) = stored.alerts
        assert (failed.kind, failed.delivered, failed.attempts) == ("case_dissuaded", False, 1)
        assert failed.error and "503" in failed.error and failed.retry_at is not None
        clock.advance(61)
        assert await kefu.bus.handle(RetryFamilyAlert(failed.id), SYSTEM_ACTOR) is True
        assert [p["alert_id"] for p in posted] == [failed.id, failed.id]
        async with kefu.bus.uow_factory() as uow:
            again = await uow.cases.alert(failed.id)
        assert again is not None
        assert (again.delivered, again.error, again.attempts, again.retry_at) == (True, None, 2, None)
    finally:
        await kefu.close()


async def test_the_night_rule_reads_the_payments_own_time_not_the_clock(d: Desk) -> None:
    """03:30 in the payer's zone is night whatever kefu's clock says, and 10:00 is day even at night."""
    cid = await d.customer("c-night", age=80)
    night = (await d.screen(d.payment("p-night", cid, created_at=NIGHT.isoformat()))).json()
    assert "night_large_new_payee" in {r["code"] for r in night["reasons"]}
    assert night["decision"] == "block"
    d.clock.set(NIGHT + timedelta(minutes=5))
    other = await d.customer("c-day", age=80)
    day = (
        await d.screen(
            d.payment(
                "p-day", other, created_at=MORNING.isoformat(), payee={**BORDER, "account_id": "acct-bf-2"}
            )
        )
    ).json()
    assert "night_large_new_payee" not in {r["code"] for r in day["reasons"]}
    assert day["decision"] == "hold"
