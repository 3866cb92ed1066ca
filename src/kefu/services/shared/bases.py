"""Which base a piece of work belongs to, and the check that a supervisor given bases stays inside them.

The rule (docs/security.md): a conversation or a case belongs to the base of the agent it is assigned to;
until it is assigned, to its customer's home base. A callback belongs to its customer's home base (recorded
on the callback when it was scheduled): each attempt may go to another agent, the appointment stays the
customer's. Work with no base (no agent, a payer unknown to kefu, a customer without a home base) is seen
only by those who look after every base. The store's list queries apply the same rule (``bases=``)."""

from __future__ import annotations

from kefu.domain.errors import Forbidden
from kefu.services.authz import Permission
from kefu.services.context import Context
from kefu.services.shared.users import bases_of


async def work_base(ctx: Context, agent_id: str | None, customer_id: str | None) -> str | None:
    """The base of assigned work (its agent's site) or of unassigned work (its customer's home base)."""
    if agent_id is not None:
        agent = await ctx.uow.agents.get(agent_id)
        return None if agent is None else agent.site
    if customer_id is None:
        return None
    customer = await ctx.uow.customers.get(customer_id)
    return None if customer is None else customer.home_site


async def check_work_base(
    ctx: Context, permission: Permission, what: str, agent_id: str | None, customer_id: str | None
) -> None:
    """403 for a supervisor given bases when the work (a conversation, a case) is of another base."""
    bases = await bases_of(ctx, permission)
    if bases is not None and await work_base(ctx, agent_id, customer_id) not in bases:
        raise Forbidden(f"a supervisor acts on the {what}s of their own bases", permission=permission)


async def check_site(ctx: Context, permission: Permission, what: str, site: str | None) -> None:
    """403 for a supervisor given bases when ``site`` (the base of the thing at hand) is not one of them."""
    bases = await bases_of(ctx, permission)
    if bases is not None and site not in bases:
        raise Forbidden(f"a supervisor acts on the {what}s of their own bases", permission=permission)
