"""SQL repository of canned responses."""

from __future__ import annotations

from typing import cast

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.adapters.store.workspace.tables import CannedResponseRow
from kefu.domain.canned import CannedResponse
from kefu.domain.vocabulary import Language


def _response(row: CannedResponseRow) -> CannedResponse:
    return CannedResponse(
        id=row.id,
        shortcut=row.shortcut,
        title=row.title,
        body=row.body,
        language=cast(Language, row.language),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlCannedResponses:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, response: CannedResponse) -> None:
        self._s.add(
            CannedResponseRow(
                id=response.id,
                shortcut=response.shortcut,
                title=response.title,
                body=response.body,
                language=response.language,
                created_by=response.created_by,
                created_at=response.created_at,
                updated_at=response.updated_at,
            )
        )

    async def get(self, response_id: str) -> CannedResponse | None:
        row = await self._s.get(CannedResponseRow, response_id)
        return None if row is None else _response(row)

    async def save(self, response: CannedResponse) -> None:
        row = await self._s.get(CannedResponseRow, response.id)
        if row is None:
            return
        row.shortcut, row.title, row.body = response.shortcut, response.title, response.body
        row.language, row.updated_at = response.language, response.updated_at

    async def delete(self, response_id: str) -> None:
        await self._s.execute(delete(CannedResponseRow).where(CannedResponseRow.id == response_id))

    async def by_shortcut(self, language: str, shortcut: str) -> CannedResponse | None:
        stmt = select(CannedResponseRow).where(
            CannedResponseRow.language == language, CannedResponseRow.shortcut == shortcut
        )
        row = (await self._s.execute(stmt)).scalar_one_or_none()
        return None if row is None else _response(row)

    async def all(self, language: str | None = None) -> list[CannedResponse]:
        stmt = select(CannedResponseRow)
        if language is not None:
            stmt = stmt.where(CannedResponseRow.language == language)
        rows = (
            await self._s.execute(stmt.order_by(CannedResponseRow.language, CannedResponseRow.shortcut))
        ).scalars()
        return [_response(r) for r in rows]
