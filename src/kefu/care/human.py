"""Does the customer ask for a human? A customer must always be able to leave self-service by asking.

Rules rather than a lexicon lookup, because the short words involved are ambiguous: "人工" is a request in
"转人工" but not in "人工智能" (artificial intelligence) or "机器人工作" (robot + work), and "agent" is one
in "agent please" but not in "agentless" or "user agent". A request preceded by a nearby negation
("不要转人工", "no agent") does not count.
"""

from __future__ import annotations

import re

from kefu.care.text import normalise

# Chinese phrases that are a request for a human wherever they appear.
_ZH_ALWAYS = ("转人工", "人工客服", "人工服务", "真人客服", "客服人员", "人工坐席", "人工座席", "找真人")
# "人工" alone is a request unless it starts or ends a word that means something else.
_ZH_RENGONG_NOT_BEFORE = (
    "智能", "智慧", "合成", "降雨", "增雨", "湖", "岛", "授精", "呼吸", "心脏", "关节", "耳蜗", "费", "成本",
    "作", "资", "程", "林", "养殖", "培育", "造", "制", "编辑", "审核", "标注", "翻译",
)  # fmt: skip
_ZH_RENGONG_NOT_AFTER = ("机器", "非")
_ZH_NEGATIONS = ("不要", "不用", "不需要", "不想", "别", "无需", "不必", "不转")

_EN_REQUEST = re.compile(
    r"\b(?:"
    r"(?:live |human |real |customer service |support )?agents?"
    r"|humans?"
    r"|real (?:person|people|human)"
    r"|live (?:person|chat|support)"
    r"|operator"
    r"|(?:customer service |support )?representative"
    r"|(?:talk|speak) (?:to|with) (?:a |some )?(?:person|someone|somebody|people)"
    r")\b"
)
# Words that turn "agent"/"human" into something that is not a request ("user agent", "human error").
_EN_NOT_BEFORE = frozenset({"user", "travel", "secret", "estate", "free", "double", "insurance", "proxy"})
_EN_NOT_AFTER = frozenset(
    {"error", "errors", "rights", "resources", "nature", "being", "beings", "trafficking"}
)
_EN_NEGATIONS = frozenset({"no", "not", "don't", "dont", "never", "without", "nor"})
_EN_WORD = re.compile(r"[a-z']+")
# How many words (English) or characters (Chinese) before a request a negation may stand and still apply.
_NEGATION_REACH_WORDS = 3
_NEGATION_REACH_CHARS = 4

_PUNCT_OR_SPACE = re.compile(r"[\s\W_]+")


def _squeeze_cjk(text: str) -> str:
    """Drop spaces and punctuation so "转 人 工!" and "转-人-工" read as "转人工"."""
    return _PUNCT_OR_SPACE.sub("", text)


def _negated_zh(text: str, at: int) -> bool:
    before = text[max(0, at - _NEGATION_REACH_CHARS) : at]
    return any(neg in before for neg in _ZH_NEGATIONS)


def _wants_human_zh(text: str) -> bool:
    squeezed = _squeeze_cjk(text)
    for phrase in _ZH_ALWAYS:
        start = squeezed.find(phrase)
        while start != -1:
            if not _negated_zh(squeezed, start):
                return True
            start = squeezed.find(phrase, start + 1)
    start = squeezed.find("人工")
    while start != -1:
        after = squeezed[start + 2 :]
        before = squeezed[:start]
        if (
            not after.startswith(_ZH_RENGONG_NOT_BEFORE)
            and not before.endswith(_ZH_RENGONG_NOT_AFTER)
            and not _negated_zh(squeezed, start)
        ):
            return True
        start = squeezed.find("人工", start + 1)
    return False


def _wants_human_en(text: str) -> bool:
    spaced = " ".join(_EN_WORD.findall(text.replace("\u2019", "'")))
    for match in _EN_REQUEST.finditer(spaced):
        before = spaced[: match.start()].split()
        after = spaced[match.end() :].split()
        if before and before[-1] in _EN_NOT_BEFORE:
            continue
        if after and after[0] in _EN_NOT_AFTER:
            continue
        if _EN_NEGATIONS.intersection(before[-_NEGATION_REACH_WORDS:]):
            continue
        return True
    return False


def wants_human(text: str) -> bool:
    """True when ``text`` asks for a human agent ("转人工", "人工", "agent", "real person"), in zh or en."""
    folded = normalise(text)
    return _wants_human_zh(folded) or _wants_human_en(folded)
