"""The customer's words after a self-service answer: not helped hands over, solved resolves."""

from __future__ import annotations

import pytest

from kefu.care import says_not_helped, says_solved


@pytest.mark.parametrize("text", ["没解决", "还是不行", "看不懂", "This didn't help", "still not working"])
def test_not_helped_phrases_are_recognised(text: str) -> None:
    """Saying the answer did not help, in Chinese or English, is recognised."""
    assert says_not_helped(text)


@pytest.mark.parametrize("text", ["解决了，谢谢", "好了", "Thanks, that helped", "SOLVED"])
def test_solved_phrases_are_recognised_and_are_not_complaints(text: str) -> None:
    """Saying it is solved is recognised, and not mistaken for not helped."""
    assert says_solved(text)
    assert not says_not_helped(text)


def test_not_solved_contains_solved_so_not_helped_is_checked_first() -> None:
    """ "没解决" contains "解决": it reads as not helped, which callers check before solved."""
    assert says_not_helped("没解决")


def test_a_new_question_is_neither() -> None:
    """A different question is neither solved nor a complaint about the answer."""
    assert not says_solved("退款多久到账")
    assert not says_not_helped("退款多久到账")
