"""Text handling shared by triage and the knowledge base: normalisation, language, tokens.

Chinese is segmented with jieba; Latin-script text is split on letters and digits with light suffix
stripping, so ``refunds`` finds ``refund``. jieba is loaded lazily (it takes about a second) into a private
``Tokenizer`` so that adding kefu's domain words never changes jieba for the rest of the process.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable
from typing import Any

from kefu.domain.vocabulary import Language

DEFAULT_LANGUAGE: Language = "zh"
# A text is Chinese when at least this share of its letters are CJK ideographs. One ideograph carries
# about as much as a whole English word, so the bar is low: "Apple ID 被锁了" is Chinese, while an English
# sentence that merely names "小明" is not.
CJK_SHARE_FOR_ZH = 0.2

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_RUNS = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|([a-z0-9]+)")

# Words that carry no meaning for search. Kept small on purpose: a long list starts to drop real content
# words ("not", "没") that change what a customer is asking.
STOPWORDS: frozenset[str] = frozenset(
    {
        # zh
        "的", "了", "吗", "呢", "吧", "啊", "我", "我的", "你", "你们", "是", "在", "有", "和", "就", "都",
        "也", "要", "请问", "请", "怎么", "怎么办", "如何", "什么", "一个", "这个", "那个", "一下", "可以",
        "能", "帮", "帮我", "谢谢", "您好", "你好", "想", "我想", "想要", "需要", "现在", "已经", "还", "该",
        # en
        "a", "an", "the", "i", "me", "my", "you", "your", "we", "is", "am", "are", "was", "be", "to", "of",
        "in", "on", "for", "and", "or", "it", "this", "that", "do", "does", "did", "how", "what", "can",
        "could", "please", "help", "hi", "hello", "with", "have", "has", "get", "got", "want", "need",
        "would", "like", "should", "will", "now", "just", "there", "so", "why", "when", "where",
    }
)  # fmt: skip

# Domain words jieba's general dictionary splits badly ("到账" becomes "没到" + "账").
DOMAIN_WORDS: tuple[str, ...] = (
    "到账", "解封", "转人工", "人工客服", "扣款", "退款", "充值", "被骗", "诈骗", "冻结", "解冻", "找回密码",
    "重置密码", "零钱", "红包", "游戏币", "点券", "刷单", "客服", "封号", "验证码",
)  # fmt: skip

_tokenizer: Any = None
_tokenizer_lock = threading.Lock()


def normalise(text: str) -> str:
    """NFKC-fold (full-width letters and digits become ASCII) and lower-case."""
    return unicodedata.normalize("NFKC", text).casefold()


def detect_language(text: str, default: Language = DEFAULT_LANGUAGE) -> Language:
    """``zh`` or ``en`` from the share of CJK ideographs among letters; ``default`` when there are none."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk + latin == 0:
        return default
    return "zh" if cjk / (cjk + latin) >= CJK_SHARE_FOR_ZH else "en"


def _jieba() -> Any:
    global _tokenizer  # noqa: PLW0603 - one lazily built tokenizer per process; loading costs ~1 s
    with _tokenizer_lock:
        if _tokenizer is None:
            # jieba 0.42.1 has invalid escape sequences in its source; without bytecode they warn on
            # import, and the test suite turns warnings into errors.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import jieba  # noqa: PLC0415 - deferred so triage and imports stay fast

            # jieba announces dictionary loading on stderr through its own logger.
            logging.getLogger("jieba").setLevel(logging.WARNING)
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            for word in DOMAIN_WORDS:
                tokenizer.add_word(word)
            _tokenizer = tokenizer
        return _tokenizer


def _stem(word: str) -> str:
    """Strip common English plural and verb endings; enough for short help articles."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 3 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    # "arrive", "arrives" and "arrived" all become "arriv".
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def tokens(text: str) -> list[str]:
    """Search tokens of ``text`` in order: jieba words for Chinese runs, stemmed words for the rest."""
    out: list[str] = []
    for cjk_run, latin_run in _RUNS.findall(normalise(text)):
        if cjk_run:
            out.extend(w for w in _jieba().lcut_for_search(cjk_run) if w.strip() and w not in STOPWORDS)
        elif latin_run not in STOPWORDS:
            out.append(_stem(latin_run))
    return out


def warm_up(words: Iterable[str] = ()) -> None:
    """Load jieba now (e.g. at start-up) instead of on the first search; optionally teach it more words."""
    tokenizer = _jieba()
    for word in words:
        tokenizer.add_word(word)
