"""Canned responses over HTTP: staff list them, supervisors and admins write them, the customer's side
(integration) sees none; bad shortcuts and unknown variables are problem+json, never a 500."""

from __future__ import annotations

import httpx

from kefu.bootstrap import Kefu

H = dict[str, dict[str, str]]
PATH = "/api/v1/canned-responses"
GREET = {
    "shortcut": "greet",
    "title": "问候",
    "body": "您好，{customer_name}，我是{agent_name}。",
    "language": "zh",
}


async def test_supervisors_write_agents_read_and_the_integration_sees_none(
    api: httpx.AsyncClient, headers: H, kefu: Kefu
) -> None:
    """A supervisor creates, changes and deletes; an agent lists by language; agent writes and every
    integration call are 403 with a problem body."""
    r = await api.post(PATH, json=GREET, headers=headers["supervisor"])
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["shortcut"], made["created_by"]) == ("greet", "supervisor-user")
    english = {**GREET, "body": "Hello {customer_name}, this is {agent_name}.", "language": "en"}
    assert (await api.post(PATH, json=english, headers=headers["admin"])).status_code == 201

    listed = (await api.get(PATH, params={"language": "zh"}, headers=headers["agent"])).json()
    assert [(c["shortcut"], c["language"]) for c in listed] == [("greet", "zh")]
    assert len((await api.get(PATH, headers=headers["agent"])).json()) == 2

    for method, path, body in (
        ("POST", PATH, {**GREET, "shortcut": "mine"}),
        ("PUT", f"{PATH}/{made['id']}", GREET),
        ("DELETE", f"{PATH}/{made['id']}", None),
    ):
        r = await api.request(method, path, json=body, headers=headers["agent"])
        assert r.status_code == 403, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "forbidden"
    for method, path, body in (("GET", PATH, None), ("POST", PATH, {**GREET, "shortcut": "x"})):
        r = await api.request(method, path, json=body, headers=headers["integration"])
        assert (r.status_code, r.json()["code"]) == (403, "forbidden")

    changed = {**GREET, "shortcut": "hello", "body": "{customer_name}您好！"}
    r = await api.put(f"{PATH}/{made['id']}", json=changed, headers=headers["supervisor"])
    assert (r.status_code, r.json()["shortcut"], r.json()["body"]) == (200, "hello", "{customer_name}您好！")
    r = await api.delete(f"{PATH}/{made['id']}", headers=headers["supervisor"])
    assert r.status_code == 200, r.text
    listed = (await api.get(PATH, params={"language": "zh"}, headers=headers["agent"])).json()
    assert listed == []
    assert (await api.delete(f"{PATH}/{made['id']}", headers=headers["supervisor"])).json()["code"] == (
        "not_found"
    )


async def test_bad_canned_responses_are_refused_with_a_code(api: httpx.AsyncClient, headers: H) -> None:
    """Unknown variables, a bad shortcut, an unknown language: 422; a shortcut taken in that language: 409."""
    sup = headers["supervisor"]
    for bad, field in (
        ({**GREET, "body": "您好 {customer}"}, "body"),
        ({**GREET, "body": "您好 {customer_name"}, "body"),
        ({**GREET, "shortcut": "Hello World"}, "shortcut"),
        ({**GREET, "language": "fr"}, "language"),
    ):
        r = await api.post(PATH, json=bad, headers=sup)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in r.text
    assert (await api.post(PATH, json=GREET, headers=sup)).status_code == 201
    r = await api.post(PATH, json=GREET, headers=sup)
    assert (r.status_code, r.json()["code"]) == (409, "already_exists")
    assert (await api.post(PATH, json={**GREET, "language": "en"}, headers=sup)).status_code == 201
    r = await api.put(f"{PATH}/nope", json=GREET, headers=sup)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
