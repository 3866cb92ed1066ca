"""Bearer tokens: signed JWTs (HS256 with ``KEFU_SECRET``) naming a user and the token version.

The token carries no role: the role is read from the live user record on every request, so a demoted or
disabled user loses rights at once, and bumping ``token_version`` revokes every token issued before.
An API token also carries ``jti``, the id of its record (name, scopes, revocation); a token of kind
``api`` without a live record is refused.

Expiry is checked against the injected clock, the same one that stamped ``exp`` when the token was
issued, never against the machine's own clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jwt

from kefu.domain.clock import Clock, SystemClock
from kefu.domain.errors import Unauthenticated
from kefu.domain.users import User
from kefu.services.ports import TokenClaims

_ALGORITHM = "HS256"
_AUDIENCE = "kefu"


class TokenExpired(Unauthenticated):
    """A well-signed token whose ``exp`` has passed by the clock that checks it."""


def sign_claims(claims: dict[str, Any], expires_at: datetime, secret: str) -> str:
    """An HS256 JWT carrying ``claims`` and ``exp`` (whole seconds of ``expires_at``)."""
    return jwt.encode({**claims, "exp": int(expires_at.timestamp())}, secret, algorithm=_ALGORITHM)


def read_claims(token: str, secret: str, audience: str, now: datetime, required: list[str]) -> dict[str, Any]:
    """The claims of a token signed with ``secret`` for ``audience`` and not expired at ``now``.

    Raises ``TokenExpired`` when ``exp`` is before ``now`` and ``Unauthenticated`` for anything else
    wrong (signature, audience, a missing claim)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=audience,
            # The library would compare ``exp`` with the machine's clock; we compare with ``now`` below.
            options={"require": ["exp", *required], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise Unauthenticated("token is not valid") from exc
    exp = claims.get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise Unauthenticated("token is not valid")
    if exp < now.timestamp():
        raise TokenExpired("token has expired; sign in again")
    return claims


class JwtTokens:
    def __init__(self, secret: str, clock: Clock | None = None) -> None:
        self._secret = secret
        self._clock: Clock = clock or SystemClock()

    def issue(self, user: User, expires_at: datetime, kind: str, token_id: str | None = None) -> str:
        claims: dict[str, Any] = {"sub": user.id, "ver": user.token_version, "kind": kind, "aud": _AUDIENCE}
        if token_id is not None:
            claims["jti"] = token_id
        return sign_claims(claims, expires_at, self._secret)

    def verify(self, token: str) -> TokenClaims:
        claims = read_claims(token, self._secret, _AUDIENCE, self._clock.now(), ["sub", "ver"])
        sub, ver, kind, jti = claims.get("sub"), claims.get("ver"), claims.get("kind"), claims.get("jti")
        if (
            not isinstance(sub, str)
            or not isinstance(ver, int)
            or isinstance(ver, bool)
            or kind not in ("session", "api")
            or not (jti is None or isinstance(jti, str))
        ):
            raise Unauthenticated("token is not valid")
        return TokenClaims(sub, ver, kind, jti)
