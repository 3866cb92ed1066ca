"""Repositories of the care work: knowledge base articles, and callbacks with the scheduler's claims.

Claiming due callbacks (``SqlCallbacks.claim_due``) is one statement on both databases::

    UPDATE callbacks SET claim_token = :token, claimed_until = :until
    WHERE id IN (SELECT id FROM callbacks
                 WHERE wake_at <= :now AND state IN ('scheduled', 'due')
                   AND (claimed_until IS NULL OR claimed_until <= :now)
                 ORDER BY wake_at LIMIT :n
                 FOR UPDATE SKIP LOCKED)            -- PostgreSQL only
    RETURNING id

On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets concurrent schedulers take disjoint rows without waiting on
each other. SQLite has one writer at a time, so the statement is atomic as it stands: a second scheduler
runs it after the first committed and no longer sees the leased rows. Either way, the lease only spreads
the work; correctness rests on ``save``'s version check (exactly one of two racing writers commits).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.adapters.store.care.tables import CallbackRow, KbArticleRow
from kefu.care import Article, Attempt, AttemptResult, Callback, CallbackOrigin, CallbackState
from kefu.care.records import CallbackChangedConcurrently, CallbackRecord

_WAKING = ("scheduled", "due")


def _article(row: KbArticleRow) -> Article:
    return Article(
        id=row.id,
        title=row.title,
        body=row.body,
        language="en" if row.language == "en" else "zh",
        tags=tuple(row.tags),
    )


class SqlKnowledge:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def put(self, article: Article, at: datetime) -> bool:
        row = await self._s.get(KbArticleRow, article.id)
        new = row is None
        if row is None:
            row = KbArticleRow(id=article.id, created_at=at)
            self._s.add(row)
        row.title, row.body, row.language = article.title, article.body, article.language
        row.tags = list(article.tags)
        row.updated_at = at
        return new

    async def get(self, article_id: str) -> Article | None:
        row = await self._s.get(KbArticleRow, article_id)
        return None if row is None else _article(row)

    async def all(self) -> list[Article]:
        rows = (await self._s.execute(select(KbArticleRow).order_by(KbArticleRow.id))).scalars()
        return [_article(r) for r in rows]

    async def page(self, after: str | None, limit: int, language: str | None = None) -> list[Article]:
        stmt = select(KbArticleRow)
        if language is not None:
            stmt = stmt.where(KbArticleRow.language == language)
        if after is not None:
            stmt = stmt.where(KbArticleRow.id > after)
        rows = (await self._s.execute(stmt.order_by(KbArticleRow.id).limit(limit))).scalars()
        return [_article(r) for r in rows]

    async def fingerprint(self) -> tuple[int, datetime | None]:
        stmt = select(func.count(), func.max(KbArticleRow.updated_at))
        count, latest = (await self._s.execute(stmt)).one()
        return int(count), latest


def _record(row: CallbackRow) -> CallbackRecord:
    callback = Callback(
        id=row.id,
        customer_id=row.customer_id,
        reason=row.reason,
        window_start=row.window_start,
        window_end=row.window_end,
        state=CallbackState(row.state),
        next_attempt_at=row.next_attempt_at,
        phone=row.phone,
        origin=CallbackOrigin(row.origin),
        roll_over=row.roll_over,
        attempts=tuple(
            Attempt(
                no=int(a["no"]),
                at=datetime.fromisoformat(a["at"]),
                result=AttemptResult(a["result"]),
                note=a.get("note"),
            )
            for a in row.attempts
        ),
        attempts_in_window=row.attempts_in_window,
        rollovers=row.rollovers,
        outcome=row.outcome,
        closed_at=row.closed_at,
    )
    return CallbackRecord(
        callback=callback,
        queue_id=row.queue_id,
        care=row.care,
        created_at=row.created_at,
        updated_at=row.updated_at,
        home_site=row.home_site,
        conversation_id=row.conversation_id,
        place_since=row.place_since,
        follow_up_key=row.follow_up_key,
        follow_up_event=row.follow_up_event,
        follow_up_subject_id=row.follow_up_subject_id,
        version=row.version,
    )


def _values(record: CallbackRecord) -> dict[str, Any]:
    cb = record.callback
    return {
        "customer_id": cb.customer_id,
        "reason": cb.reason,
        "phone": cb.phone,
        "origin": str(cb.origin),
        "state": str(cb.state),
        "window_start": cb.window_start,
        "window_end": cb.window_end,
        "next_attempt_at": cb.next_attempt_at,
        "roll_over": cb.roll_over,
        "attempts": [
            {"no": a.no, "at": a.at.isoformat(), "result": str(a.result), "note": a.note} for a in cb.attempts
        ],
        "attempts_in_window": cb.attempts_in_window,
        "rollovers": cb.rollovers,
        "outcome": cb.outcome,
        "closed_at": cb.closed_at,
        "queue_id": record.queue_id,
        "care": record.care,
        "home_site": record.home_site,
        "conversation_id": record.conversation_id,
        "place_since": record.place_since,
        "follow_up_key": record.follow_up_key,
        "follow_up_event": record.follow_up_event,
        "follow_up_subject_id": record.follow_up_subject_id,
        "wake_at": record.wake_at,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


class SqlCallbacks:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, record: CallbackRecord) -> None:
        self._s.add(CallbackRow(id=record.id, version=1, claim_token=None, **_values(record)))
        record.version = 1

    async def get(self, callback_id: str) -> CallbackRecord | None:
        stmt = (
            select(CallbackRow).where(CallbackRow.id == callback_id).execution_options(populate_existing=True)
        )
        row = (await self._s.execute(stmt)).scalar()
        return None if row is None else _record(row)

    async def save(self, record: CallbackRecord) -> None:
        stmt = (
            update(CallbackRow)
            .where(CallbackRow.id == record.id, CallbackRow.version == record.version)
            .values(**_values(record), version=record.version + 1, claim_token=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        result = await self._s.execute(stmt)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise CallbackChangedConcurrently(
                f"callback {record.id!r} was changed by someone else meanwhile; reload and retry",
                callback_id=record.id,
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
        stmt = select(CallbackRow)
        if bases is not None:
            stmt = stmt.where(CallbackRow.home_site.in_(bases))
        if state is not None:
            stmt = stmt.where(CallbackRow.state == state)
        if customer_id is not None:
            stmt = stmt.where(CallbackRow.customer_id == customer_id)
        if after is not None:
            stmt = stmt.where(CallbackRow.id > after)
        rows = (await self._s.execute(stmt.order_by(CallbackRow.id).limit(limit))).scalars()
        return [_record(r) for r in rows]

    async def claim_due(self, now: datetime, until: datetime, token: str, limit: int) -> list[str]:
        due = (
            select(CallbackRow.id)
            .where(
                CallbackRow.wake_at <= now,
                CallbackRow.state.in_(_WAKING),
                (CallbackRow.claimed_until.is_(None)) | (CallbackRow.claimed_until <= now),
            )
            .order_by(CallbackRow.wake_at)
            .limit(limit)
        )
        if self._s.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        stmt = (
            update(CallbackRow)
            .where(CallbackRow.id.in_(due.scalar_subquery()))
            .values(claim_token=token, claimed_until=until)
            .returning(CallbackRow.id)
            .execution_options(synchronize_session=False)
        )
        return [str(i) for i in (await self._s.execute(stmt)).scalars()]

    async def release(self, callback_id: str, token: str) -> None:
        stmt = (
            update(CallbackRow)
            .where(CallbackRow.id == callback_id, CallbackRow.claim_token == token)
            .values(claim_token=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        await self._s.execute(stmt)
