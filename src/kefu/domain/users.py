"""Users who may sign in or call the API, each with one role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from kefu.domain.errors import InvalidInput
from kefu.domain.strength import weak_password_reason
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
    # The bases a supervisor looks after (site ids); empty: all bases (users made before migration 0014).
    sites: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: the authenticated user behind a request or a CLI command.

    ``scopes`` narrows the role's permissions for an API token issued with a scope list (None: all of them).
    """

    user_id: str
    username: str
    role: Role
    scopes: frozenset[str] | None = None


# API tokens live 90 days unless told, and never longer than a year.
API_TOKEN_DAYS = 90
API_TOKEN_MAX_DAYS = 365


@dataclass(slots=True)
class ApiToken:
    """A named, long-lived bearer token of a user, for an integration or a script; revocable one by one."""

    id: str
    user_id: str
    name: str
    scopes: tuple[str, ...] | None  # None: every permission of the user's role
    created_at: datetime
    expires_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


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


def check_password(password: str, *, strict: bool = False, username: str | None = None) -> str:
    """At least 8 characters; ``strict`` (prod) adds the rules of ``kefu.domain.strength``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if strict and (reason := weak_password_reason(password, username)) is not None:
        raise InvalidInput(reason, field="password")
    return password


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A bearer token just issued, with when it stops working and whose it is."""

    access_token: str
    expires_at: datetime
    user: User
    token: ApiToken | None = None  # the record of an API token (None for a session)
