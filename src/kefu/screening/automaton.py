"""A small Aho-Corasick automaton: find every keyword of a lexicon in one pass over a memo.

Memos are short, but the lexicon grows with each new scam script; one pass keeps matching linear in the memo
length whatever the lexicon size. Keywords are matched case-insensitively. A keyword made only of ASCII
letters must stand as a whole word ("fee" must not fire inside "coffee"); Chinese keywords have no word
boundaries to respect.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Automaton(Generic[T]):
    def __init__(self, keywords: Iterable[tuple[str, T]]) -> None:
        self._goto: list[dict[str, int]] = [{}]
        self._fail: list[int] = [0]
        self._out: list[list[tuple[str, T]]] = [[]]
        for word, value in keywords:
            self._add(word.casefold(), value)
        self._link()

    def _add(self, word: str, value: T) -> None:
        if not word:
            return
        state = 0
        for ch in word:
            nxt = self._goto[state].get(ch)
            if nxt is None:
                nxt = len(self._goto)
                self._goto[state][ch] = nxt
                self._goto.append({})
                self._fail.append(0)
                self._out.append([])
            state = nxt
        self._out[state].append((word, value))

    def _link(self) -> None:
        queue: deque[int] = deque(self._goto[0].values())
        while queue:
            state = queue.popleft()
            for ch, nxt in self._goto[state].items():
                queue.append(nxt)
                fail = self._fail[state]
                while fail and ch not in self._goto[fail]:
                    fail = self._fail[fail]
                target = self._goto[fail].get(ch, 0)
                self._fail[nxt] = target if target != nxt else 0
                self._out[nxt] = self._out[nxt] + self._out[self._fail[nxt]]

    def find(self, text: str) -> Iterator[tuple[str, T]]:
        """Yield (keyword, value) for every occurrence in ``text``."""
        folded = text.casefold()
        goto, fail, out = self._goto, self._fail, self._out
        state = 0
        for end, ch in enumerate(folded):
            while state and ch not in goto[state]:
                state = fail[state]
            state = goto[state].get(ch, 0)
            for word, value in out[state]:
                if _stands_alone(folded, end + 1 - len(word), end + 1, word):
                    yield word, value


def _stands_alone(text: str, start: int, end: int, word: str) -> bool:
    if not word.isascii() or not word[0].isalnum():
        return True
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())
