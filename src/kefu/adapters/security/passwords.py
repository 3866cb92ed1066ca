"""argon2id password hashing (the OWASP-recommended default)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2Hasher:
    def __init__(self, fast: bool = False) -> None:
        # ``fast`` lowers the cost for test suites only; production uses the library's tuned defaults.
        self._ph = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1) if fast else PasswordHasher()
        # An unknown user is checked against this hash of a random password, so that sign-in costs the same
        # whether the username exists or not (no user enumeration by timing).
        self._dummy = self._ph.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            self._ph.verify(password_hash or self._dummy, password)  # True, or raises on a mismatch
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return password_hash is not None
