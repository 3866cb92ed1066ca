"""Who may do what: one table of permissions by role, checked by the services (not by the routes).

``GRANTS`` gives a permission to a role over everything; ``OWN`` gives it to a role only over its own work
(an intervention case offered or assigned to that agent): the service says whether the actor owns the thing,
and ``require(actor, permission, owns=...)`` decides from both tables."""

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
    "conversations.note",
    "conversations.read_notes",
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
    "payments.read",
    "payments.label",
    "labels.export",
    "payments.specialist",
    "cases.read",
    "cases.reveal",
    "cases.work",
    "cases.approve_release",
    "rules.read",
    "rules.write",
    "payees.report",
    "payees.trust",
    "watchlist.manage",
    "fraud.stats",
    "kb.read",
    "canned.read",
    "canned.write",
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
    # Internal notes in the thread: written by the staff who work conversations, read by staff only (the
    # customer's side never sees them).
    "conversations.note": frozenset({"supervisor", "agent"}),
    "conversations.read_notes": STAFF,
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
    # The gateway follows its own payments (status, case reference; see OWN); supervisors look one up for
    # a customer.
    "payments.read": MANAGERS,
    # Later evidence about a payment (chargebacks, police reports): supervisors, and the payments side on
    # its own payments (see OWN).
    "payments.label": frozenset({"supervisor"}),
    # Labelled payments leave in bulk only through the command line (a model trainer's input).
    "labels.export": frozenset({"admin"}),
    # The customer's side passes on "联系反诈专员" pressed in the app (a warning or a hold), only for its
    # own payments (see OWN).
    "payments.specialist": frozenset(),
    "cases.read": STAFF,
    # Case actions (contact attempts, resolving, asking to release): supervisors on any case, an agent only
    # on the case offered or assigned to them (see OWN). A large release needs a supervisor's approval.
    "cases.work": MANAGERS,
    "cases.approve_release": MANAGERS,
    # Full numbers on a case, to call: supervisors, and an agent only on the case offered or assigned to
    # them (see OWN). Each reveal is audited.
    "cases.reveal": frozenset({"supervisor"}),
    "rules.read": ALL,
    "rules.write": frozenset({"admin"}),
    "payees.report": ALL,
    # Trusted payees come only from the customer's own confirmed request, passed on by the customer's side.
    "payees.trust": frozenset({"integration"}),
    "watchlist.manage": MANAGERS,
    "fraud.stats": STAFF,
    # Care: everyone may search the knowledge base; supervisors curate it. The customer's side
    # (integration) and staff schedule callbacks; only staff make the calls.
    "kb.read": ALL,
    "kb.write": MANAGERS,
    # Canned responses: staff insert them into replies; supervisors and admins keep the list.
    "canned.read": STAFF,
    "canned.write": MANAGERS,
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


# Permissions a role holds only over its own work: the service passes ``owns`` for the thing at hand. An
# agent's own work is the case offered or assigned to it; an integration's own payments are those it
# screened (``ScreeningRecord.screened_for``), and another integration's payment is 404, not 403.
OWN: dict[Permission, frozenset[Role]] = {
    "cases.work": frozenset({"agent"}),
    "cases.reveal": frozenset({"agent"}),
    "payments.read": frozenset({"integration"}),
    "payments.label": frozenset({"integration"}),
    "payments.specialist": frozenset({"integration"}),
}


# Permissions a role holds only over the bases it looks after (``User.sites``; none recorded: every base).
# Lists hold that role's bases only; one thing of another base is 403.
BASES: dict[Permission, frozenset[Role]] = {
    "customers.read": frozenset({"supervisor"}),
    "agents.read": frozenset({"supervisor"}),
    "agents.presence_any": frozenset({"supervisor"}),
    # Assigning by hand: to an agent of the supervisor's bases.
    "conversations.assign": frozenset({"supervisor"}),
}


def by_base(actor: Actor, permission: Permission) -> bool:
    """Whether the actor holds ``permission`` only over its own bases (the service checks the base)."""
    return actor.role in BASES.get(permission, frozenset())


def allowed(actor: Actor, permission: Permission, owns: bool = False) -> bool:
    """The role grants it (or grants it over its own work, and ``owns``) and, for an API token issued
    with scopes, the scopes include it."""
    by_role = actor.role in GRANTS[permission] or (owns and actor.role in OWN.get(permission, frozenset()))
    return by_role and (actor.scopes is None or permission in actor.scopes)


def owned_only(actor: Actor, permission: Permission) -> bool:
    """Whether the actor holds ``permission`` only over their own work (the service must check ownership)."""
    return actor.role not in GRANTS[permission] and actor.role in OWN.get(permission, frozenset())


def require_some(actor: Actor, permission: Permission) -> None:
    """Refuse (403) a role holding ``permission`` neither over everything nor over its own work, or a token
    whose scopes leave it out, before anything is read; ownership is checked on the thing itself."""
    require(actor, permission, owns=owned_only(actor, permission))


def require(actor: Actor, permission: Permission, owns: bool = False) -> None:
    if not allowed(actor, permission, owns):
        if actor.scopes is not None and permission not in actor.scopes:
            raise Forbidden(f"this token's scopes do not include {permission}", permission=permission)
        mine = " other than their own" if actor.role in OWN.get(permission, frozenset()) else ""
        raise Forbidden(
            f"role {actor.role!r} may not {permission.replace('.', ': ')}{mine}", permission=permission
        )
