"""Translation between table rows and domain objects, in both directions."""

from __future__ import annotations

from typing import Any, cast

from kefu.adapters.store.tables import (
    AgentRow,
    ApiTokenRow,
    AuditRow,
    ConversationRow,
    CustomerRow,
    MessageRow,
    UserRow,
)
from kefu.domain.agents import Agent
from kefu.domain.audit import AuditEntry
from kefu.domain.conversations import Conversation, Message, Sender
from kefu.domain.customers import Customer, TrustedContact
from kefu.domain.users import ApiToken, User
from kefu.domain.vocabulary import Channel, ConversationStatus, Language, Presence, Role


def user_from_row(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        role=cast(Role, row.role),
        created_at=row.created_at,
        active=row.active,
        token_version=row.token_version,
        sites=tuple(row.sites or ()),
    )


def user_to_row(user: User, row: UserRow) -> UserRow:
    row.id = user.id
    row.username = user.username
    row.password_hash = user.password_hash
    row.role = user.role
    row.active = user.active
    row.token_version = user.token_version
    row.sites = list(user.sites)
    row.created_at = user.created_at
    return row


def api_token_from_row(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        scopes=None if row.scopes is None else tuple(row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
    )


def api_token_to_row(token: ApiToken, row: ApiTokenRow) -> ApiTokenRow:
    row.id = token.id
    row.user_id = token.user_id
    row.name = token.name
    row.scopes = None if token.scopes is None else list(token.scopes)
    row.created_at = token.created_at
    row.expires_at = token.expires_at
    row.created_by = token.created_by
    row.revoked_at = token.revoked_at
    return row


def customer_from_row(row: CustomerRow) -> Customer:
    tc = row.trusted_contact
    return Customer(
        id=row.id,
        external_id=row.external_id,
        name=row.name,
        language=cast(Language, row.language),
        created_at=row.created_at,
        updated_at=row.updated_at,
        phone=row.phone,
        birth_date=row.birth_date,
        vulnerable=row.vulnerable,
        vip=row.vip,
        trusted_contact=None
        if tc is None
        else TrustedContact(tc["name"], tc["phone"], tc["relation"], tc.get("language")),
        home_site=row.home_site,
        registered_by=row.registered_by,
    )


def customer_to_row(c: Customer, row: CustomerRow) -> CustomerRow:
    row.id = c.id
    row.external_id = c.external_id
    row.name = c.name
    row.language = c.language
    row.created_at = c.created_at
    row.updated_at = c.updated_at
    row.phone = c.phone
    row.birth_date = c.birth_date
    row.vulnerable = c.vulnerable
    row.vip = c.vip
    tc = c.trusted_contact
    row.trusted_contact = (
        None
        if tc is None
        else {"name": tc.name, "phone": tc.phone, "relation": tc.relation, "language": tc.language}
    )
    row.home_site = c.home_site
    row.registered_by = c.registered_by
    return row


def agent_from_row(row: AgentRow) -> Agent:
    return Agent(
        id=row.id,
        name=row.name,
        site=row.site,
        skills={str(k): int(v) for k, v in row.skills.items()},
        capacity={str(k): int(v) for k, v in row.capacity.items()},
        created_at=row.created_at,
        updated_at=row.updated_at,
        presence=cast(Presence, row.presence),
        presence_since=row.presence_since,
        user_id=row.user_id,
        presence_reason=row.presence_reason,
    )


def agent_to_row(a: Agent, row: AgentRow) -> AgentRow:
    row.id = a.id
    row.name = a.name
    row.site = a.site
    row.skills = dict(a.skills)
    row.capacity = dict(a.capacity)
    row.presence = a.presence
    row.presence_since = a.presence_since
    row.presence_reason = a.presence_reason
    row.user_id = a.user_id
    row.created_at = a.created_at
    row.updated_at = a.updated_at
    return row


_CONVERSATION_FIELDS = (
    "id",
    "customer_id",
    "business_line",
    "queue",
    "priority",
    "created_at",
    "updated_at",
    "subject",
    "care",
    "agent_id",
    "assigned_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "disposition",
    "note",
    "intent",
    "language",
)


def conversation_from_row(row: ConversationRow, messages: list[Message] | None = None) -> Conversation:
    values: dict[str, Any] = {f: getattr(row, f) for f in _CONVERSATION_FIELDS}
    return Conversation(
        channel=cast(Channel, row.channel),
        status=cast(ConversationStatus, row.status),
        messages=messages or [],
        **values,
    )


def conversation_to_row(c: Conversation, row: ConversationRow) -> ConversationRow:
    for f in _CONVERSATION_FIELDS:
        setattr(row, f, getattr(c, f))
    row.channel = c.channel
    row.status = c.status
    return row


def message_from_row(row: MessageRow) -> Message:
    return Message(
        id=row.id,
        conversation_id=row.conversation_id,
        sender=cast(Sender, row.sender),
        body=row.body,
        created_at=row.created_at,
        author_id=row.author_id,
    )


def message_to_row(m: Message) -> MessageRow:
    return MessageRow(
        id=m.id,
        conversation_id=m.conversation_id,
        sender=m.sender,
        author_id=m.author_id,
        body=m.body,
        created_at=m.created_at,
    )


def audit_from_row(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        detail=dict(row.detail),
        seq=row.seq,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def audit_to_row(e: AuditEntry) -> AuditRow:
    return AuditRow(
        id=e.id,
        at=e.at,
        actor=e.actor,
        action=e.action,
        subject_type=e.subject_type,
        subject_id=e.subject_id,
        detail=dict(e.detail),
        seq=e.seq,
        prev_hash=e.prev_hash,
        hash=e.hash,
    )
