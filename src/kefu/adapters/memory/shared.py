"""In-memory repositories shared by every job: users, sites, customers, agents, conversations, audit log."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from kefu.adapters.memory.store import MemorySession
from kefu.domain.agents import Agent
from kefu.domain.audit import GENESIS, AuditEntry, Checkpoint, chained
from kefu.domain.conversations import Conversation, Message
from kefu.domain.customers import Customer
from kefu.domain.sites import Site
from kefu.domain.users import ApiToken, User
from kefu.domain.vocabulary import ConversationStatus
from kefu.services.ports import AuditFilter

T = TypeVar("T")


def clone(value: T) -> T:
    """A private copy: what goes into the store and what comes out of it are never the caller's objects."""
    return copy.deepcopy(value)


def page(rows: Iterable[T], key: Callable[[T], Any], after: str | None, limit: int) -> list[T]:
    """Keyset pagination as the SQL store does it: ``key > after``, ordered by key, at most ``limit``."""
    chosen = [r for r in rows if after is None or key(r) > after]
    chosen.sort(key=key)
    return [clone(r) for r in chosen[: max(limit, 0)]]


def of_bases(
    session: MemorySession, agent_id: str | None, customer_id: str | None, bases: tuple[str, ...]
) -> bool:
    """Work of these bases, by the rule of services/shared/bases.py (as the SQL store's ``of_bases``)."""
    if agent_id is not None:
        agent = session.get("agents", agent_id)
        return agent is not None and agent.site in bases
    customer = None if customer_id is None else session.get("customers", customer_id)
    return customer is not None and customer.home_site in bases


def matches(row: Any, **filters: Any) -> bool:
    """True when every filter that is not None equals the row's attribute of that name."""
    return all(value is None or getattr(row, name) == value for name, value in filters.items())


class MemoryUsers:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, user: User) -> None:
        self._s.insert("users", user.id, clone(user))

    async def get(self, user_id: str) -> User | None:
        return clone(self._s.get("users", user_id))

    async def by_username(self, username: str) -> User | None:
        return next((clone(u) for u in self._s.scan("users") if u.username == username), None)

    async def save(self, user: User) -> None:
        if self._s.get("users", user.id) is not None:
            self._s.update("users", user.id, clone(user))

    async def page(self, after: str | None, limit: int) -> list[User]:
        return page(self._s.scan("users"), lambda u: u.id, after, limit)


class MemoryApiTokens:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, token: ApiToken) -> None:
        self._s.insert("api_tokens", token.id, clone(token))

    async def get(self, token_id: str) -> ApiToken | None:
        return clone(self._s.get("api_tokens", token_id))

    async def save(self, token: ApiToken) -> None:
        if self._s.get("api_tokens", token.id) is not None:
            self._s.update("api_tokens", token.id, clone(token))

    async def page(self, after: str | None, limit: int, user_id: str | None = None) -> list[ApiToken]:
        rows = (t for t in self._s.scan("api_tokens") if matches(t, user_id=user_id))
        return page(rows, lambda t: t.id, after, limit)


class MemorySites:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def list(self) -> list[Site]:
        return sorted((clone(s) for s in self._s.scan("sites")), key=lambda s: s.id)


class MemoryCustomers:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, customer: Customer) -> None:
        self._s.insert("customers", customer.id, clone(customer))

    async def get(self, customer_id: str) -> Customer | None:
        return clone(self._s.get("customers", customer_id))

    async def by_external_id(self, external_id: str) -> Customer | None:
        return next((clone(c) for c in self._s.scan("customers") if c.external_id == external_id), None)

    async def save(self, customer: Customer) -> None:
        if self._s.get("customers", customer.id) is not None:
            self._s.update("customers", customer.id, clone(customer))

    async def page(
        self,
        after: str | None,
        limit: int,
        home_site: str | None = None,
        integration: str | None = None,
        home_sites: tuple[str, ...] | None = None,
    ) -> list[Customer]:
        rows = (
            c
            for c in self._s.scan("customers")
            if matches(c, home_site=home_site)
            and (integration is None or c.registered_by in (None, integration))
            and (home_sites is None or c.home_site in home_sites)
        )
        return page(rows, lambda c: c.id, after, limit)

    async def search(
        self,
        text: str,
        limit: int,
        home_site: str | None = None,
        home_sites: tuple[str, ...] | None = None,
    ) -> list[Customer]:
        needle = text.lower()
        rows = [
            c
            for c in self._s.scan("customers")
            if matches(c, home_site=home_site)
            and (home_sites is None or c.home_site in home_sites)
            and (
                needle in c.name.lower()
                or needle in c.external_id.lower()
                or (last_four(text) and (c.phone or "").endswith(text))
            )
        ]
        rows.sort(key=lambda c: c.id, reverse=True)
        return [clone(c) for c in rows[: max(limit, 0)]]


def last_four(text: str) -> bool:
    """A search for the last four digits of a phone (all a masked phone shows)."""
    return len(text) == 4 and text.isascii() and text.isdigit()


class MemoryAgents:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, agent: Agent) -> None:
        self._s.insert("agents", agent.id, clone(agent))

    async def get(self, agent_id: str) -> Agent | None:
        return clone(self._s.get("agents", agent_id))

    async def by_user_id(self, user_id: str) -> Agent | None:
        return next((clone(a) for a in self._s.scan("agents") if a.user_id == user_id), None)

    async def save(self, agent: Agent) -> None:
        if self._s.get("agents", agent.id) is not None:
            self._s.update("agents", agent.id, clone(agent))

    async def page(
        self, after: str | None, limit: int, site: str | None = None, sites: tuple[str, ...] | None = None
    ) -> list[Agent]:
        rows = (
            a for a in self._s.scan("agents") if matches(a, site=site) and (sites is None or a.site in sites)
        )
        return page(rows, lambda a: a.id, after, limit)


def _bare(conversation: Conversation) -> Conversation:
    """The stored part of a conversation: messages live in their own table, care guidance is never stored."""
    return dataclasses.replace(clone(conversation), messages=[], care_guidance=[])


class MemoryConversations:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, conversation: Conversation) -> None:
        self._s.insert("conversations", conversation.id, _bare(conversation))
        for message in conversation.messages:
            await self.add_message(message)

    async def get(self, conversation_id: str, with_messages: bool = True) -> Conversation | None:
        row = self._s.get("conversations", conversation_id)
        if row is None:
            return None
        out: Conversation = clone(row)
        if with_messages:
            messages = (m for m in self._s.scan("messages") if m.conversation_id == conversation_id)
            out.messages = sorted(messages, key=lambda m: m.id)
        return out

    async def save(self, conversation: Conversation) -> None:
        if self._s.get("conversations", conversation.id) is not None:
            self._s.update("conversations", conversation.id, _bare(conversation))

    async def add_message(self, message: Message) -> None:
        self._s.insert("messages", message.id, clone(message))

    async def page(
        self,
        after: str | None,
        limit: int,
        status: ConversationStatus | None = None,
        queue: str | None = None,
        customer_id: str | None = None,
        agent_id: str | None = None,
        bases: tuple[str, ...] | None = None,
    ) -> list[Conversation]:
        rows = (
            c
            for c in self._s.scan("conversations")
            if matches(c, status=status, queue=queue, customer_id=customer_id, agent_id=agent_id)
            and (bases is None or of_bases(self._s, c.agent_id, c.customer_id, bases))
        )
        return page(rows, lambda c: c.id, after, limit)

    async def waiting(
        self, queues: tuple[str, ...], limit: int, bases: tuple[str, ...] | None = None
    ) -> list[Conversation]:
        rows = [
            c
            for c in self._s.scan("conversations")
            if c.status == "queued"
            and c.agent_id is None
            and c.queue in queues
            and (bases is None or of_bases(self._s, c.agent_id, c.customer_id, bases))
        ]
        rows.sort(key=lambda c: (-c.priority, c.created_at, c.id))
        return [clone(c) for c in rows[: max(limit, 0)]]

    async def search(
        self,
        text: str,
        limit: int,
        agent_id: str | None = None,
        bases: tuple[str, ...] | None = None,
    ) -> list[Conversation]:
        needle = text.lower()
        rows = [
            c
            for c in self._s.scan("conversations")
            if needle in (c.subject or "").lower()
            and matches(c, agent_id=agent_id)
            and (bases is None or of_bases(self._s, c.agent_id, c.customer_id, bases))
        ]
        rows.sort(key=lambda c: c.id, reverse=True)
        return [clone(c) for c in rows[: max(limit, 0)]]


@dataclasses.dataclass(slots=True)
class AuditHead:
    seq: int
    hash: str


class MemoryAuditLog:
    """Entries wait until ``seal`` (called by the commit, with no await in between) chains them."""

    def __init__(self, session: MemorySession) -> None:
        self._s = session
        self._pending: list[AuditEntry] = []

    async def append(self, entry: AuditEntry) -> None:
        self._pending.append(clone(entry))

    def seal(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        head = self._s.get("audit_head", "main")
        seq, last = (head.seq, head.hash) if head is not None else (0, GENESIS)
        linked = chained(pending, seq, last)
        for e in linked:
            self._s.insert("audit_log", e.id, e)
        moved = AuditHead(linked[-1].seq or 0, linked[-1].hash or GENESIS)
        if head is None:
            self._s.insert("audit_head", "main", moved)
        else:
            self._s.update("audit_head", "main", moved)

    async def page(self, after: str | None, limit: int, where: AuditFilter) -> list[AuditEntry]:
        rows = (
            e
            for e in self._s.scan("audit_log")
            if matches(
                e,
                actor=where.actor,
                action=where.action,
                subject_type=where.subject_type,
                subject_id=where.subject_id,
            )
            and (where.since is None or e.at >= where.since)
            and (where.until is None or e.at < where.until)
        )
        return page(rows, lambda e: e.id, after, limit)

    async def chain(self, after_seq: int, limit: int) -> list[AuditEntry]:
        rows = sorted((e for e in self._s.scan("audit_log") if (e.seq or 0) > after_seq), key=lambda e: e.seq)
        return [clone(e) for e in rows[:limit]]

    async def unchained(self) -> int:
        return sum(1 for e in self._s.scan("audit_log") if e.seq is None)

    async def head(self) -> tuple[int, str]:
        head = self._s.get("audit_head", "main")
        return (0, GENESIS) if head is None else (head.seq, head.hash)

    async def head_before(self, at: datetime) -> tuple[int, str]:
        before = [e for e in self._s.scan("audit_log") if e.seq is not None and e.at < at]
        last = max(before, key=lambda e: e.seq, default=None)
        return (0, GENESIS) if last is None or last.hash is None else (last.seq, last.hash)

    async def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._s.insert("audit_checkpoints", checkpoint.seq, checkpoint)

    async def checkpoints(self) -> list[Checkpoint]:
        return sorted(self._s.scan("audit_checkpoints"), key=lambda c: c.seq)

    async def for_subject(self, subject_type: str, subject_id: str) -> list[AuditEntry]:
        rows = (
            e
            for e in self._s.scan("audit_log")
            if e.subject_type == subject_type and e.subject_id == subject_id
        )
        return sorted((clone(e) for e in rows), key=lambda e: e.id)
