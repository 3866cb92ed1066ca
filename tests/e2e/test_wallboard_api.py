"""The wallboard's alarms and thresholds over HTTP: an unstaffed centre alarms, limits are set and shown."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest_asyncio

from kefu.domain.clock import FakeClock
from tests.conftest import Database, asgi_client, make_user, running_kefu, settings_for

T0 = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)  # a fixed instant: the machine's hour plays no part


@pytest_asyncio.fixture
async def client(database: Database) -> AsyncIterator[tuple[httpx.AsyncClient, FakeClock]]:
    clock = FakeClock(T0)
    async with running_kefu(settings_for(database), clock) as k, asgi_client(k) as c:
        c.headers.update(await make_user(k, "wb.sup", "supervisor"))
        c.sup_agent = await make_user(k, "wb.agent", "agent")  # type: ignore[attr-defined]
        c.integ = await make_user(k, "wb.integ", "integration")  # type: ignore[attr-defined]
        yield c, clock


async def _contact(c: httpx.AsyncClient, line: str) -> str:
    r = await c.post(
        "/api/v1/customers",
        json={"external_id": f"wb-{uuid.uuid4().hex[:10]}", "name": "赵磊", "phone": "13812345678"},
    )
    assert r.status_code == 201, r.text
    body = {
        "customer_id": r.json()["id"],
        "business_line": line,
        "channel": "chat",
        "subject": "充值",
        "text": "钻石没到账",
    }
    r = await c.post("/api/v1/conversations", json=body, headers=c.integ)  # type: ignore[attr-defined]
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_an_unstaffed_centre_alarms_on_a_waiting_queue_with_nothing_answered(
    client: tuple[httpx.AsyncClient, FakeClock],
) -> None:
    """Two wait in games, nobody answered and nobody is available: the tile is red with its longest wait,
    and the alarms name the queue as unanswered and without an agent; quiet queues only warn."""
    c, clock = client
    await _contact(c, "games")
    clock.advance(30)
    await _contact(c, "games")
    clock.advance(45)
    board = (await c.get("/api/v1/wallboard")).json()
    games = next(q for q in board["queues"] if q["id"] == "games")
    assert (games["stats"]["waiting"], games["stats"]["longest_wait_s"]) == (2, 75.0)
    assert games["stats"]["service_level_pct"] is None
    assert (games["level"], games["unanswered"], games["available"]) == ("alarm", True, 0)
    # 75 s against the default limits from the 20 s answer time: warn at 20 s, alarm at 60 s
    assert games["breaches"] == {"longest_wait": "alarm", "unanswered": "alarm", "no_agent": "alarm"}
    assert (games["thresholds"]["wait_warn_s"], games["thresholds"]["wait_alarm_s"]) == (20, 60)
    social = next(q for q in board["queues"] if q["id"] == "social")
    assert (social["level"], social["breaches"]) == ("warn", {"no_agent": "warn"})
    codes = {(a["code"], a["queue_id"], a["level"]) for a in board["alarms"]}
    # One centre alarm for nobody available anywhere; the quiet queues' warnings are folded into it.
    assert codes == {
        ("unstaffed", None, "alarm"),
        ("unanswered", "games", "alarm"),
        ("no_agent", "games", "alarm"),
        ("threshold", "games", "alarm"),
    }
    assert next(a for a in board["alarms"] if a["code"] == "unstaffed")["count"] == 2
    assert board["alarms"][0]["level"] == "alarm"  # worst first


async def test_thresholds_are_set_checked_listed_and_applied(
    client: tuple[httpx.AsyncClient, FakeClock],
) -> None:
    """A supervisor sets games' limits; a warning past its alarm is refused with the field named; the
    wallboard applies the new limits and the audit log records who set them; an agent may not set them."""
    c, clock = client
    r = await c.put("/api/v1/queues/games/thresholds", json={"waiting_warn": 5, "waiting_alarm": 3})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "waiting_alarm" in r.text
    r = await c.put("/api/v1/queues/nope/thresholds", json={})
    assert r.status_code == 404
    r = await c.put("/api/v1/queues/games/thresholds", json={"wait_warn_s": 5}, headers=c.sup_agent)  # type: ignore[attr-defined]
    assert r.status_code == 403
    r = await c.put(
        "/api/v1/queues/games/thresholds",
        json={"wait_warn_s": 100, "wait_alarm_s": 300, "waiting_warn": 1, "waiting_alarm": 4},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["queue_id"], r.json()["wait_alarm_s"], r.json()["sl_warn_pct"]) == ("games", 300, None)
    listed = (await c.get("/api/v1/wallboard/thresholds")).json()
    assert [t["queue_id"] for t in listed] == ["games"]
    await _contact(c, "games")
    clock.advance(75)
    games = next(q for q in (await c.get("/api/v1/wallboard")).json()["queues"] if q["id"] == "games")
    assert games["breaches"] == {"waiting": "warn", "unanswered": "alarm", "no_agent": "alarm"}
    assert games["thresholds"]["wait_alarm_s"] == 300
    audit = (await c.get("/api/v1/audit", params={"action": "queue.thresholds_set"})).json()["items"]
    assert [(e["actor"], e["subject_id"]) for e in audit] == [("wb.sup", "games")]


async def test_a_supervisor_sets_an_agents_presence_with_a_reason(
    client: tuple[httpx.AsyncClient, FakeClock],
) -> None:
    """A supervisor sends an agent away with a reason: the wallboard lists the agent away with it, the
    audit log records who did it and why; back to available clears the reason."""
    c, _ = client
    body = {"name": "周杰", "site": "wuhan", "skills": {"games": 3}, "capacity": {"chat": 1}}
    r = await c.post("/api/v1/agents", json=body)
    assert r.status_code == 201, r.text
    agent_id = r.json()["id"]
    r = await c.put(f"/api/v1/agents/{agent_id}/presence", json={"presence": "away", "reason": "training"})
    assert r.status_code == 200, r.text
    board = (await c.get("/api/v1/wallboard")).json()
    (line,) = [a for a in board["agents"] if a["id"] == agent_id]
    assert (line["name"], line["site"], line["state"], line["reason"]) == (
        "周杰",
        "wuhan",
        "away",
        "training",
    )
    audit = (await c.get("/api/v1/audit", params={"action": "agent.presence"})).json()["items"]
    assert [(e["actor"], e["detail"]["reason"]) for e in audit] == [("wb.sup", "training")]
    assert (
        await c.put(f"/api/v1/agents/{agent_id}/presence", json={"presence": "available"})
    ).status_code == 200
    (line,) = [a for a in (await c.get("/api/v1/wallboard")).json()["agents"] if a["id"] == agent_id]
    assert (line["state"], line["reason"]) == ("available", None)
