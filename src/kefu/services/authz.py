"""Who may do what: one table of permissions by role, checked by the services (not by the routes)."""

from __future__ import annotations

from typing import Literal

from kefu.domain.errors import Forbidden
from kefu.domain.users import Actor
from kefu.domain.vocabulary import Role

Permission = Literal[
    "users.manage",
    "sites.read",
    "customers.read",
    "customers.write",
    "customers.read_unmasked",
    "agents.read",
    "agents.write",
    "agents.presence_any",
    "conversations.read",
    "conversations.open",
    "conversations.post_customer",
    "conversations.post_agent",
    "conversations.assign",
    "conversations.resolve",
    "conversations.close",
    "conversations.abandon",
    "audit.read",
    "audit.verify",
    "queues.read",
    "queues.write",
    "queues.stats",
    "offers.read_any",
    "payments.screen",
    "cases.read",
    "cases.work",
    "rules.read",
    "rules.write",
    "payees.report",
    "fraud.stats",
    "kb.read",
    "kb.write",
    "callbacks.read",
    "callbacks.write",
    "callbacks.attempt",
    "quality.feedback",
    "quality.read",
    "complaints.file",
    "complaints.read",
    "complaints.handle",
    "reports.read",
    "reports.scorecard",
    "reports.rollup",
]

ALL: frozenset[Role] = frozenset({"admin", "supervisor", "agent", "integration"})
STAFF: frozenset[Role] = frozenset({"admin", "supervisor", "agent"})
MANAGERS: frozenset[Role] = frozenset({"admin", "supervisor"})

GRANTS: dict[Permission, frozenset[Role]] = {
    "users.manage": frozenset({"admin"}),
    "sites.read": ALL,
    "customers.read": ALL,
    "customers.write": frozenset({"admin", "supervisor", "integration"}),
    # Agents see a masked phone: they talk to the customer through kefu and never need to dial by hand.
    "customers.read_unmasked": frozenset({"admin", "supervisor", "integration"}),
    "agents.read": STAFF,
    "agents.write": MANAGERS,
    "agents.presence_any": MANAGERS,
    "conversations.read": ALL,
    "conversations.open": frozenset({"admin", "supervisor", "integration"}),
    "conversations.post_customer": frozenset({"integration"}),
    "conversations.post_agent": frozenset({"supervisor", "agent"}),
    "conversations.assign": MANAGERS,
    "conversations.resolve": frozenset({"admin", "supervisor", "agent"}),
    "conversations.close": frozenset({"admin", "supervisor", "agent", "integration"}),
    "conversations.abandon": frozenset({"admin", "supervisor", "integration"}),
    "audit.read": MANAGERS,
    "audit.verify": frozenset({"admin"}),
    "queues.read": STAFF,
    "queues.write": MANAGERS,
    "queues.stats": STAFF,
    # Agents read and answer their own offers; supervisors may look at anyone's.
    "offers.read_any": MANAGERS,
    # Anti-fraud desk: the payments side screens; specialists (agents with anti_fraud) work cases.
    "payments.screen": frozenset({"admin", "integration"}),
    "cases.read": STAFF,
    "cases.work": STAFF,
    "rules.read": ALL,
    "rules.write": frozenset({"admin"}),
    "payees.report": ALL,
    "fraud.stats": STAFF,
    # Care: everyone may search the knowledge base; supervisors curate it. The customer's side
    # (integration) and staff schedule callbacks; only staff make the calls.
    "kb.read": ALL,
    "kb.write": MANAGERS,
    "callbacks.read": ALL,
    "callbacks.write": ALL,
    "callbacks.attempt": STAFF,
    # Quality: the customer's side (integration) and supervisors record CSAT and commendations (锦旗);
    # anyone may take down a complaint, supervisors work it. Agents see their own scorecard only.
    "quality.feedback": frozenset({"admin", "supervisor", "integration"}),
    "quality.read": STAFF,
    "complaints.file": ALL,
    "complaints.read": MANAGERS,
    "complaints.handle": MANAGERS,
    "reports.read": MANAGERS,
    "reports.scorecard": STAFF,
    "reports.rollup": frozenset({"admin"}),
}


def allowed(actor: Actor, permission: Permission) -> bool:
    """The role grants it and, for an API token issued with scopes, the scopes include it."""
    return actor.role in GRANTS[permission] and (actor.scopes is None or permission in actor.scopes)


def require(actor: Actor, permission: Permission) -> None:
    if not allowed(actor, permission):
        who = "this token's scopes" if actor.role in GRANTS[permission] else f"role {actor.role!r}"
        raise Forbidden(f"{who} may not {permission.replace('.', ': ')}", permission=permission)
