"""Knowledge base use cases: save, read and search articles (the index is ``services.knowledge``)."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.care import Article, confident
from kefu.care.commands import PutArticle
from kefu.domain.errors import InvalidInput, NotFound
from kefu.domain.vocabulary import LANGUAGES
from kefu.services.authz import require
from kefu.services.context import Context
from kefu.services.pagination import Page, page_of


@dataclass(frozen=True, slots=True)
class SearchHit:
    article: Article
    score: float
    confidence: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    hits: list[SearchHit]
    confident: bool  # would self-service answer with the first hit?


def _check(cmd: PutArticle) -> None:
    if not cmd.id.strip() or not cmd.title.strip() or not cmd.body.strip():
        raise InvalidInput("id, title and body must not be blank", field="body")
    if cmd.language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", field="language")


async def put_article(cmd: PutArticle, ctx: Context) -> Article:
    require(ctx.actor, "kb.write")
    _check(cmd)
    article = Article(cmd.id.strip(), cmd.title.strip(), cmd.body.strip(), cmd.language, tuple(cmd.tags))
    async with ctx.uow:
        new = await ctx.uow.knowledge.put(article, ctx.clock.now())
        await ctx.audit("kb.article_saved", "kb_article", article.id, new=new)
        fingerprint = await ctx.uow.knowledge.fingerprint()
        await ctx.uow.commit()
    ctx.knowledge.put(article, fingerprint)
    return article


async def get_article(article_id: str, ctx: Context) -> Article:
    require(ctx.actor, "kb.read")
    async with ctx.uow:
        article = await ctx.uow.knowledge.get(article_id)
    if article is None:
        raise NotFound("article", article_id)
    return article


async def list_articles(
    after: str | None, limit: int, ctx: Context, language: str | None = None
) -> Page[Article]:
    require(ctx.actor, "kb.read")
    async with ctx.uow:
        rows = await ctx.uow.knowledge.page(after, limit + 1, language=language)
    return page_of(rows, limit)


async def search(q: str, lang: str | None, limit: int, ctx: Context) -> SearchResult:
    require(ctx.actor, "kb.read")
    if not q.strip():
        raise InvalidInput("q must not be blank", field="q")
    if lang is not None and lang not in LANGUAGES:
        raise InvalidInput(f"lang must be one of {', '.join(LANGUAGES)}", field="lang")
    async with ctx.uow:
        await ctx.knowledge.refresh(ctx.uow)
    hits = ctx.knowledge.search(q, lang=lang, limit=limit)
    found = [
        SearchHit(article, h.score, h.confidence)
        for h in hits
        if (article := ctx.knowledge.base.get(h.article_id)) is not None
    ]
    return SearchResult(q, found, confident(hits))
