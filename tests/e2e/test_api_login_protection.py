"""Sign-in protection over HTTP: throttling per account and per address, lockout, audit of every attempt."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from kefu.bootstrap import Kefu
from tests.conftest import TEST_PASSWORD, make_user

LOGIN = "/api/v1/auth/login"


async def _audit(kefu: Kefu, action: str) -> list[tuple[str, str, str]]:
    assert kefu.engine is not None
    async with kefu.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT actor, subject_id, CAST(detail AS TEXT) FROM audit_log WHERE action = :a ORDER BY id"
            ),
            {"a": action},
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def test_thirty_wrong_passwords_lock_the_account_even_for_the_right_one(
    api: httpx.AsyncClient, kefu: Kefu
) -> None:
    """After repeated failures the right password is refused with 429 and Retry-After while locked."""
    await make_user(kefu, "lin.fang", "agent")
    statuses = [
        (await api.post(LOGIN, json={"username": "lin.fang", "password": f"guess-{i}"})).status_code
        for i in range(30)
    ]
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}
    r = await api.post(LOGIN, json={"username": "lin.fang", "password": TEST_PASSWORD})
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "too_many_requests"
    assert int(r.headers["retry-after"]) >= 1
    assert "access_token" not in r.json()


async def test_an_unknown_account_is_throttled_like_a_real_one(api: httpx.AsyncClient) -> None:
    """Lockout does not reveal which usernames exist: unknown names lock out after as many failures."""
    statuses = [
        (await api.post(LOGIN, json={"username": "nobody", "password": "x"})).status_code for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]


async def test_one_address_guessing_many_accounts_is_throttled(api: httpx.AsyncClient, kefu: Kefu) -> None:
    """A client address that keeps failing across accounts is refused, even for a fresh account."""
    await make_user(kefu, "wang.wu", "agent")
    for i in range(20):
        r = await api.post(LOGIN, json={"username": f"user-{i}", "password": "wrong"})
        assert r.status_code == 401
    r = await api.post(LOGIN, json={"username": "wang.wu", "password": TEST_PASSWORD})
    assert r.status_code == 429


async def test_a_successful_login_clears_the_account_count(api: httpx.AsyncClient, kefu: Kefu) -> None:
    """A user who mistypes a few times and then signs in starts afresh."""
    await make_user(kefu, "lin.fang", "agent")
    for _ in range(2):
        for _ in range(4):
            assert (
                await api.post(LOGIN, json={"username": "lin.fang", "password": "typo"})
            ).status_code == 401
        r = await api.post(LOGIN, json={"username": "lin.fang", "password": TEST_PASSWORD})
        assert r.status_code == 200


async def test_failed_and_successful_logins_are_audited_without_the_password(
    api: httpx.AsyncClient, kefu: Kefu
) -> None:
    """Each attempt leaves an audit entry with the account and client, never the password typed."""
    await make_user(kefu, "lin.fang", "agent")
    await api.post(LOGIN, json={"username": "lin.fang", "password": "Wrong-Horse-7"})
    await api.post(LOGIN, json={"username": "Hunter2-Secret!", "password": "x"})
    await api.post(LOGIN, json={"username": "lin.fang", "password": TEST_PASSWORD})
    failed = await _audit(kefu, "login.failed")
    succeeded = await _audit(kefu, "login.succeeded")
    assert [actor for actor, _, _ in failed] == ["anonymous", "anonymous"]
    assert '"username": "lin.fang"' in failed[0][2].replace('":"', '": "')
    assert "Hunter2" not in failed[1][2] and "hunter2" not in failed[1][2]
    assert [actor for actor, _, _ in succeeded] == ["lin.fang"]
    everything = " ".join(d for _, _, d in failed + succeeded)
    assert "Wrong-Horse-7" not in everything
    assert TEST_PASSWORD not in everything
