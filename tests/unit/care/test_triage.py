"""Triage: intent, language and business line from a customer's first words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.care import detect_language, triage
from kefu.care.triage import lexicon_from_dict


@pytest.mark.parametrize(
    ("text", "intent", "line"),
    [
        ("支付失败了怎么办", "payment_failed", "payments"),
        ("我想申请退款", "refund", "payments"),
        ("我的账号被封了，怎么解封", "account_locked", "social"),
        ("忘记密码了", "password_reset", "social"),
        ("游戏充值没到账", "game_recharge", "games"),
        ("我被骗了，对方冒充客服让我转账", "scam_report", "payments"),
        ("我要投诉你们的客服态度差", "complaint", "social"),
        ("转人工", "human_request", "social"),
        ("你好", "general", "social"),
    ],
)
def test_chinese_examples(text: str, intent: str, line: str) -> None:
    """Common Chinese requests get the intent and business line an agent would give them."""
    result = triage(text)
    assert (result.intent, result.language, result.business_line) == (intent, "zh", line)


@pytest.mark.parametrize(
    ("text", "intent", "line"),
    [
        ("My payment failed", "payment_failed", "payments"),
        ("I want my money back, refund please", "refund", "payments"),
        ("my account is locked", "account_locked", "social"),
        ("I forgot my password", "password_reset", "social"),
        ("top up diamonds not received in my game", "game_recharge", "games"),
        ("I got scammed by a fake customer service", "scam_report", "payments"),
        ("I want to speak to a real person", "human_request", "social"),
        ("hello there", "general", "social"),
    ],
)
def test_english_examples(text: str, intent: str, line: str) -> None:
    """Common English requests get the intent and business line an agent would give them."""
    result = triage(text)
    assert (result.intent, result.language, result.business_line) == (intent, "en", line)


def test_given_business_line_is_kept() -> None:
    """A business line the channel already knows is never overridden by a guess."""
    assert triage("支付失败", business_line="games").business_line == "games"


def test_subject_counts_as_text() -> None:
    """The subject line is evidence too: an empty body with a telling subject is still triaged."""
    assert triage("", subject="Refund request").intent == "refund"


def test_artificial_intelligence_is_not_a_human_request() -> None:
    """ "人工智能" mentions 人工 but does not ask for a person."""
    assert triage("人工智能是什么").intent == "general"


def test_human_request_outranks_the_topic() -> None:
    """A customer who says "转人工" is first of all asking for a person, whatever the topic."""
    assert triage("支付失败了，转人工").intent == "human_request"


def test_scam_outranks_refund_on_a_tie() -> None:
    """When a refund scam is described, the scam wins so the anti-fraud team sees it."""
    assert triage("refund scam").intent == "scam_report"


def test_general_has_zero_confidence_and_matches_have_some() -> None:
    """Confidence is 0 without evidence and strictly between 0 and 1 with it."""
    assert triage("你好").confidence == 0.0
    assert 0.0 < triage("支付失败").confidence < 1.0


def test_language_detection_by_cjk_share() -> None:
    """Chinese with a Latin brand name is Chinese; English naming a Chinese friend is English."""
    assert detect_language("Apple ID 被锁了") == "zh"
    assert detect_language("my friend 小明 scammed me") == "en"
    assert detect_language("12345 !!!") == "zh"


def test_custom_lexicon() -> None:
    """A deployment can supply its own lexicon in the shipped format."""
    lexicon = lexicon_from_dict(
        {"intents": {"delivery": {"business_line": "payments", "zh": ["快递"], "en": ["parcel"]}}}
    )
    assert triage("where is my parcel", lexicon=lexicon).intent == "delivery"
    assert triage("我的快递呢", lexicon=lexicon).business_line == "payments"


def test_deterministic() -> None:
    """The same text always gets the same triage."""
    assert triage("我的游戏账号被封了") == triage("我的游戏账号被封了")


@given(st.text(), st.one_of(st.none(), st.text()), st.one_of(st.none(), st.sampled_from(["games"])))
def test_triage_is_total(text: str, subject: str | None, line: str | None) -> None:
    """Triage never raises and always returns a valid language, a business line and a confidence in [0, 1]."""
    result = triage(text, subject=subject, business_line=line)
    assert result.language in {"zh", "en"}
    assert result.business_line
    assert 0.0 <= result.confidence <= 1.0
