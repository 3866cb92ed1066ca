"""Internal notes over HTTP: the agent working a conversation and supervisors add them; staff read them in the
thread; the customer's side (integration) can neither add nor read them; a note is not a first response."""

from __future__ import annotations

from typing import Any

import httpx

H = dict[str, dict[str, str]]


async def _scene(api: httpx.AsyncClient, headers: H) -> tuple[str, str]:
    """A conversation opened by the customer's side and assigned to the agent of ``agent-user``."""
    body: dict[str, Any] = {
        "name": "李静",
        "site": "chongqing",
        "skills": {"social": 3},
        "capacity": {"chat": 2},
        "username": "agent-user",
    }
    r = await api.post("/api/v1/agents", json=body, headers=headers["admin"])
    assert r.status_code == 201, r.text
    agent_id = r.json()["id"]
    customer = {"external_id": "note-1", "name": "周杰", "phone": "13812345678"}
    r = await api.post("/api/v1/customers", json=customer, headers=headers["integration"])
    assert r.status_code == 201, r.text
    opened = {"customer_id": r.json()["id"], "business_line": "social", "channel": "chat", "text": "你好"}
    r = await api.post("/api/v1/conversations", json=opened, headers=headers["integration"])
    assert r.status_code == 201, r.text
    conversation = r.json()["id"]
    r = await api.post(
        f"/api/v1/conversations/{conversation}/assign", json={"agent_id": agent_id}, headers=headers["admin"]
    )
    assert r.status_code == 200, r.text
    return conversation, agent_id


async def test_notes_stay_with_staff(api: httpx.AsyncClient, headers: H) -> None:
    """The agent and a supervisor add notes; staff see them in order, the integration sees only the customer's
    message, and the first-response clock does not start."""
    conversation, _ = await _scene(api, headers)
    path = f"/api/v1/conversations/{conversation}/notes"
    r = await api.post(path, json={"body": "客户说已经转过一次，请核实"}, headers=headers["agent"])
    assert r.status_code == 201, r.text
    assert (r.json()["sender"], r.json()["body"]) == ("note", "客户说已经转过一次，请核实")
    assert (await api.post(path, json={"body": "已核实"}, headers=headers["supervisor"])).status_code == 201

    staff = (await api.get(f"/api/v1/conversations/{conversation}", headers=headers["agent"])).json()
    assert [m["sender"] for m in staff["messages"]] == ["customer", "note", "note"]
    assert staff["first_response_at"] is None
    customer_side = await api.get(f"/api/v1/conversations/{conversation}", headers=headers["integration"])
    assert [m["sender"] for m in customer_side.json()["messages"]] == ["customer"]
    assert "已核实" not in customer_side.text


async def test_who_may_not_add_notes(api: httpx.AsyncClient, headers: H) -> None:
    """The integration and an admin: 403; a blank note: 422; an unknown conversation: 404; problem+json."""
    conversation, _ = await _scene(api, headers)
    path = f"/api/v1/conversations/{conversation}/notes"
    for role in ("integration", "admin"):
        r = await api.post(path, json={"body": "x"}, headers=headers[role])
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), role
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await api.post(path, json={"body": "   "}, headers=headers["agent"])
    assert (r.status_code, r.json()["code"]) == (422, "invalid_input")
    r = await api.post("/api/v1/conversations/nope/notes", json={"body": "x"}, headers=headers["agent"])
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
