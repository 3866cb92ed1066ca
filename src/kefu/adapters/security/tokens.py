"""Bearer tokens: signed JWTs (HS256 with ``KEFU_SECRET``) naming a user and the token version.

The token carries no role: the role is read from the live user record on every request, so a demoted or
disabled user loses rights at once, and bumping ``token_version`` revokes every token issued before.
"""

from __future__ import annotations

from datetime import datetime

import jwt

from kefu.domain.errors import Unauthenticated
from kefu.domain.users import User

_ALGORITHM = "HS256"
_AUDIENCE = "kefu"


class JwtTokens:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def issue(self, user: User, expires_at: datetime, kind: str) -> str:
        claims = {
            "sub": user.id,
            "ver": user.token_version,
            "kind": kind,
            "aud": _AUDIENCE,
            "exp": int(expires_at.timestamp()),
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str) -> tuple[str, int]:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                audience=_AUDIENCE,
                options={"require": ["sub", "exp", "ver"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token has expired; sign in again") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("token is not valid") from exc
        sub, ver = claims.get("sub"), claims.get("ver")
        if not isinstance(sub, str) or not isinstance(ver, int):
            raise Unauthenticated("token is not valid")
        return sub, ver
