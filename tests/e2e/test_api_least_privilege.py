"""Least privilege over HTTP: agents see the customers of their base and of their own work; callbacks are
cancelled only by the customer's side, the agent working them or a supervisor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from kefu.bootstrap import Kefu
from tests.conftest import make_user

H = dict[str, dict[str, str]]


async def _agent(
    api: httpx.AsyncClient, admin: dict[str, str], username: str, site: str
) -> dict[str, object]:
    body = {
        "name": username,
        "site": site,
        "skills": {"social": 3},
        "capacity": {"chat": 2},
        "username": username,
    }
    r = await api.post("/api/v1/agents", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def _customer(api: httpx.AsyncClient, h: dict[str, str], external_id: str, site: str) -> str:
    r = await api.post(
        "/api/v1/customers", json={"external_id": external_id, "name": "张三", "home_site": site}, headers=h
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_an_agent_sees_customers_of_its_base_and_of_work_assigned_to_it(
    api: httpx.AsyncClient, kefu: Kefu, headers: H
) -> None:
    """Listing gives the agent's base only; another base's customer is 403 until their chat is assigned."""
    admin = headers["admin"]
    wuhan = await make_user(kefu, "wu.agent", "agent")
    agent = await _agent(api, admin, "wu.agent", "wuhan")
    near = await _customer(api, admin, "c-wuhan", "wuhan")
    far = await _customer(api, admin, "c-hefei", "hefei")
    listed = (await api.get("/api/v1/customers", headers=wuhan)).json()["items"]
    assert [c["id"] for c in listed] == [near]
    assert (await api.get(f"/api/v1/customers/{near}", headers=wuhan)).status_code == 200
    refused = await api.get(f"/api/v1/customers/{far}", headers=wuhan)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    chat = await api.post(
        "/api/v1/conversations",
        json={"customer_id": far, "business_line": "social", "channel": "chat"},
        headers=admin,
    )
    assert chat.status_code == 201, chat.text
    assigned = await api.post(
        f"/api/v1/conversations/{chat.json()['id']}/assign", json={"agent_id": agent["id"]}, headers=admin
    )
    assert assigned.status_code == 200, assigned.text
    assert (await api.get(f"/api/v1/customers/{far}", headers=wuhan)).status_code == 200
    assert (await api.get(f"/api/v1/customers/{far}", headers=headers["supervisor"])).status_code == 200


async def test_an_agent_without_an_agent_profile_sees_no_customer(api: httpx.AsyncClient, headers: H) -> None:
    """A login of role agent that works no agent record pages through nothing."""
    await _customer(api, headers["admin"], "c-1", "wuhan")
    assert (await api.get("/api/v1/customers", headers=headers["agent"])).json()["items"] == []


async def test_a_callback_is_cancelled_only_by_its_side_its_agent_or_a_supervisor(
    api: httpx.AsyncClient, kefu: Kefu, headers: H
) -> None:
    """An agent not working the callback gets 403; the customer's side (integration) and supervisors may."""
    admin = headers["admin"]
    await _agent(api, admin, "agent-user", "wuhan")
    customer = await _customer(api, admin, "c-cb", "wuhan")
    start = datetime.now(UTC) + timedelta(hours=2)
    made = []
    for _ in range(2):
        body = {
            "customer_id": customer,
            "reason": "退款",
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=2)).isoformat(),
        }
        r = await api.post("/api/v1/callbacks", json=body, headers=headers["integration"])
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    refused = await api.post(f"/api/v1/callbacks/{made[0]}/cancel", json={}, headers=headers["agent"])
    assert refused.status_code == 403, refused.text
    for callback_id, role in zip(made, ("integration", "supervisor"), strict=True):
        r = await api.post(f"/api/v1/callbacks/{callback_id}/cancel", json={}, headers=headers[role])
        assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text


async def test_an_integration_acts_only_for_its_own_customers_and_staffs(
    api: httpx.AsyncClient, kefu: Kefu, headers: H
) -> None:
    """Another integration's customer and its conversations are 403; staff-registered ones are shared."""
    mine, other = headers["integration"], await make_user(kefu, "other.channel", "integration")
    theirs = await _customer(api, other, "c-theirs", "wuhan")
    shared = await _customer(api, headers["admin"], "c-shared", "wuhan")
    own = await _customer(api, mine, "c-mine", "wuhan")
    chat = await api.post(
        "/api/v1/conversations",
        json={"customer_id": theirs, "business_line": "social", "channel": "chat"},
        headers=other,
    )
    assert chat.status_code == 201, chat.text
    conversation = chat.json()["id"]
    for method, path in (
        ("GET", f"/api/v1/customers/{theirs}"),
        ("GET", f"/api/v1/conversations/{conversation}"),
        ("POST", f"/api/v1/conversations/{conversation}/abandon"),
        ("GET", f"/api/v1/conversations?customer_id={theirs}"),
    ):
        r = await api.request(method, path, headers=mine)
        assert r.status_code == 403, (method, path, r.text)
    refused = await api.post(
        "/api/v1/conversations",
        json={"customer_id": theirs, "business_line": "social", "channel": "chat"},
        headers=mine,
    )
    assert refused.status_code == 403
    assert (await api.get("/api/v1/conversations", headers=mine)).status_code == 422  # one customer at a time
    listed = {c["id"] for c in (await api.get("/api/v1/customers", headers=mine)).json()["items"]}
    assert listed == {shared, own}
    assert (await api.get(f"/api/v1/customers/{shared}", headers=mine)).status_code == 200
    assert (await api.get(f"/api/v1/conversations/{conversation}", headers=other)).status_code == 200
    assert (
        await api.get(f"/api/v1/conversations/{conversation}", headers=headers["supervisor"])
    ).status_code == 200


def _payment(payment_id: str) -> dict[str, object]:
    return {
        "payment_id": payment_id,
        "payer": {"external_id": f"payer-{payment_id}"},
        "payee": {"account_id": "acct-shop", "name": "小卖部", "kind": "merchant"},
        "amount": 5_000,
        "currency": "CNY",
        "channel": "transfer",
        "created_at": datetime.now(UTC).isoformat(),
    }


async def test_an_integration_follows_only_the_payments_it_screened(
    api: httpx.AsyncClient, kefu: Kefu, headers: H
) -> None:
    """Another integration's payment is 404 to read, label or pass to a specialist; staff-screened ones are
    shared; supervisors see every payment."""
    mine, other = headers["integration"], await make_user(kefu, "other.gateway", "integration")
    for payment_id, h in (("p-theirs", other), ("p-mine", mine), ("p-staff", headers["admin"])):
        r = await api.post("/api/v1/payments/screen", json=_payment(payment_id), headers=h)
        assert r.status_code == 200, r.text
    label = {"label": "scam", "source": "chargeback"}
    for method, path, body in (
        ("GET", "/api/v1/payments/p-theirs", None),
        ("POST", "/api/v1/payments/p-theirs/label", label),
        ("POST", "/api/v1/payments/p-theirs/specialist", {"channel": "chat"}),
    ):
        r = await api.request(method, path, json=body, headers=mine)
        assert r.status_code == 404 and r.json()["code"] == "not_found", (method, path, r.text)
        missing = await api.request(method, path.replace("p-theirs", "p-nowhere"), json=body, headers=mine)
        alike = {"type", "title", "status", "code", "kind"}
        assert {k: v for k, v in missing.json().items() if k in alike} == {
            k: v for k, v in r.json().items() if k in alike
        }
    for payment_id in ("p-mine", "p-staff"):
        assert (await api.get(f"/api/v1/payments/{payment_id}", headers=mine)).status_code == 200
        labelled = await api.post(f"/api/v1/payments/{payment_id}/label", json=label, headers=mine)
        assert labelled.status_code == 201, labelled.text
    # An allowed payment has no specialist to talk to: the caller's own payment gets past the 404.
    own = await api.post("/api/v1/payments/p-mine/specialist", json={"channel": "chat"}, headers=mine)
    assert own.status_code == 409, own.text
    assert (await api.get("/api/v1/payments/p-theirs", headers=other)).status_code == 200
    assert (await api.get("/api/v1/payments/p-theirs", headers=headers["supervisor"])).status_code == 200
    assert (await api.get("/api/v1/payments/p-theirs", headers=headers["agent"])).status_code == 403


async def test_a_supervisor_sees_the_customers_of_their_bases_only(
    api: httpx.AsyncClient, headers: H
) -> None:
    """A supervisor given bases lists their customers only and gets 403 on another base's; one without
    bases, and admins, see every base; bases are checked when the user is made."""
    admin = headers["admin"]
    made = await api.post(
        "/api/v1/users",
        json={"username": "wu.sup", "password": "long-enough-pass", "role": "supervisor", "sites": ["wuhan"]},
        headers=admin,
    )
    assert made.status_code == 201 and made.json()["sites"] == ["wuhan"], made.text
    login = await api.post("/api/v1/auth/login", json={"username": "wu.sup", "password": "long-enough-pass"})
    scoped = {"Authorization": f"Bearer {login.json()['access_token']}"}
    near = await _customer(api, admin, "c-wuhan", "wuhan")
    far = await _customer(api, admin, "c-hefei", "hefei")
    listed = (await api.get("/api/v1/customers", headers=scoped)).json()["items"]
    assert [c["id"] for c in listed] == [near]
    assert (await api.get(f"/api/v1/customers/{near}", headers=scoped)).status_code == 200
    refused = await api.get(f"/api/v1/customers/{far}", headers=scoped)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    for h in (headers["supervisor"], admin):
        assert {c["id"] for c in (await api.get("/api/v1/customers", headers=h)).json()["items"]} == {
            near,
            far,
        }
        assert (await api.get(f"/api/v1/customers/{far}", headers=h)).status_code == 200
    for role, sites in (("supervisor", ["atlantis"]), ("agent", ["wuhan"])):
        bad = await api.post(
            "/api/v1/users",
            json={"username": f"x.{role}", "password": "long-enough-pass", "role": role, "sites": sites},
            headers=admin,
        )
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_input", bad.text


async def test_a_supervisor_reads_and_sets_presence_of_the_agents_of_their_bases_only(
    api: httpx.AsyncClient, kefu: Kefu, headers: H
) -> None:
    """Agents of another base are left out of the list and are 403 to read, to set away or to be handed a
    conversation; admins and a supervisor without bases reach every base."""
    admin = headers["admin"]
    made = await api.post(
        "/api/v1/users",
        json={"username": "hf.sup", "password": "long-enough-pass", "role": "supervisor", "sites": ["hefei"]},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    login = await api.post("/api/v1/auth/login", json={"username": "hf.sup", "password": "long-enough-pass"})
    scoped = {"Authorization": f"Bearer {login.json()['access_token']}"}
    await make_user(kefu, "hf.agent", "agent")
    await make_user(kefu, "wu.agent", "agent")
    near = await _agent(api, admin, "hf.agent", "hefei")
    far = await _agent(api, admin, "wu.agent", "wuhan")
    listed = (await api.get("/api/v1/agents", headers=scoped)).json()["items"]
    assert [a["id"] for a in listed] == [near["id"]]
    assert (await api.get("/api/v1/agents?site=wuhan", headers=scoped)).json()["items"] == []
    assert (await api.get(f"/api/v1/agents/{near['id']}", headers=scoped)).status_code == 200
    away = {"presence": "away"}
    assert (
        await api.put(f"/api/v1/agents/{near['id']}/presence", json=away, headers=scoped)
    ).status_code == 200
    for method, path, body in (
        ("GET", f"/api/v1/agents/{far['id']}", None),
        ("PUT", f"/api/v1/agents/{far['id']}/presence", away),
    ):
        r = await api.request(method, path, json=body, headers=scoped)
        assert r.status_code == 403 and r.json()["code"] == "forbidden", (method, path, r.text)
    customer = await _customer(api, admin, "c-assign", "hefei")
    chat = await api.post(
        "/api/v1/conversations",
        json={"customer_id": customer, "business_line": "social", "channel": "chat"},
        headers=admin,
    )
    assert chat.status_code == 201, chat.text
    assign = f"/api/v1/conversations/{chat.json()['id']}/assign"
    refused = await api.post(assign, json={"agent_id": far["id"]}, headers=scoped)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden", refused.text
    assert (await api.post(assign, json={"agent_id": near["id"]}, headers=scoped)).status_code == 200
    for h in (headers["supervisor"], admin):
        assert len((await api.get("/api/v1/agents", headers=h)).json()["items"]) == 2
        assert (
            await api.put(f"/api/v1/agents/{far['id']}/presence", json=away, headers=h)
        ).status_code == 200
