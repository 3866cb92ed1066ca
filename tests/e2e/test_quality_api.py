"""Quality over HTTP: CSAT once per finished conversation, commendations (锦旗), complaints."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from kefu.bootstrap import Kefu

H = dict[str, dict[str, str]]


async def _post(
    api: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str], expect: int = 201
) -> Any:
    r = await api.post(path, json=body, headers=headers)
    assert r.status_code == expect, r.text
    return r.json()


async def _setup(api: httpx.AsyncClient, headers: H) -> dict[str, str]:
    """An agent, a customer and one conversation assigned to the agent and resolved."""
    sup, integ = headers["supervisor"], headers["integration"]
    body = {"name": "王芳", "site": "hefei", "skills": {"payments": 3}, "capacity": {"chat": 1}}
    agent = (await _post(api, "/api/v1/agents", body, sup))["id"]
    customer = (await _post(api, "/api/v1/customers", {"external_id": "q-1", "name": "张伟"}, integ))["id"]
    other = (await _post(api, "/api/v1/customers", {"external_id": "q-2", "name": "李娜"}, integ))["id"]
    body = {"customer_id": customer, "business_line": "payments", "channel": "chat", "subject": "退款"}
    conv = (await _post(api, "/api/v1/conversations", body, integ))["id"]
    await _post(api, f"/api/v1/conversations/{conv}/assign", {"agent_id": agent}, sup, 200)
    return {"agent": agent, "customer": customer, "other": other, "conv": conv}


async def test_csat_is_given_once_and_only_when_the_conversation_is_over(
    api: httpx.AsyncClient, headers: H, kefu: Kefu
) -> None:
    """Rating an open conversation is 409; after resolving, the first rating is 201 and a second is 409."""
    ids = await _setup(api, headers)
    path = f"/api/v1/conversations/{ids['conv']}/csat"
    early = await _post(api, path, {"score": 4}, headers["integration"], 409)
    assert early["code"] == "illegal_transition"
    await _post(
        api, f"/api/v1/conversations/{ids['conv']}/resolve", {"disposition": "ok"}, headers["supervisor"], 200
    )
    rating = await _post(api, path, {"score": 4, "comment": "很好"}, headers["integration"])
    assert (rating["score"], rating["agent_id"], rating["queue"]) == (4, ids["agent"], "payments")
    again = await _post(api, path, {"score": 1}, headers["integration"], 409)
    assert again["code"] == "already_exists"
    async with kefu.bus.uow_factory() as uow:
        actions = [e.action for e in await uow.audit.for_subject("conversation", ids["conv"])]
    assert "csat.recorded" in actions


@pytest.mark.parametrize("body", [{"score": 0}, {"score": 6}, {"score": "five"}, {}, {"score": 3, "x": 1}])
async def test_bad_csat_bodies_are_422(api: httpx.AsyncClient, headers: H, body: dict[str, Any]) -> None:
    """A score outside 1-5, not a number, missing, or an unknown field: 422 problem+json."""
    ids = await _setup(api, headers)
    r = await api.post(f"/api/v1/conversations/{ids['conv']}/csat", json=body, headers=headers["integration"])
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_csat_errors_for_unknown_conversation_and_agents(api: httpx.AsyncClient, headers: H) -> None:
    """An unknown conversation is 404; an agent may not rate (403)."""
    r = await api.post("/api/v1/conversations/nope/csat", json={"score": 3}, headers=headers["integration"])
    assert r.status_code == 404
    r = await api.post("/api/v1/conversations/nope/csat", json={"score": 3}, headers=headers["agent"])
    assert r.status_code == 403


async def test_commendations_are_counted_on_the_agent(api: httpx.AsyncClient, headers: H, kefu: Kefu) -> None:
    """Two 锦旗 give a count of two; the conversation must be the customer's and the agent's."""
    ids = await _setup(api, headers)
    path = f"/api/v1/agents/{ids['agent']}/commendations"
    first = {"customer_id": ids["customer"], "conversation_id": ids["conv"], "message": "耐心细致，感谢！"}
    made = await _post(api, path, first, headers["integration"])
    assert (made["agent_id"], made["by"]) == (ids["agent"], "integration-user")
    await _post(api, path, {"customer_id": ids["customer"], "message": "谢谢"}, headers["supervisor"])
    wrong = {"customer_id": ids["other"], "conversation_id": ids["conv"], "message": "谢谢"}
    assert (await _post(api, path, wrong, headers["integration"], 422))["field"] == "conversation_id"
    blank = await _post(
        api, path, {"customer_id": ids["customer"], "message": "  "}, headers["integration"], 422
    )
    assert blank["field"] == "message"
    await _post(api, "/api/v1/agents/nobody/commendations", {"customer_id": ids["customer"], "message": "x"},
                headers["integration"], 404)  # fmt: skip
    r = await api.get(path, headers=headers["supervisor"])
    assert r.status_code == 200
    assert r.json()["commendations"] == 2
    assert [c["message"] for c in r.json()["items"]] == ["耐心细致，感谢！", "谢谢"]
    async with kefu.bus.uow_factory() as uow:
        actions = [e.action for e in await uow.audit.for_subject("agent", ids["agent"])]
    assert actions.count("commendation.given") == 2


async def test_complaint_lifecycle_is_worked_by_supervisors(
    api: httpx.AsyncClient, headers: H, kefu: Kefu
) -> None:
    """open → investigating → upheld; a decided complaint cannot change (409); agents may not decide (403)."""
    ids = await _setup(api, headers)
    body = {
        "customer_id": ids["customer"],
        "conversation_id": ids["conv"],
        "category": "attitude",
        "text": "不耐烦",
    }
    complaint = await _post(api, "/api/v1/complaints", body, headers["integration"])
    assert (complaint["status"], complaint["agent_id"]) == ("open", ids["agent"])
    cid = complaint["id"]
    r = await api.post(f"/api/v1/complaints/{cid}/investigate", headers=headers["agent"])
    assert r.status_code == 403
    step = await _post(api, f"/api/v1/complaints/{cid}/investigate", None, headers["supervisor"], 200)
    assert step["status"] == "investigating"
    done = await _post(
        api, f"/api/v1/complaints/{cid}/uphold", {"note": "录音确认"}, headers["supervisor"], 200
    )
    assert (done["status"], done["note"], done["handled_by"]) == ("upheld", "录音确认", "supervisor-user")
    late = await _post(api, f"/api/v1/complaints/{cid}/reject", None, headers["supervisor"], 409)
    assert late["code"] == "illegal_transition"
    second = await _post(api, "/api/v1/complaints", {**body, "category": "slow_service"}, headers["agent"])
    await _post(api, f"/api/v1/complaints/{second['id']}/reject", None, headers["supervisor"], 200)
    r = await api.get("/api/v1/complaints", params={"status": "upheld"}, headers=headers["supervisor"])
    assert [c["id"] for c in r.json()["items"]] == [cid]
    r = await api.get("/api/v1/complaints", headers=headers["agent"])
    assert r.status_code == 403
    async with kefu.bus.uow_factory() as uow:
        actions = [e.action for e in await uow.audit.for_subject("complaint", cid)]
    assert actions == ["complaint.filed", "complaint.investigate", "complaint.uphold"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "weather"}, "category"),
        ({"text": " "}, "text"),
        ({"customer_id": "nobody"}, "customer_id"),
        ({"agent_id": "nobody"}, "agent_id"),
        ({"conversation_id": "nobody"}, "conversation_id"),
    ],
)
async def test_bad_complaints_are_422(
    api: httpx.AsyncClient, headers: H, change: dict[str, str], field: str
) -> None:
    """Unknown category, blank text, unknown customer, agent or conversation: 422 naming the field."""
    ids = await _setup(api, headers)
    body = {"customer_id": ids["customer"], "category": "other", "text": "问题", **change}
    problem = await _post(api, "/api/v1/complaints", body, headers["integration"], 422)
    assert problem["field"] == field


async def test_unknown_complaint_is_404(api: httpx.AsyncClient, headers: H) -> None:
    """Deciding or reading a complaint that does not exist is 404."""
    r = await api.post("/api/v1/complaints/nope/uphold", headers=headers["supervisor"])
    assert r.status_code == 404
    r = await api.get("/api/v1/complaints/nope", headers=headers["supervisor"])
    assert r.status_code == 404
