"""The event stream over HTTP against a real server: ticket-only auth, and events pushed after commit."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx

from tests.browser.conftest import Centre

DEADLINE_S = 20.0


def events(response: httpx.Response) -> Iterator[tuple[str, dict]]:
    """(name, data) of each server-sent event, as the lines arrive."""
    name, data = "message", ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data += line.removeprefix("data: ")
        elif line == "" and data:
            yield name, json.loads(data)
            name, data = "message", ""


def ticket(centre: Centre, role: str) -> str:
    return str(centre.call(role, "POST", "/api/v1/stream/tickets", expect=201)["ticket"])


def test_stream_takes_tickets_only_and_tickets_open_nothing_else(centre: Centre) -> None:
    """A session token cannot open the stream, and a stream ticket is refused as an API bearer token."""
    session = centre.tokens["admin"]
    r = httpx.get(f"{centre.url}/api/v1/stream", params={"ticket": session}, timeout=10.0)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    r = httpx.get(
        f"{centre.url}/api/v1/queues", headers={"Authorization": f"Bearer {ticket(centre, 'admin')}"}
    )
    assert r.status_code == 401
    r = httpx.post(f"{centre.url}/api/v1/stream/tickets", timeout=10.0)
    assert r.status_code == 401
    r = httpx.post(
        f"{centre.url}/api/v1/stream/tickets",
        headers={"Authorization": f"Bearer {centre.tokens['integration']}"},
        timeout=10.0,
    )
    assert r.status_code == 403  # the customer-side integration has no live view


def test_stream_pushes_committed_events_and_wallboard_snapshots(centre: Centre) -> None:
    """A new contact reaches an open stream as domain events and as a wallboard with one more waiting."""
    params = {"ticket": ticket(centre, "admin"), "wallboard": "true"}
    with httpx.stream("GET", f"{centre.url}/api/v1/stream", params=params, timeout=DEADLINE_S) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response)
        assert next(stream)[0] == "hello"
        name, board = next(stream)
        assert name == "wallboard"
        before = {q["id"]: q["stats"]["waiting"] for q in board["queues"]}["games"]

        customer = centre.customer("周敏")
        conversation = centre.contact(customer, "games", "充值未到账", "充值了30元没到账。")
        seen: set[str] = set()
        deadline = time.monotonic() + DEADLINE_S
        waiting = before
        for name, data in stream:
            seen.add(name)
            if name == "wallboard":
                waiting = {q["id"]: q["stats"]["waiting"] for q in data["queues"]}["games"]
            elif name == "conversation.created":
                assert data["conversation_id"] == conversation
            if waiting == before + 1 and "conversation.created" in seen:
                break
            assert time.monotonic() < deadline, f"no update within {DEADLINE_S} s; saw {sorted(seen)}"
        assert waiting == before + 1
        assert "conversation.created" in seen


def test_a_stream_ticket_opens_one_stream_only(centre: Centre) -> None:
    """A ticket that opened a stream is refused the second time, even while it has not expired."""
    once = ticket(centre, "admin")
    with httpx.stream(
        "GET", f"{centre.url}/api/v1/stream", params={"ticket": once}, timeout=DEADLINE_S
    ) as response:
        assert response.status_code == 200
        assert next(events(response))[0] == "hello"
        again = httpx.get(f"{centre.url}/api/v1/stream", params={"ticket": once}, timeout=10.0)
    assert again.status_code == 401
    assert "used already" in again.json()["detail"]
