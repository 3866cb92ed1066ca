"""The permission table."""

from __future__ import annotations

import pytest

from kefu.domain.errors import Forbidden
from kefu.domain.users import Actor
from kefu.services.authz import BASES, GRANTS, OWN, allowed, by_base, owned_only, require, require_some


def actor(role: str) -> Actor:
    return Actor("u", role, role)  # type: ignore[arg-type]


def test_every_permission_is_held_by_an_admin_or_an_integration() -> None:
    """No permission is unreachable: someone can do every thing kefu offers."""
    for permission, roles in GRANTS.items():
        assert roles | OWN.get(permission, frozenset()), permission


@pytest.mark.parametrize(
    ("role", "permission", "expected"),
    [
        ("agent", "customers.read_unmasked", False),
        ("supervisor", "customers.read_unmasked", True),
        ("agent", "agents.write", False),
        ("integration", "conversations.post_customer", True),
        ("agent", "conversations.post_customer", False),
        ("admin", "conversations.post_agent", False),
        ("supervisor", "users.manage", False),
        ("admin", "users.manage", True),
    ],
)
def test_roles_get_what_their_work_needs(role: str, permission: str, expected: bool) -> None:
    """Agents cannot see full phone numbers or manage staff; only admins manage users."""
    assert allowed(actor(role), permission) is expected  # type: ignore[arg-type]


def test_require_raises_forbidden_naming_the_role() -> None:
    """A refused action is a 403 whose message names the role."""
    with pytest.raises(Forbidden) as err:
        require(actor("agent"), "users.manage")
    assert err.value.status == 403
    assert "agent" in err.value.detail


@pytest.mark.parametrize(
    ("role", "owns", "expected"),
    [
        ("agent", False, False),
        ("agent", True, True),
        ("supervisor", False, True),
        ("admin", False, True),
        ("integration", True, False),
    ],
)
def test_case_work_is_a_supervisors_or_the_owning_agents(role: str, owns: bool, expected: bool) -> None:
    """cases.work: supervisors and admins on any case, an agent only on their own, the gateway never."""
    assert allowed(actor(role), "cases.work", owns=owns) is expected  # type: ignore[arg-type]
    assert owned_only(actor(role), "cases.work") is (role == "agent")  # type: ignore[arg-type]


def test_a_refusal_over_others_work_says_so() -> None:
    """An agent refused a case that is not theirs is told it is about others' work."""
    with pytest.raises(Forbidden) as err:
        require(actor("agent"), "cases.work")
    assert "other than their own" in err.value.detail


@pytest.mark.parametrize("permission", ["payments.read", "payments.label", "payments.specialist"])
def test_an_integration_follows_only_its_own_payments(permission: str) -> None:
    """An integration holds the payment permissions only over payments it screened; supervisors read any."""
    integration = actor("integration")
    assert owned_only(integration, permission) is True  # type: ignore[arg-type]
    assert allowed(integration, permission, owns=True) is True  # type: ignore[arg-type]
    assert allowed(integration, permission, owns=False) is False  # type: ignore[arg-type]
    require_some(integration, permission)  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        require_some(actor("agent"), permission)  # type: ignore[arg-type]
    scoped = Actor("u", "gw", "integration", frozenset({"payments.screen"}))
    with pytest.raises(Forbidden):
        require_some(scoped, permission)  # type: ignore[arg-type]
    assert allowed(actor("supervisor"), "payments.read") is True


def test_supervisors_read_customers_of_their_bases_only() -> None:
    """The base table narrows a permission the role already holds; admins are never narrowed."""
    assert by_base(actor("supervisor"), "customers.read") is True
    assert by_base(actor("admin"), "customers.read") is False
    for permission, roles in BASES.items():
        assert roles <= GRANTS[permission] | OWN.get(permission, frozenset()), permission
