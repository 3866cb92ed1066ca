"""Presence reasons over HTTP: an agent goes on a break for a meal, training or a meeting; a supervisor sees
why; the integration may not set presence; an unknown reason is a 422 problem."""

from __future__ import annotations

import httpx

H = dict[str, dict[str, str]]


async def test_an_agent_says_why_they_are_away(api: httpx.AsyncClient, headers: H) -> None:
    """away + meal, then meeting: the supervisor sees why; a bad reason and the integration fail."""
    body = {
        "name": "李静",
        "site": "chongqing",
        "skills": {"social": 3},
        "capacity": {"chat": 1},
        "username": "agent-user",
    }
    r = await api.post("/api/v1/agents", json=body, headers=headers["admin"])
    assert r.status_code == 201, r.text
    path = f"/api/v1/agents/{r.json()['id']}/presence"
    r = await api.put(path, json={"presence": "away", "reason": "meal"}, headers=headers["agent"])
    assert (r.status_code, r.json()["presence"], r.json()["presence_reason"]) == (200, "away", "meal")
    r = await api.put(path, json={"presence": "away", "reason": "meeting"}, headers=headers["agent"])
    assert r.json()["presence_reason"] == "meeting"
    seen = await api.get(path.removesuffix("/presence"), headers=headers["supervisor"])
    assert (seen.json()["presence"], seen.json()["presence_reason"]) == ("away", "meeting")

    r = await api.put(path, json={"presence": "away", "reason": "lunch"}, headers=headers["agent"])
    assert (r.status_code, r.json()["code"]) == (422, "validation_failed")
    r = await api.put(path, json={"presence": "available", "reason": "meal"}, headers=headers["agent"])
    assert (r.status_code, r.json()["code"]) == (422, "invalid_input")
    r = await api.put(path, json={"presence": "away", "reason": "meal"}, headers=headers["integration"])
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
