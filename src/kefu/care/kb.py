"""Knowledge base search core: an in-memory BM25 index over help articles, in Chinese and English.

Articles are tokenised with ``kefu.care.text.tokens`` (jieba for Chinese, stemmed words for English). The
title counts twice and tags once more, because a customer's words match an article's title far more often
than its body. Adding, replacing and removing an article is incremental: O(tokens of that article).

Scores are BM25 (k1 = 1.2, b = 0.75), unbounded and only comparable within one query. Each hit therefore
also carries a ``confidence`` in [0, 1]: the IDF-weighted share of the query's terms the article contains.
Query words that no article contains count against confidence, so "my parcel never arrived" does not
confidently answer with the refund article just because it says "arrived".

Self-service may answer only when ``confident(hits)``: the best hit's confidence is at least
``CONFIDENT_AT`` (0.6) and its score leads the runner-up's by at least ``CONFIDENT_LEAD`` (1.5 times) — an
ambiguous question goes to a human, with its context.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources

import yaml

from kefu.care.text import tokens
from kefu.domain.vocabulary import Language

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 2
CONFIDENT_AT = 0.6
CONFIDENT_LEAD = 1.5


@dataclass(frozen=True, slots=True)
class Article:
    """A help article. ``language`` is ``zh`` or ``en``; one topic usually has one article per language."""

    id: str
    title: str
    body: str
    language: Language
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: BM25 ``score`` (for ranking) and ``confidence`` in [0, 1] (for deciding)."""

    article_id: str
    score: float
    confidence: float


@dataclass(slots=True)
class _Doc:
    language: str
    length: int
    terms: Counter[str] = field(default_factory=Counter)


class KnowledgeBase:
    """Incremental in-memory BM25 index. Not thread-safe: one owner mutates it (the service layer)."""

    def __init__(self, articles: Iterable[Article] = ()) -> None:
        self._articles: dict[str, Article] = {}
        self._docs: dict[str, _Doc] = {}
        self._postings: dict[str, dict[str, int]] = {}
        self._total_length = 0
        for article in articles:
            self.put(article)

    def __len__(self) -> int:
        return len(self._articles)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._articles

    def get(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)

    def articles(self) -> list[Article]:
        return list(self._articles.values())

    def put(self, article: Article) -> None:
        """Add an article, or replace the one with the same id."""
        self.remove(article.id)
        words = tokens(article.title) * TITLE_WEIGHT + tokens(" ".join(article.tags)) + tokens(article.body)
        doc = _Doc(language=article.language, length=len(words), terms=Counter(words))
        self._articles[article.id] = article
        self._docs[article.id] = doc
        self._total_length += doc.length
        for term, tf in doc.terms.items():
            self._postings.setdefault(term, {})[article.id] = tf

    def remove(self, article_id: str) -> bool:
        """Remove an article; False when there was none with that id."""
        doc = self._docs.pop(article_id, None)
        if doc is None:
            return False
        del self._articles[article_id]
        self._total_length -= doc.length
        for term in doc.terms:
            posting = self._postings[term]
            del posting[article_id]
            if not posting:
                del self._postings[term]
        return True

    def _idf(self, term: str) -> float:
        n = len(self._docs)
        df = len(self._postings.get(term, ()))
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def search(self, q: str, lang: str | None = None, limit: int = 5) -> list[Hit]:
        """Articles matching ``q`` (optionally only in ``lang``), best first, at most ``limit``."""
        query = list(dict.fromkeys(tokens(q)))  # a repeated word is not stronger evidence
        if not query or not self._docs or limit <= 0:
            return []
        idf = {term: self._idf(term) for term in query}
        idf_total = sum(idf.values())
        avg_length = self._total_length / len(self._docs) or 1.0
        scores: dict[str, float] = {}
        matched_idf: dict[str, float] = {}
        for term in query:
            for article_id, tf in self._postings.get(term, {}).items():
                doc = self._docs[article_id]
                if lang is not None and doc.language != lang:
                    continue
                norm = tf + K1 * (1 - B + B * doc.length / avg_length)
                scores[article_id] = scores.get(article_id, 0.0) + idf[term] * tf * (K1 + 1) / norm
                matched_idf[article_id] = matched_idf.get(article_id, 0.0) + idf[term]
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [
            Hit(
                article_id=article_id,
                score=round(score, 6),
                confidence=round(min(1.0, matched_idf[article_id] / idf_total), 4) if idf_total else 0.0,
            )
            for article_id, score in ranked
        ]


def confident(hits: Sequence[Hit]) -> bool:
    """May self-service answer with ``hits[0]``? See the module docstring for the rule."""
    if not hits or hits[0].confidence < CONFIDENT_AT:
        return False
    return len(hits) == 1 or hits[0].score >= CONFIDENT_LEAD * hits[1].score


def seed_articles() -> list[Article]:
    """The small zh/en article set shipped for the demo (payment failure, refund, password reset, ...)."""
    raw = resources.files("kefu.care").joinpath("data/articles.yaml").read_text(encoding="utf-8")
    return [
        Article(
            id=str(item["id"]),
            title=str(item["title"]),
            body=str(item["body"]).strip(),
            language="en" if item["language"] == "en" else "zh",
            tags=tuple(str(t) for t in item.get("tags") or ()),
        )
        for item in yaml.safe_load(raw)["articles"]
    ]
