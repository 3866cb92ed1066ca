"""The authorisation matrix, generated from the one permission table (``GRANTS``): every permission for
every role, with and without token scopes, and every permission the services check is in the table."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

import kefu
from kefu.domain.errors import Forbidden
from kefu.domain.users import Actor
from kefu.domain.vocabulary import ROLES
from kefu.services.authz import GRANTS, Permission, allowed, require

MATRIX = [(permission, role) for permission in GRANTS for role in ROLES]
SRC = Path(kefu.__file__).parent


@pytest.mark.parametrize(("permission", "role"), MATRIX, ids=[f"{p}-{r}" for p, r in MATRIX])
def test_each_role_gets_exactly_what_the_table_grants(permission: Permission, role: str) -> None:
    """allowed() and require() agree with GRANTS for this role; a refusal names the permission."""
    actor = Actor("u", "someone", role)  # type: ignore[arg-type]
    granted = role in GRANTS[permission]
    assert allowed(actor, permission) is granted
    if granted:
        require(actor, permission)
    else:
        with pytest.raises(Forbidden) as refused:
            require(actor, permission)
        assert refused.value.fields["permission"] == permission


@pytest.mark.parametrize(("permission", "role"), MATRIX, ids=[f"{p}-{r}" for p, r in MATRIX])
def test_a_scoped_token_never_exceeds_its_role_or_its_scopes(permission: Permission, role: str) -> None:
    """With scopes, a permission needs both the role's grant and the scope; without the scope, never."""
    granted = role in GRANTS[permission]
    with_scope = Actor("u", "someone", role, frozenset({permission}))  # type: ignore[arg-type]
    without = Actor("u", "someone", role, frozenset(p for p in GRANTS if p != permission))  # type: ignore[arg-type]
    assert allowed(with_scope, permission) is granted
    assert allowed(without, permission) is False


def test_the_table_covers_every_permission_and_every_check_names_one() -> None:
    """Every declared permission has a row; every require()/allowed() in the code names a declared one."""
    declared = set(get_args(Permission))
    assert set(GRANTS) == declared
    checked: set[str] = set()
    for path in SRC.rglob("*.py"):
        checked |= set(
            re.findall(r"(?:require|allowed)\(\s*[\w.]+,\s*\"([a-z_]+\.[a-z_]+)\"", path.read_text())
        )
    assert checked, "no checks found: the pattern is out of date"
    assert checked <= declared, checked - declared
