"""Care commands: the knowledge base and callbacks. Their results are the care core's records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kefu.care.kb import Article
from kefu.care.records import CallbackRecord
from kefu.domain.commands import Command
from kefu.domain.vocabulary import Language


@dataclass(frozen=True, slots=True)
class PutArticle(Command[Article]):
    """Add a knowledge base article, or replace the one with the same id."""

    id: str
    title: str
    body: str
    language: Language
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScheduleCallback(Command[CallbackRecord]):
    customer_id: str
    reason: str
    window_start: datetime
    window_end: datetime
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class CancelCallback(Command[CallbackRecord]):
    callback_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RecordCallbackAttempt(Command[CallbackRecord]):
    callback_id: str
    result: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class TakeCallbackInstead(Command[CallbackRecord]):
    """A voice customer waiting too long takes a callback that keeps their place in line."""

    conversation_id: str
    phone: str | None = None
