"""SQLAlchemy repositories: each loads and saves one aggregate through the unit of work's session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.adapters.store import mapping as m
from kefu.adapters.store.tables import (
    AgentRow,
    ApiTokenRow,
    AuditCheckpointRow,
    AuditHeadRow,
    AuditRow,
    ConversationRow,
    CustomerRow,
    MessageRow,
    SiteRow,
    UserRow,
)
from kefu.domain.agents import Agent
from kefu.domain.audit import GENESIS, AuditEntry, Checkpoint, chained
from kefu.domain.conversations import Conversation, Message
from kefu.domain.customers import Customer
from kefu.domain.sites import Site
from kefu.domain.users import ApiToken, User
from kefu.domain.vocabulary import ConversationStatus
from kefu.services.ports import AuditFilter

CHAIN = "main"  # the one audit chain (the head table could hold several, e.g. one per partition)


def _after(stmt: Select[Any], column: Any, after: str | None, limit: int) -> Select[Any]:
    """Keyset pagination on a time-ordered id: stable under inserts, and flat cost however deep."""
    if after is not None:
        stmt = stmt.where(column > after)
    return stmt.order_by(column).limit(limit)


def contains(column: Any, text: str) -> Any:
    """``column`` contains ``text``, case-insensitive, with LIKE's wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def last_four(text: str) -> bool:
    """A search for the last four digits of a phone (all a masked phone shows)."""
    return len(text) == 4 and text.isascii() and text.isdigit()


def of_bases(agent_id: Any, customer_id: Any, bases: tuple[str, ...]) -> Any:
    """Work of these bases (services/shared/bases.py): assigned to an agent of them, or unassigned with a
    customer whose home base is one of them. Two indexed sub-selects, so a page stays one query."""
    return or_(
        agent_id.in_(select(AgentRow.id).where(AgentRow.site.in_(bases))),
        and_(
            agent_id.is_(None),
            customer_id.in_(select(CustomerRow.id).where(CustomerRow.home_site.in_(bases))),
        ),
    )


class SqlUsers:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, user: User) -> None:
        self._s.add(m.user_to_row(user, UserRow()))

    async def get(self, user_id: str) -> User | None:
        row = await self._s.get(UserRow, user_id)
        return None if row is None else m.user_from_row(row)

    async def by_username(self, username: str) -> User | None:
        row = (await self._s.execute(select(UserRow).where(UserRow.username == username))).scalar()
        return None if row is None else m.user_from_row(row)

    async def save(self, user: User) -> None:
        row = await self._s.get(UserRow, user.id)
        m.user_to_row(user, row or UserRow())

    async def page(self, after: str | None, limit: int) -> list[User]:
        rows = (await self._s.execute(_after(select(UserRow), UserRow.id, after, limit))).scalars()
        return [m.user_from_row(r) for r in rows]


class SqlApiTokens:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, token: ApiToken) -> None:
        self._s.add(m.api_token_to_row(token, ApiTokenRow()))

    async def get(self, token_id: str) -> ApiToken | None:
        row = await self._s.get(ApiTokenRow, token_id)
        return None if row is None else m.api_token_from_row(row)

    async def save(self, token: ApiToken) -> None:
        row = await self._s.get(ApiTokenRow, token.id)
        if row is not None:
            m.api_token_to_row(token, row)

    async def page(self, after: str | None, limit: int, user_id: str | None = None) -> list[ApiToken]:
        stmt = select(ApiTokenRow)
        if user_id is not None:
            stmt = stmt.where(ApiTokenRow.user_id == user_id)
        rows = (await self._s.execute(_after(stmt, ApiTokenRow.id, after, limit))).scalars()
        return [m.api_token_from_row(r) for r in rows]


class SqlSites:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def list(self) -> list[Site]:
        rows = (await self._s.execute(select(SiteRow).order_by(SiteRow.id))).scalars()
        return [Site(r.id, r.name, r.name_zh, r.timezone) for r in rows]


class SqlCustomers:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, customer: Customer) -> None:
        self._s.add(m.customer_to_row(customer, CustomerRow()))

    async def get(self, customer_id: str) -> Customer | None:
        row = await self._s.get(CustomerRow, customer_id)
        return None if row is None else m.customer_from_row(row)

    async def by_external_id(self, external_id: str) -> Customer | None:
        stmt = select(CustomerRow).where(CustomerRow.external_id == external_id)
        row = (await self._s.execute(stmt)).scalar()
        return None if row is None else m.customer_from_row(row)

    async def save(self, customer: Customer) -> None:
        row = await self._s.get(CustomerRow, customer.id)
        if row is not None:
            m.customer_to_row(customer, row)

    async def page(
        self,
        after: str | None,
        limit: int,
        home_site: str | None = None,
        integration: str | None = None,
        home_sites: tuple[str, ...] | None = None,
    ) -> list[Customer]:
        base = select(CustomerRow)
        if home_site is not None:
            base = base.where(CustomerRow.home_site == home_site)
        if home_sites is not None:
            base = base.where(CustomerRow.home_site.in_(home_sites))
        if integration is not None:
            base = base.where(
                or_(CustomerRow.registered_by.is_(None), CustomerRow.registered_by == integration)
            )
        stmt = _after(base, CustomerRow.id, after, limit)
        return [m.customer_from_row(r) for r in (await self._s.execute(stmt)).scalars()]

    async def search(
        self,
        text: str,
        limit: int,
        home_site: str | None = None,
        home_sites: tuple[str, ...] | None = None,
    ) -> list[Customer]:
        found = [contains(CustomerRow.name, text), contains(CustomerRow.external_id, text)]
        if last_four(text):
            found.append(CustomerRow.phone.like(f"%{text}"))
        stmt = select(CustomerRow).where(or_(*found))
        if home_site is not None:
            stmt = stmt.where(CustomerRow.home_site == home_site)
        if home_sites is not None:
            stmt = stmt.where(CustomerRow.home_site.in_(home_sites))
        stmt = stmt.order_by(CustomerRow.id.desc()).limit(limit)
        return [m.customer_from_row(r) for r in (await self._s.execute(stmt)).scalars()]


class SqlAgents:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, agent: Agent) -> None:
        self._s.add(m.agent_to_row(agent, AgentRow()))

    async def get(self, agent_id: str) -> Agent | None:
        row = await self._s.get(AgentRow, agent_id)
        return None if row is None else m.agent_from_row(row)

    async def by_user_id(self, user_id: str) -> Agent | None:
        row = (await self._s.execute(select(AgentRow).where(AgentRow.user_id == user_id))).scalar()
        return None if row is None else m.agent_from_row(row)

    async def save(self, agent: Agent) -> None:
        row = await self._s.get(AgentRow, agent.id)
        if row is not None:
            m.agent_to_row(agent, row)

    async def page(
        self, after: str | None, limit: int, site: str | None = None, sites: tuple[str, ...] | None = None
    ) -> list[Agent]:
        stmt = select(AgentRow)
        if site is not None:
            stmt = stmt.where(AgentRow.site == site)
        if sites is not None:
            stmt = stmt.where(AgentRow.site.in_(sites))
        stmt = _after(stmt, AgentRow.id, after, limit)
        return [m.agent_from_row(r) for r in (await self._s.execute(stmt)).scalars()]


class SqlConversations:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        # The rows read in this unit of work, held so the session's identity map keeps them: ``save`` then
        # updates the row as it was read, and its version check refuses a change committed since the read
        # (without this, ``save`` would load the row afresh and silently undo the other change).
        self._held: dict[str, ConversationRow] = {}

    async def add(self, conversation: Conversation) -> None:
        self._s.add(m.conversation_to_row(conversation, ConversationRow()))
        for message in conversation.messages:
            self._s.add(m.message_to_row(message))

    async def get(self, conversation_id: str, with_messages: bool = True) -> Conversation | None:
        row = await self._s.get(ConversationRow, conversation_id)
        if row is None:
            return None
        self._held[row.id] = row
        messages: list[Message] = []
        if with_messages:
            stmt = (
                select(MessageRow)
                .where(MessageRow.conversation_id == conversation_id)
                .order_by(MessageRow.id)
            )
            messages = [m.message_from_row(r) for r in (await self._s.execute(stmt)).scalars()]
        return m.conversation_from_row(row, messages)

    async def save(self, conversation: Conversation) -> None:
        row = await self._s.get(ConversationRow, conversation.id)
        if row is not None:
            m.conversation_to_row(conversation, row)

    async def add_message(self, message: Message) -> None:
        self._s.add(m.message_to_row(message))

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
        stmt = select(ConversationRow)
        if bases is not None:
            stmt = stmt.where(of_bases(ConversationRow.agent_id, ConversationRow.customer_id, bases))
        filters = {
            ConversationRow.status: status,
            ConversationRow.queue: queue,
            ConversationRow.customer_id: customer_id,
            ConversationRow.agent_id: agent_id,
        }
        for column, value in filters.items():
            if value is not None:
                stmt = stmt.where(column == value)
        stmt = _after(stmt, ConversationRow.id, after, limit)
        return [m.conversation_from_row(r) for r in (await self._s.execute(stmt)).scalars()]

    async def waiting(
        self, queues: tuple[str, ...], limit: int, bases: tuple[str, ...] | None = None
    ) -> list[Conversation]:
        stmt = select(ConversationRow).where(
            ConversationRow.status == "queued",
            ConversationRow.agent_id.is_(None),
            ConversationRow.queue.in_(queues),
        )
        if bases is not None:
            stmt = stmt.where(of_bases(ConversationRow.agent_id, ConversationRow.customer_id, bases))
        stmt = stmt.order_by(
            ConversationRow.priority.desc(), ConversationRow.created_at, ConversationRow.id
        ).limit(limit)
        return [m.conversation_from_row(r) for r in (await self._s.execute(stmt)).scalars()]

    async def search(
        self,
        text: str,
        limit: int,
        agent_id: str | None = None,
        bases: tuple[str, ...] | None = None,
    ) -> list[Conversation]:
        stmt = select(ConversationRow).where(contains(ConversationRow.subject, text))
        if agent_id is not None:
            stmt = stmt.where(ConversationRow.agent_id == agent_id)
        if bases is not None:
            stmt = stmt.where(of_bases(ConversationRow.agent_id, ConversationRow.customer_id, bases))
        stmt = stmt.order_by(ConversationRow.id.desc()).limit(limit)
        return [m.conversation_from_row(r) for r in (await self._s.execute(stmt)).scalars()]


class SqlAuditLog:
    """Entries wait in the unit of work until ``seal`` (called by its commit) links them to the chain."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self._pending: list[AuditEntry] = []

    async def append(self, entry: AuditEntry) -> None:
        self._pending.append(entry)

    async def seal(self) -> None:
        """Chain the pending entries after the head. Moving the head first takes its row lock (and, on
        SQLite, the write lock), so concurrent commits chain one after another; it is held only until
        this commit, which follows at once."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        head = AuditHeadRow
        moved = await self._s.execute(
            update(head)
            .where(head.chain == CHAIN)
            .values(seq=head.seq + len(pending))
            .returning(head.seq, head.hash)
            .execution_options(synchronize_session=False)
        )
        last_seq, last_hash = moved.one()
        linked = chained(pending, last_seq - len(pending), last_hash)
        self._s.add_all([m.audit_to_row(e) for e in linked])
        await self._s.execute(
            update(head)
            .where(head.chain == CHAIN)
            .values(hash=linked[-1].hash)
            .execution_options(synchronize_session=False)
        )

    async def page(self, after: str | None, limit: int, where: AuditFilter) -> list[AuditEntry]:
        stmt = select(AuditRow)
        for column, value in (
            (AuditRow.actor, where.actor),
            (AuditRow.action, where.action),
            (AuditRow.subject_type, where.subject_type),
            (AuditRow.subject_id, where.subject_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if where.since is not None:
            stmt = stmt.where(AuditRow.at >= where.since)
        if where.until is not None:
            stmt = stmt.where(AuditRow.at < where.until)
        return [
            m.audit_from_row(r)
            for r in (await self._s.execute(_after(stmt, AuditRow.id, after, limit))).scalars()
        ]

    async def chain(self, after_seq: int, limit: int) -> list[AuditEntry]:
        stmt = select(AuditRow).where(AuditRow.seq > after_seq).order_by(AuditRow.seq).limit(limit)
        return [m.audit_from_row(r) for r in (await self._s.execute(stmt)).scalars()]

    async def unchained(self) -> int:
        stmt = select(func.count()).select_from(AuditRow).where(AuditRow.seq.is_(None))
        return int((await self._s.execute(stmt)).scalar_one())

    async def head(self) -> tuple[int, str]:
        row = await self._s.get(AuditHeadRow, CHAIN)
        return (0, GENESIS) if row is None else (row.seq, row.hash)

    async def head_before(self, at: datetime) -> tuple[int, str]:
        stmt = (
            select(AuditRow.seq, AuditRow.hash)
            .where(AuditRow.seq.is_not(None), AuditRow.at < at)
            .order_by(AuditRow.seq.desc())
            .limit(1)
        )
        row = (await self._s.execute(stmt)).first()
        if row is None or row[0] is None or row[1] is None:
            return (0, GENESIS)
        return (int(row[0]), str(row[1]))

    async def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._s.add(
            AuditCheckpointRow(seq=checkpoint.seq, hash=checkpoint.hash, at=checkpoint.at, mac=checkpoint.mac)
        )

    async def checkpoints(self) -> list[Checkpoint]:
        rows = (await self._s.execute(select(AuditCheckpointRow).order_by(AuditCheckpointRow.seq))).scalars()
        return [Checkpoint(r.seq, r.hash, r.at, r.mac) for r in rows]

    async def for_subject(self, subject_type: str, subject_id: str) -> list[AuditEntry]:
        stmt = (
            select(AuditRow)
            .where(AuditRow.subject_type == subject_type, AuditRow.subject_id == subject_id)
            .order_by(AuditRow.id)
        )
        return [m.audit_from_row(r) for r in (await self._s.execute(stmt)).scalars()]
