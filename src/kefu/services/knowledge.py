"""This process's knowledge base index, kept in step with the ``kb_articles`` table.

The database is the source of truth. Each process keeps a ``KnowledgeIndex`` (the care core's BM25
``KnowledgeBase``), rebuilt from the table on start and updated in place when this process saves an article.
Before each search the index compares the table's fingerprint (article count, latest change) with the one
it was built from and reloads when another process changed the table, so every API node answers alike.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from kefu.care import Article, Hit, KnowledgeBase
from kefu.services.ports import UnitOfWork


class KnowledgeIndex:
    """This process's search index over the ``kb_articles`` table."""

    def __init__(self) -> None:
        self.base = KnowledgeBase()
        self._fingerprint: tuple[int, datetime | None] | None = None
        self._lock = asyncio.Lock()

    async def rebuild(self, uow: UnitOfWork) -> None:
        """Load every article from the table (on start, or when another process changed it)."""
        async with self._lock:
            fingerprint = await uow.knowledge.fingerprint()
            self.base = KnowledgeBase(await uow.knowledge.all())
            self._fingerprint = fingerprint

    async def refresh(self, uow: UnitOfWork) -> None:
        """Rebuild only when the table no longer matches what the index was built from."""
        if self._fingerprint != await uow.knowledge.fingerprint():
            await self.rebuild(uow)

    def put(self, article: Article, fingerprint: tuple[int, datetime | None]) -> None:
        self.base.put(article)
        self._fingerprint = fingerprint

    def search(self, q: str, lang: str | None = None, limit: int = 5) -> list[Hit]:
        return self.base.search(q, lang=lang, limit=limit)
