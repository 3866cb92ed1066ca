"""In-memory repositories of the care work: knowledge base articles, and callbacks with their claims.

As in the SQL store, a callback's ``save`` is a conditional update on its ``version`` (exactly one of two
writers of one version commits; the other gets ``CallbackChangedConcurrently``), and ``claim_due`` leases
due rows that nobody holds, skipping rows another session has claimed and not yet committed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from kefu.adapters.memory.shared import clone, page
from kefu.adapters.memory.store import MemorySession
from kefu.care import Article
from kefu.care.records import CallbackChangedConcurrently, CallbackRecord

_WAKING = ("scheduled", "due")


@dataclass(frozen=True, slots=True)
class ArticleRow:
    article: Article
    created_at: datetime
    updated_at: datetime


class MemoryKnowledge:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def put(self, article: Article, at: datetime) -> bool:
        row: ArticleRow | None = self._s.get("kb_articles", article.id)
        if row is None:
            self._s.insert("kb_articles", article.id, ArticleRow(clone(article), at, at))
            return True
        self._s.update("kb_articles", article.id, ArticleRow(clone(article), row.created_at, at))
        return False

    async def get(self, article_id: str) -> Article | None:
        row: ArticleRow | None = self._s.get("kb_articles", article_id)
        return None if row is None else clone(row.article)

    async def all(self) -> list[Article]:
        return sorted((clone(r.article) for r in self._s.scan("kb_articles")), key=lambda a: a.id)

    async def page(self, after: str | None, limit: int, language: str | None = None) -> list[Article]:
        rows = (
            r.article
            for r in self._s.scan("kb_articles")
            if language is None or r.article.language == language
        )
        return page(rows, lambda a: a.id, after, limit)

    async def fingerprint(self) -> tuple[int, datetime | None]:
        rows: list[ArticleRow] = list(self._s.scan("kb_articles"))
        return len(rows), max((r.updated_at for r in rows), default=None)


@dataclass(frozen=True, slots=True)
class CallbackRow:
    """A stored callback: the record as saved, its wake time then, the scheduler's lease and the version."""

    record: CallbackRecord
    wake_at: datetime | None
    version: int
    claim_token: str | None = None
    claimed_until: datetime | None = None


def _record(row: CallbackRow) -> CallbackRecord:
    out = clone(row.record)
    out.version = row.version
    return out


def _unclaimed(row: CallbackRow | None, now: datetime) -> bool:
    return row is not None and (row.claimed_until is None or row.claimed_until <= now)


class MemoryCallbacks:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, record: CallbackRecord) -> None:
        stored = clone(record)
        stored.version = 1
        self._s.insert("callbacks", record.id, CallbackRow(stored, record.wake_at, 1))
        record.version = 1

    async def get(self, callback_id: str) -> CallbackRecord | None:
        row: CallbackRow | None = self._s.get("callbacks", callback_id)
        return None if row is None else _record(row)

    async def save(self, record: CallbackRecord) -> None:
        row: CallbackRow | None = self._s.get("callbacks", record.id)
        loaded = record.version

        def changed() -> CallbackChangedConcurrently:
            return CallbackChangedConcurrently(
                f"callback {record.id!r} was changed by someone else meanwhile; reload and retry",
                callback_id=record.id,
            )

        if row is None or row.version != loaded:
            raise changed()
        stored = clone(record)
        stored.version = loaded + 1
        self._s.update("callbacks", record.id, CallbackRow(stored, record.wake_at, loaded + 1))
        self._s.lock("callbacks", record.id)
        self._s.require(
            "callbacks", record.id, lambda current: current is not None and current.version == loaded, changed
        )
        record.version += 1

    async def page(
        self,
        after: str | None,
        limit: int,
        state: str | None = None,
        customer_id: str | None = None,
        bases: tuple[str, ...] | None = None,
    ) -> list[CallbackRecord]:
        rows: list[CallbackRow] = [
            r
            for r in self._s.scan("callbacks")
            if (state is None or str(r.record.callback.state) == state)
            and (customer_id is None or r.record.callback.customer_id == customer_id)
            and (bases is None or r.record.home_site in bases)
        ]
        return [_record(r) for r in page(rows, lambda r: r.record.id, after, limit)]

    async def claim_due(self, now: datetime, until: datetime, token: str, limit: int) -> list[str]:
        due: list[CallbackRow] = [
            r
            for r in self._s.scan("callbacks")
            if r.wake_at is not None
            and r.wake_at <= now
            and str(r.record.callback.state) in _WAKING
            and (r.claimed_until is None or r.claimed_until <= now)
            and not self._s.locked_by_other("callbacks", r.record.id)
        ]
        due.sort(key=lambda r: (r.wake_at, r.record.id))
        claimed: list[str] = []
        for row in due[: max(limit, 0)]:
            callback_id = row.record.id
            self._s.update(
                "callbacks", callback_id, dataclasses.replace(row, claim_token=token, claimed_until=until)
            )
            self._s.lock("callbacks", callback_id)
            self._s.require(
                "callbacks",
                callback_id,
                partial(_unclaimed, now=now),
                lambda: CallbackChangedConcurrently("the callback was claimed meanwhile; retry"),
            )
            claimed.append(callback_id)
        return claimed

    async def release(self, callback_id: str, token: str) -> None:
        row: CallbackRow | None = self._s.get("callbacks", callback_id)
        if row is not None and row.claim_token == token:
            self._s.update(
                "callbacks", callback_id, dataclasses.replace(row, claim_token=None, claimed_until=None)
            )
