"""The knowledge base: articles and search (self-service answers come from here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kefu.care import commands as care_commands
from kefu.domain.vocabulary import Language
from kefu.entrypoints.api.care.schemas import ArticleIn, ArticleOut, SearchHitOut, SearchOut
from kefu.entrypoints.api.deps import ActorDep, BusDep, ContextDep, PageDep
from kefu.entrypoints.api.shared.schemas import Page
from kefu.services.care import kb as svc

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])


def _out(article: object) -> ArticleOut:
    return ArticleOut.model_validate(article)


@router.post("/articles", response_model=ArticleOut, status_code=201, summary="Add or replace an article")
async def put_article(body: ArticleIn, bus: BusDep, actor: ActorDep) -> ArticleOut:
    cmd = care_commands.PutArticle(body.id, body.title, body.body, body.language, tuple(body.tags))
    return _out(await bus.handle(cmd, actor))


@router.get("/articles", response_model=Page[ArticleOut], summary="List articles by id")
async def list_articles(ctx: ContextDep, page: PageDep, language: Language | None = None) -> Page[ArticleOut]:
    result = await svc.list_articles(page.after, page.limit, ctx, language=language)
    return Page[ArticleOut](items=[_out(a) for a in result.items], next_cursor=result.next_cursor)


@router.get("/articles/{article_id}", response_model=ArticleOut, summary="One article")
async def get_article(article_id: str, ctx: ContextDep) -> ArticleOut:
    return _out(await svc.get_article(article_id, ctx))


@router.get("/search", response_model=SearchOut, summary="Search articles (zh with word segmentation, en)")
async def search(
    ctx: ContextDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    lang: Language | None = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> SearchOut:
    result = await svc.search(q, lang, limit, ctx)
    return SearchOut(
        query=result.query,
        confident=result.confident,
        hits=[
            SearchHitOut(article=_out(h.article), score=h.score, confidence=h.confidence) for h in result.hits
        ],
    )
