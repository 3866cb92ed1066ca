"""The memo lexicon: words scam scripts make payers write, by typology, in Chinese and English.

Curated from public anti-fraud guidance (the wording police and platform warnings quote back to victims).
A memo may hit several typologies; the hits become the ``memo_typologies`` feature and a count of terms.
Deliberately short and specific: common words such as "投资" alone also appear in honest memos, so rules
weigh a memo hit together with the payee and payer signals, never alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from kefu.screening.automaton import Automaton

LEXICON: Mapping[str, tuple[str, ...]] = {
    "impersonation_official": (
        "安全账户",
        "资金核查",
        "清查",
        "涉嫌洗钱",
        "洗钱",
        "通缉",
        "逮捕令",
        "公安局",
        "检察院",
        "保密",
        "safe account",
        "asset check",
        "money laundering",
        "arrest warrant",
    ),
    "impersonation_soldier": (
        "边防",
        "军人",
        "战士",
        "部队",
        "捐款",
        "军官",
        "探亲",
        "维和",
        "border guard",
        "soldier",
        "army",
        "donation",
        "peacekeeping",
    ),
    "fake_customer_service": (
        "退款",
        "理赔",
        "客服",
        "会员扣费",
        "取消会员",
        "关闭百万保障",
        "订单异常",
        "快递丢失",
        "refund",
        "compensation",
        "customer service",
        "cancel membership",
    ),
    "investment": (
        "投资",
        "稳赚",
        "导师",
        "理财",
        "收益",
        "炒币",
        "带单",
        "内幕",
        "提现手续费",
        "investment",
        "guaranteed return",
        "mentor",
        "crypto",
        "trading signal",
    ),
    "romance": (
        "宝贝",
        "亲爱的",
        "老公",
        "老婆",
        "急用",
        "见面",
        "机票",
        "darling",
        "sweetheart",
        "plane ticket",
    ),
    "task_fraud": (
        "刷单",
        "返利",
        "做任务",
        "点赞",
        "佣金",
        "垫付",
        "兼职",
        "rebate",
        "commission",
        "task",
        "likes",
        "part-time",
    ),
    "loan_fraud": (
        "贷款",
        "手续费",
        "保证金",
        "解冻",
        "验资",
        "流水",
        "放款",
        "征信",
        "loan",
        "processing fee",
        "unfreeze",
        "credit score",
    ),
    "game_trading": (
        "游戏账号",
        "装备",
        "点券",
        "皮肤",
        "代练",
        "账号交易",
        "装备交易",
        "game account",
        "skins",
        "in-game",
    ),
}


class MemoLexicon:
    """Matches a memo against the lexicon once and reports which typologies it speaks of."""

    def __init__(self, lexicon: Mapping[str, tuple[str, ...]] = LEXICON) -> None:
        self._automaton: Automaton[str] = Automaton(
            (word, typology) for typology, words in lexicon.items() for word in words
        )
        self._cache: dict[str, tuple[frozenset[str], int]] = {}

    def match(self, memo: str) -> tuple[frozenset[str], int]:
        """(typologies named, number of term hits) for a memo; empty memos cost nothing."""
        if not memo:
            return _NOTHING
        cached = self._cache.get(memo)
        if cached is not None:
            return cached
        typologies: set[str] = set()
        hits = 0
        for _, typology in self._automaton.find(memo):
            typologies.add(typology)
            hits += 1
        result = (frozenset(typologies), hits)
        # Memos repeat a lot ("房租", "红包", "生日快乐"); a bounded cache keeps the hot path cheap.
        if len(self._cache) < 100_000:
            self._cache[memo] = result
        return result


_NOTHING: tuple[frozenset[str], int] = (frozenset(), 0)
