"""GET /metrics: Prometheus text with requests per route template (never per raw path), routing decisions,
offers by outcome, screening decisions and latency, queue waiting and longest wait, callbacks due, outbox
lag and the lease-holder gauge; protected by KEFU_METRICS_TOKEN, absent in prod without one.

The registry is the process's, shared by every test in it: each test compares before and after."""

from __future__ import annotations

import dataclasses
import secrets

import httpx
from prometheus_client.parser import text_string_to_metric_families

from kefu.bootstrap import Kefu
from kefu.config import load_settings
from tests.conftest import asgi_client, make_user

H = dict[str, dict[str, str]]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(api: httpx.AsyncClient, headers: dict[str, str] | None = None) -> Samples:
    r = await api.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def _customer(api: httpx.AsyncClient, h: dict[str, str], n: int) -> str:
    r = await api.post("/api/v1/customers", json={"external_id": f"m-{n}", "name": "张三"}, headers=h)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_requests_are_counted_by_route_template_not_raw_path(
    api: httpx.AsyncClient, headers: H
) -> None:
    """Two customers read: one series for /api/v1/customers/{customer_id} grows by two; no id appears."""
    admin = headers["admin"]
    ids = [await _customer(api, admin, n) for n in (1, 2)]
    route = "/api/v1/customers/{customer_id}"
    before = await scrape(api)
    for customer_id in ids:
        assert (await api.get(f"/api/v1/customers/{customer_id}", headers=admin)).status_code == 200
    assert (await api.get("/api/v1/customers/nobody", headers=admin)).status_code == 404
    after = await scrape(api)
    ok = {"method": "GET", "route": route, "status": "200"}
    assert (
        value(after, "kefu_http_requests_total", **ok) - value(before, "kefu_http_requests_total", **ok) == 2
    )
    missing = {"method": "GET", "route": route, "status": "404"}
    assert (
        value(after, "kefu_http_requests_total", **missing)
        - value(before, "kefu_http_requests_total", **missing)
        == 1
    )
    count = {"method": "GET", "route": route}
    assert (
        value(after, "kefu_http_request_duration_seconds_count", **count)
        - value(before, "kefu_http_request_duration_seconds_count", **count)
        == 3
    )
    text = (await api.get("/metrics")).text
    assert not any(customer_id in text for customer_id in ids)


async def test_routing_offers_queues_and_screening_are_measured(
    api: httpx.AsyncClient, kefu: Kefu, headers: H
) -> None:
    """A waiting chat shows in its queue's gauges; offered and accepted, it counts a routing decision and an
    accepted offer; a screened payment counts its decision and the screening latency."""
    admin = headers["admin"]
    customer_id = await _customer(api, admin, 3)
    chat = {"customer_id": customer_id, "business_line": "social", "channel": "chat"}
    assert (await api.post("/api/v1/conversations", json=chat, headers=admin)).status_code == 201
    before = await scrape(api)
    assert value(before, "kefu_queue_waiting", queue="social") == 1
    assert value(before, "kefu_queue_waiting", queue="payments") == 0
    assert value(before, "kefu_queue_longest_wait_seconds", queue="social") >= 0
    assert value(before, "kefu_callbacks_due") == 0
    assert value(before, "kefu_outbox_lag_seconds") >= 0
    assert ("kefu_router_lease_holder", ()) not in before  # set by the cluster's routers, none here

    agent_h = await make_user(kefu, "fang.qing", "agent")
    body = {
        "name": "方晴",
        "site": "wuhan",
        "skills": {"social": 3},
        "capacity": {"chat": 2},
        "username": "fang.qing",
    }
    agent = await api.post("/api/v1/agents", json=body, headers=admin)
    assert agent.status_code == 201, agent.text
    agent_id = agent.json()["id"]
    r = await api.put(f"/api/v1/agents/{agent_id}/presence", json={"presence": "available"}, headers=agent_h)
    assert r.status_code == 200, r.text
    (offer,) = (await api.get(f"/api/v1/agents/{agent_id}/offers", headers=agent_h)).json()
    assert (await api.post(f"/api/v1/offers/{offer['id']}/accept", headers=agent_h)).status_code == 200

    payment = {
        "payment_id": "metrics-1",
        "payer": {"customer_id": customer_id},
        "payee": {"account_id": "acct-shop", "name": "便利店", "kind": "merchant"},
        "amount": 1_500,
        "currency": "CNY",
        "channel": "qr",
        "created_at": "2026-01-05T07:00:00+00:00",
    }
    screened = await api.post("/api/v1/payments/screen", json=payment, headers=headers["integration"])
    assert screened.status_code == 200, screened.text
    decision = screened.json()["decision"]

    after = await scrape(api)
    assert value(after, "kefu_routing_decisions_total") - value(before, "kefu_routing_decisions_total") == 1
    accepted = {"outcome": "accepted"}
    assert value(after, "kefu_offers_total", **accepted) - value(before, "kefu_offers_total", **accepted) == 1
    assert value(after, "kefu_queue_waiting", queue="social") == 0
    assert (
        value(after, "kefu_screening_decisions_total", decision=decision)
        - value(before, "kefu_screening_decisions_total", decision=decision)
        == 1
    )
    assert value(after, "kefu_screening_seconds_count") - value(before, "kefu_screening_seconds_count") == 1


async def test_the_metrics_token_guards_the_endpoint_and_prod_hides_it_without_one(kefu: Kefu) -> None:
    """With KEFU_METRICS_TOKEN: no or a wrong bearer is 401, the right one 200. In prod without a token the
    endpoint is 404; in dev without one it is open."""
    token = secrets.token_hex(16)
    guarded = dataclasses.replace(kefu, settings=load_settings(metrics_token=token))
    async with asgi_client(guarded) as api:
        for sent in (None, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
            r = await api.get("/metrics", headers=sent)
            assert r.status_code == 401 and r.json()["code"] == "unauthenticated", r.text
        await scrape(api, {"Authorization": f"Bearer {token}"})
    prod = dataclasses.replace(kefu, settings=load_settings(env="prod", secret=secrets.token_hex(32)))
    async with asgi_client(prod) as api:
        r = await api.get("/metrics")
        assert r.status_code == 404 and r.json()["code"] == "not_found", r.text
    async with asgi_client(kefu) as api:
        await scrape(api)
