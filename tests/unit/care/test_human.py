"""wants_human: a customer can always reach a person by asking, in Chinese or English."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.care import wants_human


@pytest.mark.parametrize(
    "text",
    [
        "转人工",
        "人工",
        "人工客服",
        "我要人工！！",
        "转 人 工",
        "转-人-工",
        "给我找个真人客服",
        "我不要机器人，转人工",
        "有人工吗？",
        "给我个人工",
        "agent",
        "AGENT please",
        "ＡＧＥＮＴ",
        "human",
        "Human!!!",
        "I want a real person",
        "can I speak to someone",
        "live agent now",
        "representative",
    ],
)
def test_requests_for_a_human(text: str) -> None:
    """Every common way of asking for a person is recognised, whatever the case or punctuation."""
    assert wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "人工智能是什么",
        "机器人工作了吗",
        "人工费怎么算",
        "我个人工资到账了吗",
        "个人工作室",
        "不要转人工",
        "我想退款",
        "agentless deployment",
        "my user agent string",
        "it was human error",
        "no agent needed",
        "I don't want a human",
        "hello",
        "",
    ],
)
def test_not_requests_for_a_human(text: str) -> None:
    """Words that merely contain 人工/agent/human, or refuse one, do not send the customer to a person."""
    assert not wants_human(text)


@given(st.text())
def test_wants_human_is_total(text: str) -> None:
    """wants_human answers for any string."""
    assert wants_human(text) in {True, False}
