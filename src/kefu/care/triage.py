"""Triage of a new conversation: intent, language and business line from the customer's words.

A curated zh+en lexicon (``data/lexicon.yaml``) shipped with the package, not a downloaded model: it is
deterministic, explainable to a supervisor, and takes microseconds. Every intent and business line scores the
summed weights of its phrases found in the text; the best intent wins, ties going to the earlier intent in the
lexicon. ``triage`` is total: any string, including the empty one, gets an answer.

Confidence is ``best / (best + runner_up + 2)``: it grows with the evidence for the winner and shrinks when a
second intent is nearly as strong. ``general`` (nothing matched) has confidence 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kefu.care.human import wants_human
from kefu.care.text import detect_language, normalise
from kefu.domain.vocabulary import Language

GENERAL = "general"
HUMAN_REQUEST = "human_request"
BUSINESS_LINES: tuple[str, ...] = ("social", "payments", "games")
DEFAULT_BUSINESS_LINE = "social"
# Added to the human_request score when the rule-based detector agrees, so that "转人工" outranks the
# business words around it ("支付失败了，转人工" is first of all a request for a human).
_HUMAN_RULE_BONUS = 10
# Smoothing in the confidence formula: one short phrase alone is suggestive, not certain.
_CONFIDENCE_PRIOR = 2.0

_STRIP = re.compile(r"[\s\W_]+")


@dataclass(frozen=True, slots=True)
class Triage:
    """What triage concluded about a conversation's first words."""

    intent: str
    language: Language
    business_line: str
    confidence: float


@dataclass(frozen=True, slots=True)
class _Phrases:
    zh: tuple[str, ...]
    en: tuple[re.Pattern[str], ...]
    en_weights: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Phrases per intent and per business line, plus each intent's usual business line."""

    intents: dict[str, _Phrases]
    intent_lines: dict[str, str | None]
    lines: dict[str, _Phrases]


def _phrases(entry: dict[str, Any]) -> _Phrases:
    zh = tuple(_STRIP.sub("", normalise(p)) for p in entry.get("zh") or ())
    en_words = [normalise(p).split() for p in entry.get("en") or ()]
    en = tuple(re.compile(r"(?<![\w-])" + r"\s+".join(map(re.escape, w)) + r"(?![\w-])") for w in en_words)
    return _Phrases(zh=zh, en=en, en_weights=tuple(2 * len(w) for w in en_words))


def lexicon_from_dict(data: dict[str, Any]) -> Lexicon:
    """Build a lexicon from the structure of ``data/lexicon.yaml`` (so deployments can supply their own)."""
    intents = {name: _phrases(entry) for name, entry in (data.get("intents") or {}).items()}
    intent_lines = {name: entry.get("business_line") for name, entry in (data.get("intents") or {}).items()}
    lines = {name: _phrases(entry) for name, entry in (data.get("business_lines") or {}).items()}
    return Lexicon(intents=intents, intent_lines=intent_lines, lines=lines)


@cache
def default_lexicon() -> Lexicon:
    """The lexicon shipped with kefu."""
    raw = resources.files("kefu.care").joinpath("data/lexicon.yaml").read_text(encoding="utf-8")
    return lexicon_from_dict(yaml.safe_load(raw))


def _score(phrases: _Phrases, squeezed: str, folded: str) -> int:
    score = sum(len(p) for p in phrases.zh if p and p in squeezed)
    score += sum(w for p, w in zip(phrases.en, phrases.en_weights, strict=True) if p.search(folded))
    return score


def triage(
    text: str,
    subject: str | None = None,
    business_line: str | None = None,
    lexicon: Lexicon | None = None,
) -> Triage:
    """Intent, language, business line (kept when given, guessed otherwise) and confidence for ``text``."""
    lex = lexicon or default_lexicon()
    whole = f"{subject}\n{text}" if subject else text
    folded = normalise(whole)
    squeezed = _STRIP.sub("", folded)

    scores = {name: _score(phrases, squeezed, folded) for name, phrases in lex.intents.items()}
    if HUMAN_REQUEST in scores:
        # The lexicon cannot tell "人工" from "人工智能"; the rule-based detector decides.
        scores[HUMAN_REQUEST] = scores[HUMAN_REQUEST] + _HUMAN_RULE_BONUS if wants_human(whole) else 0

    ranked = sorted(scores.items(), key=lambda kv: -kv[1])  # stable: ties keep lexicon order
    intent, best = ranked[0] if ranked and ranked[0][1] > 0 else (GENERAL, 0)
    runner_up = ranked[1][1] if len(ranked) > 1 and best else 0
    confidence = round(best / (best + runner_up + _CONFIDENCE_PRIOR), 4) if best else 0.0

    line = business_line or _guess_line(lex, intent, squeezed, folded, scores)
    return Triage(intent=intent, language=detect_language(whole), business_line=line, confidence=confidence)


def _guess_line(lex: Lexicon, intent: str, squeezed: str, folded: str, scores: dict[str, int]) -> str:
    line_scores = {name: _score(phrases, squeezed, folded) for name, phrases in lex.lines.items()}
    # Every matched intent votes for its usual business line with its own score: "游戏充值" is games even
    # though "充值" alone could be a wallet top-up.
    for name, score in scores.items():
        usual = lex.intent_lines.get(name)
        if usual is not None and score > 0:
            line_scores[usual] = line_scores.get(usual, 0) + score
    if not line_scores or max(line_scores.values()) == 0:
        usual = lex.intent_lines.get(intent)
        return usual or DEFAULT_BUSINESS_LINE
    return max(line_scores.items(), key=lambda kv: kv[1])[0]
