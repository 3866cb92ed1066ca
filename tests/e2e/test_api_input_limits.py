"""No 500 for any input: control characters, times out of range, unknown currencies, huge bodies, 405s."""

from __future__ import annotations

import httpx
import pytest

from kefu.bootstrap import Kefu

PROBLEM = "application/problem+json"
NUL = "bad\x00value"
PAYMENT = {
    "payment_id": "p-limits-1",
    "payer": {"external_id": "payer-1"},
    "payee": {"account_id": "acct-1"},
    "amount": 10_000,
    "created_at": "2026-11-25T10:00:00+08:00",
}


@pytest.mark.both_databases
@pytest.mark.parametrize("body", [{"username": NUL, "password": "x"}, {"username": "a.b", "password": NUL}])
async def test_a_nul_in_the_login_body_is_422_without_a_token(
    api: httpx.AsyncClient, body: dict[str, str]
) -> None:
    """Login refuses NUL characters with a 422 problem (PostgreSQL gave 500), before any password check."""
    r = await api.post("/api/v1/auth/login", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert "control characters" in r.json()["detail"]


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/customers", {"external_id": NUL, "name": "张三"}),
        ("POST", "/api/v1/customers", {"external_id": "c-9", "name": "张\x1b三"}),
        (
            "POST",
            "/api/v1/customers",
            {
                "external_id": "c-9",
                "name": "x",
                "trusted_contact": {"name": NUL, "phone": "1", "relation": "son"},
            },
        ),
        ("POST", "/api/v1/reports/payees", {"account_id": NUL}),
        ("POST", "/api/v1/payments/screen", {**PAYMENT, "memo": NUL}),
        ("POST", "/api/v1/payments/screen", {**PAYMENT, "payee": {"account_id": "acct\x7f"}}),
    ],
)
async def test_control_characters_in_any_string_field_are_422(
    api: httpx.AsyncClient,
    headers: dict[str, dict[str, str]],
    method: str,
    path: str,
    body: dict[str, object],
) -> None:
    """Every request body refuses NUL, ESC and DEL in strings, nested ones included, with 422."""
    r = await api.request(method, path, json=body, headers=headers["admin"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_tabs_and_newlines_are_still_text(
    api: httpx.AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    """Ordinary whitespace inside text is kept."""
    r = await api.post(
        "/api/v1/customers", json={"external_id": "c-ws", "name": "张\t三\n"}, headers=headers["admin"]
    )
    assert r.status_code == 201, r.text


@pytest.mark.both_databases
@pytest.mark.parametrize("query", ["cursor=%00", "status=open%00", "limit=1&cursor=a%1bb"])
async def test_control_characters_in_the_query_string_are_422(
    api: httpx.AsyncClient, headers: dict[str, dict[str, str]], query: str
) -> None:
    """A NUL or ESC in a query parameter is a 422 problem, never reaching the database."""
    r = await api.get(f"/api/v1/conversations?{query}", headers=headers["admin"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.both_databases
@pytest.mark.parametrize(
    "created_at", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "1800-01-01T00:00:00Z"]
)
async def test_a_payment_time_out_of_range_is_422(
    api: httpx.AsyncClient, headers: dict[str, dict[str, str]], created_at: str
) -> None:
    """created_at near the ends of the calendar is refused with 422 (it was a 500 on screening)."""
    r = await api.post(
        "/api/v1/payments/screen", json={**PAYMENT, "created_at": created_at}, headers=headers["admin"]
    )
    assert r.status_code == 422, r.text


async def test_a_birth_date_and_a_query_time_out_of_range_are_422(
    api: httpx.AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    """A date of birth in year 1 and a report window ending in 9999 are refused with 422."""
    r = await api.post(
        "/api/v1/customers",
        json={"external_id": "c-old", "name": "x", "birth_date": "0001-01-01"},
        headers=headers["admin"],
    )
    assert r.status_code == 422, r.text
    r = await api.get(
        "/api/v1/audit", params={"until": "9999-12-31T23:59:59-12:00"}, headers=headers["admin"]
    )
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(("currency", "status"), [("ABC", 422), ("XAU", 422), ("cny", 422), ("JPY", 200)])
async def test_only_iso_4217_currencies_are_money(
    api: httpx.AsyncClient, kefu: Kefu, headers: dict[str, dict[str, str]], currency: str, status: int
) -> None:
    """Any three capital letters no longer pass as a currency; JPY (no minor units) does."""
    customer = {"external_id": "payer-1", "name": "张三"}
    assert (await api.post("/api/v1/customers", json=customer, headers=headers["admin"])).status_code == 201
    body = {**PAYMENT, "currency": currency}
    r = await api.post("/api/v1/payments/screen", json=body, headers=headers["admin"])
    assert r.status_code == status, r.text


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_over_the_limit_is_413_problem(api: httpx.AsyncClient, chunked: bool) -> None:
    """A 2 MB login body is refused with 413 problem+json, whether it declares its length or not."""
    big = b'{"username": "a", "password": "' + b"x" * (2 * 1024 * 1024) + b'"}'

    async def stream() -> object:
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    content = stream() if chunked else big
    r = await api.post("/api/v1/auth/login", content=content, headers={"content-type": "application/json"})  # type: ignore[arg-type]
    assert r.status_code == 413
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "too_large"


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE"])
async def test_a_method_a_path_does_not_take_is_405_with_allow(
    api: httpx.AsyncClient, headers: dict[str, dict[str, str]], method: str
) -> None:
    """405 names the methods the path does take in Allow."""
    r = await api.request(method, "/api/v1/customers", headers=headers["admin"])
    assert r.status_code == 405
    assert r.headers["content-type"].startswith(PROBLEM)
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
