"""Talk to a specialist, mid-payment, over HTTP (issue 13 item 5): the customer
presses "联系反诈专员" on a warning or a hold, the payment waits held in a case with the customer live at the
top of anti_fraud, pressing twice is once, and the specialist re-screens with what the call revealed."""

from __future__ import annotations

from typing import Any

from tests.clocks import clock_matrix
from tests.e2e.test_cases_api import Centre, centre, clock, kefu

__all__ = ["centre", "clock", "kefu"]  # the fixtures of the cases' scene, shared

pytestmark = clock_matrix


async def _press(centre: Centre, payment_id: str, channel: str = "chat", **headers: Any) -> Any:
    return await centre.c.post(
        f"/api/v1/payments/{payment_id}/specialist",
        json={"channel": channel},
        headers=headers.get("headers", centre.gw),
    )


async def test_a_warned_payment_is_held_and_the_customer_waits_on_top(centre: Centre) -> None:
    """A warning (60, bland memo): the button answers 201 with the case, its reference, the conversation and
    status held; the gateway reads held with the case reference; the specialist is offered the chat first and
    works the case; pressing again answers 200 with the same conversation."""
    agent_id, specialist = await centre.specialist("li.na")
    customer = await centre.customer("u-warned")
    warned = await centre.screen("w-1", customer, 10_000_000, memo="")
    assert (warned["decision"], warned["status"], warned["case_id"]) == ("warn", "warned", None)
    r = await _press(centre, "w-1")
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["status"] == "held" and got["case_ref"].startswith("KF-")
    status = (await centre.c.get("/api/v1/payments/w-1", headers=centre.gw)).json()
    assert (status["status"], status["case_id"], status["case_ref"]) == (
        "held",
        got["case_id"],
        got["case_ref"],
    )
    offer = await centre.offer_of(agent_id, specialist)
    assert (offer["kind"], offer["queue"], offer["subject_id"]) == (
        "conversation",
        "anti_fraud",
        got["conversation_id"],
    )
    await centre.accept(agent_id, specialist)
    case = (await centre.c.get(f"/api/v1/cases/{got['case_id']}", headers=specialist)).json()
    assert (case["kind"], case["conversation_id"], case["agent_id"]) == (
        "decide",
        got["conversation_id"],
        agent_id,
    )
    assert [(p["payment_id"], p["status"]) for p in case["payments"]] == [("w-1", "held")]
    again = await _press(centre, "w-1")
    assert (again.status_code, again.json()) == (200, got)


async def test_a_held_payment_joins_its_case_and_the_outcome_decides_it(centre: Centre) -> None:
    """A hold's case gets the customer's voice contact (no second case); dissuaded, the payment is cancelled
    and a later press is 409."""
    agent_id, specialist = await centre.specialist("li.na")
    customer = await centre.customer("u-held")
    held = await centre.screen("h-1", customer, 10_000_000)
    assert held["decision"] == "hold"
    r = await _press(centre, "h-1", "voice")
    assert r.status_code == 201, r.text
    assert (r.json()["case_id"], r.json()["status"]) == (held["case_id"], "held")
    offer = await centre.offer_of(agent_id, specialist)
    assert (offer["kind"], offer["channel"], offer["subject_id"]) == (
        "conversation",
        "voice",
        r.json()["conversation_id"],
    )
    await centre.accept(agent_id, specialist)
    listed = (await centre.c.get("/api/v1/cases", headers=centre.sup)).json()["items"]
    assert [c["id"] for c in listed] == [held["case_id"]]
    assert (await centre.attempt(held["case_id"], "reached", specialist)).status_code == 201
    assert (
        await centre.resolve(held["case_id"], "dissuaded", specialist, "视频核实：冒充军人")
    ).status_code == 200
    late = await _press(centre, "h-1")
    assert (late.status_code, late.json()["code"]) == (409, "illegal_transition")
    assert late.headers["content-type"].startswith("application/problem+json")


async def test_the_button_is_for_the_customers_side_and_known_payments(centre: Centre) -> None:
    """A supervisor gets 403, an unknown payment 404, an allowed payment 409, a bad channel 422."""
    customer = await centre.customer("u-other", age=35)
    await centre.screen(
        "a-1", customer, 1_000, memo="午饭", payee={"account_id": "acct-shop", "kind": "merchant"}
    )
    await centre.screen("w-2", customer, 10_000_000, memo="")
    assert (await _press(centre, "w-2", headers=centre.sup)).status_code == 403
    assert (await _press(centre, "no-such-payment")).status_code == 404
    allowed = await _press(centre, "a-1")
    assert (allowed.status_code, allowed.json()["code"]) == (409, "illegal_transition")
    bad = await centre.c.post("/api/v1/payments/w-2/specialist", json={"channel": "fax"}, headers=centre.gw)
    assert bad.status_code == 422, bad.text


async def test_the_specialist_rescreens_with_what_the_call_revealed(centre: Centre) -> None:
    """On the call the payer mentions a remote-access app: the rescreen answers the case with rescreen score
    100 (block) and the case's score raised; the payment stays held; another agent gets 403; a resolved case
    409; an unknown typology 422."""
    agent_id, specialist = await centre.specialist("li.na")
    customer = await centre.customer("u-rescreen")
    held = await centre.screen("r-1", customer, 10_000_000)
    case_id = await centre.accept(agent_id, specialist)
    url = f"/api/v1/cases/{case_id}/rescreen"
    body = {"note": "对方让她下载了会议软件", "signals": {"remote_access_app": True}}
    _, other = await centre.specialist("zhou.min")
    assert (await centre.c.post(url, json=body, headers=other)).status_code == 403
    bad = await centre.c.post(url, json={"signals": {"typologies": ["lottery"]}}, headers=specialist)
    assert bad.status_code == 422, bad.text
    r = await centre.c.post(url, json=body, headers=specialist)
    assert r.status_code == 200, r.text
    case = r.json()
    assert (case["rescreen"]["score"], case["rescreen"]["decision"], case["score"]) == (100, "block", 100)
    assert case["rescreen"]["payments"] == [
        {"payment_id": "r-1", "score": 100, "decision": "block", "was": held["score"]}
    ]
    assert case["rescreen"]["note"] == body["note"]
    assert [p["status"] for p in case["payments"]] == ["held"]
    got = (await centre.c.get(f"/api/v1/cases/{case_id}", headers=centre.sup)).json()
    assert got["rescreen"]["score"] == 100
    assert (await centre.resolve(case_id, "unreachable", centre.sup)).status_code == 200
    assert (await centre.c.post(url, json={}, headers=centre.sup)).status_code == 409
