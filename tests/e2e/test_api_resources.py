"""Customers, agents, sites and conversations over HTTP, including their errors."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from kefu.adapters.bus.memory import InProcessBus
from kefu.bootstrap import Kefu
from tests.conftest import make_user

PROBLEM = "application/problem+json"
H = dict[str, dict[str, str]]


def years_ago(n: int) -> str:
    """A birth date that makes someone exactly ``n`` years old today in the centre's time zone."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    if (today.month, today.day) == (2, 29):
        today -= timedelta(days=1)
    return today.replace(year=today.year - n).isoformat()


async def new_customer(api: httpx.AsyncClient, h: dict[str, str], **fields: object) -> dict[str, object]:
    body = {"name": "王秀英", "language": "zh", **fields}
    r = await api.post("/api/v1/customers", json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def new_agent(api: httpx.AsyncClient, h: dict[str, str], **fields: object) -> dict[str, object]:
    body = {
        "name": "方晴",
        "site": "chongqing",
        "skills": {"payments": 4, "anti_fraud": 5},
        "capacity": {"chat": 3},
    }
    body.update(fields)
    r = await api.post("/api/v1/agents", json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_the_six_bases_exist_from_the_start(api: httpx.AsyncClient, headers: H) -> None:
    """GET /sites lists the six service bases with Chinese names and time zones."""
    r = await api.get("/api/v1/sites", headers=headers["agent"])
    assert r.status_code == 200
    sites = {s["id"]: s for s in r.json()}
    assert set(sites) == {"shenzhen", "chongqing", "chengdu", "wuhan", "yinchuan", "hefei"}
    assert sites["chongqing"]["name_zh"] == "重庆"
    assert all(s["timezone"] == "Asia/Shanghai" for s in sites.values())


async def test_customer_elderly_is_computed_from_birth_date(api: httpx.AsyncClient, headers: H) -> None:
    """A customer aged 60 or more is elderly; 59 is not; no birth date is not."""
    old = await new_customer(api, headers["integration"], external_id="old", birth_date=years_ago(80))
    young = await new_customer(api, headers["integration"], external_id="young", birth_date=years_ago(59))
    unknown = await new_customer(api, headers["integration"], external_id="unknown")
    assert old["elderly"] is True
    assert young["elderly"] is False
    assert unknown["elderly"] is False


async def test_duplicate_external_id_is_409(api: httpx.AsyncClient, headers: H) -> None:
    """external_id is unique: the second registration is a conflict, and the first is untouched."""
    first = await new_customer(api, headers["integration"], external_id="dup", name="甲")
    r = await api.post(
        "/api/v1/customers", json={"external_id": "dup", "name": "乙"}, headers=headers["integration"]
    )
    assert r.status_code == 409
    assert r.json()["code"] == "already_exists"
    again = await api.get(f"/api/v1/customers/{first['id']}", headers=headers["integration"])
    assert again.json()["name"] == "甲"


async def test_phone_numbers_are_masked_for_agents_only(api: httpx.AsyncClient, headers: H) -> None:
    """Agents see 138****5678 (and a masked trusted contact); supervisors and integrations see the number."""
    contact = {"name": "李娜", "phone": "13900001111", "relation": "女儿"}
    await new_agent(api, headers["admin"], site="wuhan", username="agent-user")  # agents see their base
    c = await new_customer(
        api,
        headers["integration"],
        external_id="p1",
        phone="13812345678",
        trusted_contact=contact,
        home_site="wuhan",
    )
    path = f"/api/v1/customers/{c['id']}"
    as_agent = (await api.get(path, headers=headers["agent"])).json()
    assert as_agent["phone"] == "138****5678"
    assert as_agent["trusted_contact"]["phone"] == "139****1111"
    assert (await api.get(path, headers=headers["supervisor"])).json()["phone"] == "13812345678"
    listed = (await api.get("/api/v1/customers", headers=headers["agent"])).json()["items"]
    assert [x["phone"] for x in listed] == ["138****5678"]


async def test_patch_changes_only_the_fields_sent(api: httpx.AsyncClient, headers: H) -> None:
    """PATCH leaves absent fields alone, clears fields sent as null, and rejects clearing the name."""
    c = await new_customer(
        api, headers["integration"], external_id="pt", phone="13812345678", vulnerable=False
    )
    path = f"/api/v1/customers/{c['id']}"
    r = await api.patch(path, json={"vulnerable": True}, headers=headers["supervisor"])
    assert r.status_code == 200
    assert r.json()["vulnerable"] is True
    assert r.json()["phone"] == "13812345678"
    r = await api.patch(path, json={"phone": None}, headers=headers["supervisor"])
    assert r.json()["phone"] is None
    r = await api.patch(path, json={"name": None}, headers=headers["supervisor"])
    assert r.status_code == 422
    r = await api.patch(path, json={"external_id": "other"}, headers=headers["supervisor"])
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"external_id": "a", "name": "x", "phone": "call me"}, "phone"),
        ({"external_id": "a", "name": "x", "language": "fr"}, "language"),
        ({"external_id": "a", "name": "x", "birth_date": "2999-01-01"}, "birth_date"),
        ({"external_id": "a", "name": "x", "birth_date": "not a date"}, "birth_date"),
        ({"external_id": "a", "name": ""}, "name"),
        ({"external_id": "a", "name": 5}, "name"),
        ({"name": "x"}, "external_id"),
        ({"external_id": "a", "name": "x", "nickname": "y"}, "nickname"),
        ({"external_id": "a", "name": "x", "home_site": "beijing"}, "home_site"),
        (
            {"external_id": "a", "name": "x", "trusted_contact": {"name": "y", "phone": "1"}},
            "trusted_contact",
        ),
    ],
)
async def test_bad_customer_input_is_422_naming_the_field(
    api: httpx.AsyncClient, headers: H, body: dict[str, object], field: str
) -> None:
    """Wrong types, unknown fields, bad phones and future birth dates get 422 naming the field."""
    r = await api.post("/api/v1/customers", json=body, headers=headers["integration"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["status"] == 422
    assert (
        field in problem["detail"] or field in str(problem.get("errors", "")) or problem.get("field") == field
    )


async def test_malformed_json_is_400_problem(api: httpx.AsyncClient, headers: H) -> None:
    """A body that is not JSON gets 400 problem+json, never a 500."""
    r = await api.post(
        "/api/v1/customers",
        content=b'{"external_id": "a",',
        headers={**headers["integration"], "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_json"


@pytest.mark.parametrize(
    "path", ["/api/v1/customers/nope", "/api/v1/agents/nope", "/api/v1/conversations/nope", "/api/v1/nothing"]
)
async def test_unknown_ids_and_routes_are_404_problem(api: httpx.AsyncClient, headers: H, path: str) -> None:
    """Unknown ids and unknown paths get 404 problem+json."""
    r = await api.get(path, headers=headers["admin"])
    assert r.status_code == 404
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_pagination_walks_every_customer_once(api: httpx.AsyncClient, headers: H) -> None:
    """Following next_cursor visits each customer exactly once, in creation order; a forged cursor is 422."""
    ids = [(await new_customer(api, headers["integration"], external_id=f"pg-{i}"))["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/api/v1/customers", params=params, headers=headers["supervisor"])).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    r = await api.get(
        "/api/v1/customers", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=headers["supervisor"]
    )
    assert r.status_code == 422
    r = await api.get("/api/v1/customers", params={"limit": 0}, headers=headers["supervisor"])
    assert r.status_code == 422


async def test_agent_is_created_offline_and_sets_own_presence(
    api: httpx.AsyncClient, kefu: Kefu, headers: H
) -> None:
    """A new agent is offline; the agent's own login may go available, but not change a colleague."""
    own = await make_user(kefu, "fang.qing", "agent")
    mine = await new_agent(api, headers["supervisor"], username="fang.qing")
    other = await new_agent(api, headers["supervisor"], name="曾琳智")
    assert mine["presence"] == "offline"
    r = await api.put(f"/api/v1/agents/{mine['id']}/presence", json={"presence": "available"}, headers=own)
    assert r.status_code == 200
    assert r.json()["presence"] == "available"
    r = await api.put(f"/api/v1/agents/{other['id']}/presence", json={"presence": "available"}, headers=own)
    assert r.status_code == 403
    r = await api.put(f"/api/v1/agents/{mine['id']}/presence", json={"presence": "busy"}, headers=own)
    assert r.status_code == 422


@pytest.mark.parametrize(
    "patch",
    [
        {"skills": {"cooking": 3}},
        {"skills": {"social": 6}},
        {"skills": {"social": 0}},
        {"capacity": {"fax": 1}},
        {"capacity": {"chat": -1}},
        {"site": "beijing"},
        {"presence": "available"},
    ],
)
async def test_bad_agent_input_is_422(api: httpx.AsyncClient, headers: H, patch: dict[str, object]) -> None:
    """Unknown skills, levels outside 1-5, unknown channels or sites are refused with 422."""
    agent = await new_agent(api, headers["supervisor"])
    r = await api.patch(f"/api/v1/agents/{agent['id']}", json=patch, headers=headers["supervisor"])
    assert r.status_code == 422, r.text
    unchanged = (await api.get(f"/api/v1/agents/{agent['id']}", headers=headers["supervisor"])).json()
    assert unchanged["skills"] == agent["skills"]
    assert unchanged["site"] == agent["site"]


@pytest.mark.both_databases
async def test_conversation_lifecycle_over_http(api: httpx.AsyncClient, kefu: Kefu, headers: H) -> None:
    """queued → assigned → resolved → closed, with messages from both sides and 409 on illegal steps."""
    agent_h = await make_user(kefu, "zeng.linzhi", "agent")
    agent = await new_agent(api, headers["supervisor"], username="zeng.linzhi")
    customer = await new_customer(api, headers["integration"], external_id="cv", birth_date=years_ago(80))
    r = await api.post(
        "/api/v1/conversations",
        json={
            "customer_id": customer["id"],
            "business_line": "payments",
            "channel": "chat",
            "text": "转账被拦了",
        },
        headers=headers["integration"],
    )
    assert r.status_code == 201, r.text
    conv = r.json()
    assert conv["status"] == "queued"
    assert conv["queue"] == "payments"
    assert conv["care"] is True
    assert conv["priority"] > 0
    cid = conv["id"]
    # An agent cannot answer a conversation that is not theirs.
    r = await api.post(f"/api/v1/conversations/{cid}/messages", json={"body": "您好"}, headers=agent_h)
    assert r.status_code == 403
    r = await api.post(
        f"/api/v1/conversations/{cid}/assign", json={"agent_id": agent["id"]}, headers=headers["supervisor"]
    )
    assert r.json()["status"] == "assigned"
    r = await api.post(
        f"/api/v1/conversations/{cid}/messages", json={"body": "您好,我是客服"}, headers=agent_h
    )
    assert r.status_code == 201
    assert r.json()["sender"] == "agent"
    r = await api.post(
        f"/api/v1/conversations/{cid}/messages", json={"body": "谢谢"}, headers=headers["integration"]
    )
    assert r.json()["sender"] == "customer"
    r = await api.post(
        f"/api/v1/conversations/{cid}/resolve", json={"disposition": "explained"}, headers=agent_h
    )
    assert r.status_code == 200
    assert r.json()["status"] == "resolved"
    again = await api.post(f"/api/v1/conversations/{cid}/resolve", json={"disposition": "x"}, headers=agent_h)
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"
    r = await api.post(f"/api/v1/conversations/{cid}/close", headers=headers["integration"])
    assert r.json()["status"] == "closed"
    detail = (await api.get(f"/api/v1/conversations/{cid}", headers=headers["supervisor"])).json()
    assert [m["sender"] for m in detail["messages"]] == ["customer", "agent", "customer"]
    assert detail["first_response_at"] is not None
    mine = (await api.get("/api/v1/conversations", headers=agent_h)).json()["items"]
    assert [x["id"] for x in mine] == [cid]
    assert isinstance(kefu.publisher, InProcessBus)
    published = [e.name for e in kefu.publisher.published]
    conv_events = [n for n in published if n.startswith(("conversation.", "message."))]
    assert conv_events == [
        "conversation.created",
        "message.posted",
        "conversation.assigned",
        "message.posted",
        "message.posted",
        "conversation.resolved",
        "conversation.closed",
    ]


async def test_conversation_filters(api: httpx.AsyncClient, headers: H) -> None:
    """status, queue and customer_id filters each narrow the list correctly."""
    a = await new_customer(api, headers["integration"], external_id="fa")
    b = await new_customer(api, headers["integration"], external_id="fb")
    made = []
    for cust, line in ((a, "social"), (a, "games"), (b, "games")):
        body = {"customer_id": cust["id"], "business_line": line, "channel": "chat"}
        made.append(
            (await api.post("/api/v1/conversations", json=body, headers=headers["integration"])).json()
        )
    await api.post(f"/api/v1/conversations/{made[0]['id']}/abandon", headers=headers["integration"])
    sup = headers["supervisor"]

    async def ids(**params: str) -> list[str]:
        r = await api.get("/api/v1/conversations", params=params, headers=sup)
        return [x["id"] for x in r.json()["items"]]

    assert await ids(queue="games") == [made[1]["id"], made[2]["id"]]
    assert await ids(customer_id=a["id"]) == [made[0]["id"], made[1]["id"]]
    assert await ids(status="abandoned") == [made[0]["id"]]
    assert (await api.get("/api/v1/conversations", params={"status": "lost"}, headers=sup)).status_code == 422


async def test_opening_a_conversation_checks_its_references(api: httpx.AsyncClient, headers: H) -> None:
    """An unknown customer or business line is 422, an unknown channel too; nothing is created."""
    c = await new_customer(api, headers["integration"], external_id="ref")
    for body in (
        {"customer_id": "missing", "business_line": "social", "channel": "chat"},
        {"customer_id": c["id"], "business_line": "banking", "channel": "chat"},
        {"customer_id": c["id"], "business_line": "social", "channel": "pigeon"},
    ):
        r = await api.post("/api/v1/conversations", json=body, headers=headers["integration"])
        assert r.status_code == 422, body
    listed = await api.get("/api/v1/conversations", headers=headers["supervisor"])
    assert listed.json()["items"] == []


async def test_every_change_is_in_the_audit_log(kefu: Kefu, api: httpx.AsyncClient, headers: H) -> None:
    """Creating and updating a customer each leave an audit entry naming the actor."""
    c = await new_customer(api, headers["integration"], external_id="au")
    await api.patch(f"/api/v1/customers/{c['id']}", json={"vulnerable": True}, headers=headers["supervisor"])
    async with kefu.bus.uow_factory() as uow:
        entries = await uow.audit.for_subject("customer", str(c["id"]))
    assert [(e.action, e.actor) for e in entries] == [
        ("customer.created", "integration-user"),
        ("customer.updated", "supervisor-user"),
    ]
    assert entries[1].detail == {"fields": ["vulnerable"]}


async def test_an_agent_sees_the_history_of_a_customer_they_serve(
    api: httpx.AsyncClient, kefu: Kefu, headers: H
) -> None:
    """With ?customer_id= an agent serving that customer sees all their contacts; others' stay hidden."""
    agent_h = await make_user(kefu, "hist.agent", "agent")
    agent = await new_agent(api, headers["supervisor"], username="hist.agent")
    served = await new_customer(api, headers["integration"], external_id="hist-a")
    other = await new_customer(api, headers["integration"], external_id="hist-b")
    convs = []
    for cust in (served, served, other):
        body = {"customer_id": cust["id"], "business_line": "payments", "channel": "chat"}
        convs.append(
            (await api.post("/api/v1/conversations", json=body, headers=headers["integration"])).json()
        )
    await api.post(
        f"/api/v1/conversations/{convs[1]['id']}/assign",
        json={"agent_id": agent["id"]},
        headers=headers["supervisor"],
    )
    history = await api.get("/api/v1/conversations", params={"customer_id": served["id"]}, headers=agent_h)
    assert [c["id"] for c in history.json()["items"]] == [convs[0]["id"], convs[1]["id"]]
    hidden = await api.get("/api/v1/conversations", params={"customer_id": other["id"]}, headers=agent_h)
    assert hidden.json()["items"] == []


async def test_triage_chooses_the_business_line_when_none_is_given(
    api: httpx.AsyncClient, headers: H
) -> None:
    """Without business_line, the customer's words pick the line and its queue."""
    c = await new_customer(api, headers["integration"], external_id="tri-1")
    body = {"customer_id": c["id"], "channel": "chat", "text": "游戏充值了68元,钻石没有到账"}
    r = await api.post("/api/v1/conversations", json=body, headers=headers["integration"])
    assert r.status_code == 201, r.text
    assert r.json()["business_line"] == "games"
    assert r.json()["queue"] == "games"
    body = {"customer_id": c["id"], "channel": "chat", "text": "My payment failed twice at checkout"}
    r = await api.post("/api/v1/conversations", json=body, headers=headers["integration"])
    assert r.json()["business_line"] == "payments"
