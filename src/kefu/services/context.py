"""What every handler receives: the unit of work, who is acting, the clock and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kefu.config import Settings
from kefu.domain.audit import AuditEntry
from kefu.domain.clock import Clock
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
