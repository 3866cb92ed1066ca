"""Bearer tokens and password hashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.adapters.security.passwords import Argon2Hasher
from kefu.adapters.security.tokens import JwtTokens
from kefu.domain.clock import FakeClock
from kefu.domain.errors import Unauthenticated
from kefu.domain.users import User
from kefu.services.ports import TokenClaims

NOW = datetime(2026, 1, 5, 19, 30, tzinfo=UTC)  # 03:30 in Beijing
USER = User("u1", "fang", "hash", "agent", NOW, token_version=3)


def test_a_token_names_its_user_and_version() -> None:
    """verify() returns the user id and token version the token was issued with."""
    tokens = JwtTokens("s" * 40, FakeClock(NOW))
    assert tokens.verify(tokens.issue(USER, NOW + timedelta(hours=1), "session")) == TokenClaims(
        "u1", 3, "session"
    )


def test_expired_tampered_and_foreign_tokens_are_refused() -> None:
    """Expiry, a changed payload and another kefu's secret each give Unauthenticated."""
    tokens = JwtTokens("s" * 40, FakeClock(NOW))
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.verify(tokens.issue(USER, NOW - timedelta(seconds=5), "session"))
    good = tokens.issue(USER, NOW + timedelta(hours=1), "session")
    head, body, sig = good.split(".")
    with pytest.raises(Unauthenticated):
        tokens.verify(f"{head}.{body[:-2]}AA.{sig}")
    with pytest.raises(Unauthenticated):
        JwtTokens("o" * 40, FakeClock(NOW)).verify(good)


@pytest.mark.parametrize("years", [-30, 30])
def test_expiry_is_judged_by_the_injected_clock_not_the_machines(years: int) -> None:
    """A token is valid until its ``exp`` by the clock kefu runs on, whatever the machine's clock says."""
    when = NOW.replace(year=NOW.year + years)
    clock = FakeClock(when)
    tokens = JwtTokens("s" * 40, clock)
    token = tokens.issue(USER, when + timedelta(minutes=10), "session")
    assert tokens.verify(token) == TokenClaims("u1", 3, "session")
    clock.advance(10 * 60)
    assert tokens.verify(token) == TokenClaims(
        "u1", 3, "session"
    )  # valid up to and including its last second
    clock.advance(1)
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.verify(token)


def test_passwords_are_argon2id_and_verify_only_the_right_one() -> None:
    """Hashes are argon2id, salted (two hashes differ) and verify only the original password."""
    hasher = Argon2Hasher(fast=True)
    h1, h2 = hasher.hash("correct horse"), hasher.hash("correct horse")
    assert h1.startswith("$argon2id$")
    assert h1 != h2
    assert hasher.verify(h1, "correct horse")
    assert not hasher.verify(h1, "wrong horse")
    assert not hasher.verify("not-a-hash", "correct horse")
