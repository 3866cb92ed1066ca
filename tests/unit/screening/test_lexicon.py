"""Memo matching: the Aho-Corasick automaton and the typology lexicon."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kefu.screening import TYPOLOGIES, MemoLexicon
from kefu.screening.automaton import Automaton
from kefu.screening.lexicon import LEXICON


def test_finds_overlapping_and_nested_keywords():
    """Every occurrence is found, including keywords inside other keywords."""
    automaton = Automaton([("保证", 1), ("证金", 2), ("保证金", 3), ("装备", 4), ("装备交易", 5)])
    assert sorted(v for _, v in automaton.find("缴纳保证金")) == [1, 2, 3]
    assert sorted(v for _, v in automaton.find("游戏装备交易")) == [4, 5]


def test_ascii_keywords_match_whole_words_only():
    """'fee' does not fire inside 'coffee', but Chinese keywords match anywhere."""
    automaton = Automaton([("fee", "x"), ("捐款", "y")])
    assert list(automaton.find("coffee")) == []
    assert [v for _, v in automaton.find("a FEE, please")] == ["x"]
    assert [v for _, v in automaton.find("给战士捐款了")] == ["y"]


@given(
    st.lists(st.text(alphabet="ab边防", min_size=1, max_size=4), min_size=1, max_size=6),
    st.text("ab边防 ", max_size=30),
)
def test_automaton_agrees_with_naive_search(words, text):
    """For non-word keywords the automaton reports exactly the occurrences a naive scan finds."""
    words = [w for w in set(words) if not w.isascii()]
    automaton = Automaton((w, w) for w in words)
    expected = sorted((w, i) for w in words for i in range(len(text)) if text.startswith(w, i))
    found = []
    counts: dict[str, int] = {}
    for word, _ in automaton.find(text):
        counts[word] = counts.get(word, 0) + 1
    for w in words:
        found.extend([w] * counts.get(w, 0))
    assert sorted(found) == sorted(w for w, _ in expected)


def test_lexicon_names_the_typologies_of_scam_memos():
    """Classic scam wording maps to its typology, in Chinese and English; honest memos map to nothing."""
    lexicon = MemoLexicon()
    assert lexicon.match("请转入安全账户配合资金核查")[0] == {"impersonation_official"}
    assert "impersonation_soldier" in lexicon.match("给边防战士的捐款")[0]
    assert lexicon.match("Refund for your order")[0] == {"fake_customer_service"}
    assert lexicon.match("导师带你稳赚")[0] == {"investment"}
    assert lexicon.match("刷单返利")[1] == 2
    assert lexicon.match("生日快乐") == (frozenset(), 0)
    assert lexicon.match("") == (frozenset(), 0)


def test_lexicon_covers_every_typology():
    """Each typology has Chinese and English wording in the lexicon."""
    assert set(LEXICON) == set(TYPOLOGIES)
    for words in LEXICON.values():
        assert any(not w.isascii() for w in words)
        assert any(w.isascii() for w in words)
