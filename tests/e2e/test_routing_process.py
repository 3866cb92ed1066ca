"""Routing against a real ``kefu serve``: three agents decline a chat in turn and it is still offered."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import Database
from tests.e2e.test_server_process import KefuServer, bearer, create_user_token, hermetic_env

pytestmark = pytest.mark.slow

WAIT_S = 20.0  # how long to poll for the router's reaction before failing (a deadline, not a measure)


def _offers_now(client: httpx.Client, agents: dict[str, str]) -> list[tuple[str, dict[str, object]]]:
    held = []
    for agent_id, token in agents.items():
        r = client.get(f"/api/v1/agents/{agent_id}/offers", headers=bearer(token))
        assert r.status_code == 200, r.text
        held += [(agent_id, offer) for offer in r.json()]
    return held


def _one_offer(client: httpx.Client, agents: dict[str, str]) -> tuple[str, dict[str, object]]:
    """Poll until exactly one of ``agents`` holds an offer; the router reacts after the commit."""
    deadline = time.monotonic() + WAIT_S
    while True:
        held = _offers_now(client, agents)
        if len(held) == 1:
            return held[0]
        assert len(held) < 2, held
        assert time.monotonic() < deadline, "the chat was left waiting beside available agents"
        time.sleep(0.05)


def test_three_declining_agents_then_the_chat_is_still_offered(
    sqlite_database: Database, tmp_path: Path
) -> None:
    """With a 30 s cool-down and short offers, each agent declines once; the chat is offered again at once."""
    env = hermetic_env(
        sqlite_database, KEFU_OFFER_TIMEOUT_S="60", KEFU_DECLINE_COOLDOWN_S="30", KEFU_WRAP_UP_S="0"
    )
    sup = create_user_token("sup", "supervisor", env, tmp_path)
    gateway = create_user_token("gateway", "integration", env, tmp_path)
    names = ("dec.one", "dec.two", "dec.three")
    tokens = {name: create_user_token(name, "agent", env, tmp_path) for name in names}
    server = KefuServer(env, tmp_path)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10.0) as client:
            agents: dict[str, str] = {}
            for name in names:
                body = {
                    "name": name,
                    "site": "chongqing",
                    "skills": {"payments": 3},
                    "capacity": {"chat": 1},
                    "username": name,
                }
                made = client.post("/api/v1/agents", json=body, headers=bearer(sup))
                assert made.status_code == 201, made.text
                agent_id = made.json()["id"]
                r = client.put(
                    f"/api/v1/agents/{agent_id}/presence",
                    json={"presence": "available"},
                    headers=bearer(tokens[name]),
                )
                assert r.status_code == 200, r.text
                agents[agent_id] = tokens[name]
            customer = client.post(
                "/api/v1/customers",
                json={"external_id": f"dc-{uuid.uuid4().hex[:8]}", "name": "王芳"},
                headers=bearer(gateway),
            )
            assert customer.status_code == 201, customer.text
            conv = client.post(
                "/api/v1/conversations",
                json={
                    "customer_id": customer.json()["id"],
                    "business_line": "payments",
                    "channel": "chat",
                    "text": "转账失败了",
                },
                headers=bearer(gateway),
            )
            assert conv.status_code == 201, conv.text
            decliners = []
            for _ in range(3):
                agent_id, offer = _one_offer(client, agents)
                assert offer["conversation_id"] == conv.json()["id"]
                r = client.post(f"/api/v1/offers/{offer['id']}/decline", headers=bearer(agents[agent_id]))
                assert r.status_code == 200, r.text
                decliners.append(agent_id)
            assert sorted(decliners) == sorted(agents)
            agent_id, offer = _one_offer(client, agents)
            assert offer["conversation_id"] == conv.json()["id"]
            r = client.post(f"/api/v1/offers/{offer['id']}/accept", headers=bearer(agents[agent_id]))
            assert r.status_code == 200, r.text
    finally:
        server.stop()
