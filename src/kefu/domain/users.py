"""Users who may sign in or call the API, each with one role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from kefu.domain.errors import InvalidInput
from kefu.domain.vocabulary import ROLES, Role

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{1,62}$")
MIN_PASSWORD_LENGTH = 8


@dataclass(slots=True)
class User:
    id: str
    username: str
    password_hash: str
    role: Role
    created_at: datetime
    active: bool = True
    # Bumped to revoke every token issued before; tokens carry the version they were issued at.
    token_version: int = 1


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: the authenticated user behind a request or a CLI command."""

    user_id: str
    username: str
    role: Role


SYSTEM_ACTOR = Actor(user_id="system", username="system", role="admin")


def check_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise InvalidInput(
            "username must be 2-63 characters of lower-case letters, digits, '.', '_' or '-'",
            field="username",
        )
    return username


def check_role(role: str) -> Role:
    if role in ROLES:
        return cast(Role, role)
    raise InvalidInput(f"unknown role {role!r}; roles are {', '.join(ROLES)}", field="role")


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password")
    return password


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A bearer token just issued, with when it stops working and whose it is."""

    access_token: str
    expires_at: datetime
    user: User
