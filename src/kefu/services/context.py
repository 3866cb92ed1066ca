"""What every handler receives: the unit of work, who is acting, the clock and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kefu.config import Settings
from kefu.domain.audit import AuditEntry
from kefu.domain.clock import Clock
from kefu.domain.errors import InvalidInput
from kefu.domain.ids import new_id
from kefu.domain.users import Actor
from kefu.services.knowledge import KnowledgeIndex
from kefu.services.ports import PasswordHasher, TokenIssuer, UnitOfWork


@dataclass(slots=True)
class Context:
    uow: UnitOfWork
    actor: Actor
    clock: Clock
    settings: Settings
    hasher: PasswordHasher
    tokens: TokenIssuer
    # The knowledge base search index of this process (care self-service); shared by every context.
    knowledge: KnowledgeIndex = field(default_factory=KnowledgeIndex)

    def local_today(self, now: datetime | None = None) -> date:
        """Ages are counted on the centre's local calendar day, not UTC's (of ``now``, else of the clock)."""
        return (now or self.clock.now()).astimezone(ZoneInfo(self.settings.local_timezone)).date()

    async def check_site(self, site: str | None, field: str) -> None:
        """A site named in a request must be one of the configured bases (None: no site given)."""
        if site is not None and site not in {s.id for s in await self.uow.sites.list()}:
            raise InvalidInput(f"unknown site {site!r}", field=field)

    async def audit(self, action: str, subject_type: str, subject_id: str, **detail: Any) -> None:
        """Append to the audit log in the current transaction: the entry and the change commit together."""
        await self.uow.audit.append(
            AuditEntry(
                id=new_id(),
                at=self.clock.now(),
                actor=self.actor.username,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                detail=detail,
            )
        )
