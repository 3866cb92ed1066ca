"""The watchlist and payee reports over HTTP: roles, paging, conflicts, bad input, and screening that
follows the list at once, trusted payees or not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

H = dict[str, str]


def _payment(payment_id: str, customer_id: str, account: str) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "payer": {"customer_id": customer_id},
        "payee": {"account_id": account, "name": "张三"},
        "amount": 5_000,
        "currency": "CNY",
        "channel": "transfer",
        "created_at": datetime(2026, 3, 2, 2, 0, tzinfo=UTC).isoformat(),
    }


async def test_managers_list_add_and_remove_with_paging_and_problems(
    api: httpx.AsyncClient, headers: dict[str, H]
) -> None:
    """Supervisors and admins manage the list (201, cursor pages, 204); agents and the gateway get 403;
    a second add is 409, an unknown removal 404, bad input 422."""
    sup, admin = headers["supervisor"], headers["admin"]
    for n, account in enumerate(("acct-c", "acct-a", "acct-b")):
        body = {"account_id": account, "reason": f"notice {n}", "source": "police"}
        r = await api.post("/api/v1/watchlist", json=body, headers=sup if n % 2 else admin)
        assert r.status_code == 201, r.text
    assert r.json()["added_by"] == "admin-user" and r.json()["source"] == "police"
    first = (await api.get("/api/v1/watchlist?limit=2", headers=sup)).json()
    assert [e["account_id"] for e in first["items"]] == ["acct-a", "acct-b"]
    rest = (await api.get(f"/api/v1/watchlist?limit=2&cursor={first['next_cursor']}", headers=sup)).json()
    assert ([e["account_id"] for e in rest["items"]], rest["next_cursor"]) == (["acct-c"], None)
    for role in ("agent", "integration"):
        assert (await api.get("/api/v1/watchlist", headers=headers[role])).status_code == 403
        forbidden = await api.post(
            "/api/v1/watchlist", json={"account_id": "x", "reason": "y"}, headers=headers[role]
        )
        assert forbidden.status_code == 403
        gone = await api.delete("/api/v1/watchlist/acct-a?reason=no", headers=headers[role])
        assert gone.status_code == 403
    again = await api.post("/api/v1/watchlist", json={"account_id": "acct-a", "reason": "again"}, headers=sup)
    assert (again.status_code, again.json()["code"]) == (409, "already_exists")
    for bad in (
        {"account_id": "acct-z", "reason": " "},
        {"account_id": "acct-z", "reason": "x", "source": "rumour"},
        {"account_id": "", "reason": "x"},
    ):
        assert (await api.post("/api/v1/watchlist", json=bad, headers=sup)).status_code == 422
    assert (await api.delete("/api/v1/watchlist/acct-a", headers=sup)).status_code == 422  # no reason
    removed = await api.delete("/api/v1/watchlist/acct-a?reason=bank%20confirmed", headers=sup)
    assert removed.status_code == 204
    missing = await api.delete("/api/v1/watchlist/acct-a?reason=again", headers=sup)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert (await api.get("/api/v1/watchlist?cursor=bogus", headers=sup)).status_code == 422


async def test_the_list_wins_over_trusted_payees_and_reports_count_per_customer(
    api: httpx.AsyncClient, headers: dict[str, H]
) -> None:
    """A payee the payer trusts is blocked once watchlisted and allowed again once removed; setting
    trusted payees needs the gateway and a channel; one customer's repeated reports count once."""
    gw, sup = headers["integration"], headers["supervisor"]
    r = await api.post("/api/v1/customers", json={"external_id": "c1", "name": "张三"}, headers=gw)
    cid = r.json()["id"]
    trusted = {"payees": [{"account_id": "acct-son", "name": "儿子"}], "channel": "app"}
    assert (
        await api.put(f"/api/v1/customers/{cid}/trusted-payees", json=trusted, headers=gw)
    ).status_code == 200
    no_channel = {"payees": trusted["payees"]}
    assert (
        await api.put(f"/api/v1/customers/{cid}/trusted-payees", json=no_channel, headers=gw)
    ).status_code == 422
    assert (
        await api.put(f"/api/v1/customers/{cid}/trusted-payees", json=trusted, headers=sup)
    ).status_code == 403
    first = await api.post("/api/v1/payments/screen", json=_payment("p-1", cid, "acct-son"), headers=gw)
    assert first.json()["lane"] == "trusted_payee"
    listed = {"account_id": "acct-son", "reason": "mule confirmed by the bank", "source": "bank"}
    assert (await api.post("/api/v1/watchlist", json=listed, headers=sup)).status_code == 201
    blocked = await api.post("/api/v1/payments/screen", json=_payment("p-2", cid, "acct-son"), headers=gw)
    assert (blocked.json()["decision"], blocked.json()["status"]) == ("block", "blocked")
    assert (await api.delete("/api/v1/watchlist/acct-son?reason=mistake", headers=sup)).status_code == 204
    again = await api.post("/api/v1/payments/screen", json=_payment("p-3", cid, "acct-son"), headers=gw)
    assert again.json()["lane"] == "trusted_payee"
    report = {"account_id": "acct-x", "reason": "冒充客服", "customer_id": cid}
    counts = [
        (await api.post("/api/v1/reports/payees", json=report, headers=gw)).json()["reports"]
        for _ in range(3)
    ]
    assert counts == [1, 1, 1]
    unknown = await api.post("/api/v1/reports/payees", json={**report, "customer_id": "nobody"}, headers=gw)
    assert unknown.status_code == 404
