"""Knowledge base search: BM25 over zh/en articles, incremental updates and the self-service rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.care import Article, Hit, KnowledgeBase, confident, seed_articles


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase(seed_articles())


def test_seed_set_covers_six_topics_in_both_languages() -> None:
    """The demo ships payment, refund, password, unlock, scam and game articles in zh and en."""
    articles = seed_articles()
    assert len(articles) == 12
    assert {a.language for a in articles} == {"zh", "en"}
    assert len({a.id for a in articles}) == 12


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("支付失败了怎么办", "zh", "kb-payment-failed-zh"),
        ("我想退款", "zh", "kb-refund-zh"),
        ("忘记密码了", "zh", "kb-password-reset-zh"),
        ("账号被封了怎么解封", "zh", "kb-account-unlock-zh"),
        ("我被骗了", "zh", "kb-scam-warning-zh"),
        ("游戏充值没到账", "zh", "kb-game-recharge-zh"),
        ("my payment failed", "en", "kb-payment-failed-en"),
        ("how do I get a refund", "en", "kb-refund-en"),
        ("forgot password", "en", "kb-password-reset-en"),
        ("my account is locked", "en", "kb-account-unlock-en"),
        ("I was scammed", "en", "kb-scam-warning-en"),
        ("game recharge not arrived", "en", "kb-game-recharge-en"),
    ],
)
def test_confident_answers_for_common_questions(
    kb: KnowledgeBase, query: str, lang: str, expected: str
) -> None:
    """A simple, common question finds its article first and confidently enough for self-service."""
    hits = kb.search(query, lang=lang, limit=3)
    assert hits[0].article_id == expected
    assert confident(hits)


def test_unrelated_question_is_not_answered(kb: KnowledgeBase) -> None:
    """A question the articles do not cover goes to a human rather than getting a wrong article."""
    assert not confident(kb.search("my parcel never arrived", lang="en"))
    assert kb.search("今天天气怎么样") == []


def test_language_filter(kb: KnowledgeBase) -> None:
    """Filtering by language returns only articles in that language."""
    assert all(h.article_id.endswith("-en") for h in kb.search("refund 退款", lang="en"))


def test_chinese_is_segmented(kb: KnowledgeBase) -> None:
    """Chinese without spaces is segmented into words, so 付款失败 finds the payment failure article."""
    assert kb.search("付款失败", lang="zh")[0].article_id == "kb-payment-failed-zh"


def test_add_update_remove() -> None:
    """Articles can be added, replaced and removed, and search reflects each change at once."""
    kb = KnowledgeBase()
    kb.put(Article(id="a", title="Delivery times", body="Parcels arrive in three days.", language="en"))
    assert kb.search("parcel")[0].article_id == "a"
    kb.put(Article(id="a", title="Opening hours", body="We answer from nine to six.", language="en"))
    assert kb.search("parcel") == []
    assert kb.search("opening hours")[0].article_id == "a"
    assert len(kb) == 1
    assert kb.remove("a") and not kb.remove("a")
    assert kb.search("opening hours") == [] and "a" not in kb


def test_empty_query_and_limit(kb: KnowledgeBase) -> None:
    """Stop words alone or a zero limit return nothing; limit caps the hits."""
    assert kb.search("the 的 了") == []
    assert kb.search("password", limit=0) == []
    assert len(kb.search("password 密码", limit=2)) == 2


def test_confident_rule() -> None:
    """Self-service needs a confident top hit that clearly leads the runner-up."""
    assert not confident([])
    assert not confident([Hit("a", 5.0, 0.5)])
    assert confident([Hit("a", 5.0, 0.6)])
    assert confident([Hit("a", 3.0, 1.0), Hit("b", 2.0, 1.0)])
    assert not confident([Hit("a", 2.5, 1.0), Hit("b", 2.0, 1.0)])


_articles = st.lists(
    st.builds(
        Article,
        id=st.sampled_from(["a", "b", "c", "d"]),
        title=st.text(max_size=20),
        body=st.text(max_size=60),
        language=st.sampled_from(["zh", "en"]),
    ),
    max_size=6,
)


@settings(deadline=None, max_examples=60)  # the first example loads jieba's dictionary
@given(_articles, st.text(max_size=30))
def test_search_is_total_and_bounded(articles: list[Article], query: str) -> None:
    """Search never raises; scores are positive, confidence lies in [0, 1] and hits are ranked."""
    kb = KnowledgeBase(articles)
    hits = kb.search(query, limit=10)
    assert all(h.score > 0 and 0.0 <= h.confidence <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.article_id in kb for h in hits)


@settings(deadline=None, max_examples=40)
@given(_articles, st.text(max_size=30))
def test_incremental_index_equals_rebuilt_index(articles: list[Article], query: str) -> None:
    """Adding and removing articles one by one leaves the same index as building it afresh."""
    incremental = KnowledgeBase()
    for article in articles:
        incremental.put(article)
    incremental.put(Article(id="tmp", title="temporary", body="gone soon 临时", language="en"))
    incremental.remove("tmp")
    rebuilt = KnowledgeBase(incremental.articles())
    assert incremental.search(query) == rebuilt.search(query)
