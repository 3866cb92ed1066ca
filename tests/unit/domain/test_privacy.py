"""Masking of phone numbers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.privacy import mask_phone

phones = st.from_regex(r"\+?[0-9]{6,15}", fullmatch=True)


def test_the_usual_chinese_mobile_number() -> None:
    """A mainland mobile number keeps its carrier prefix and last four digits."""
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) is None


@given(phones)
def test_masking_keeps_length_and_last_four_and_hides_the_middle(phone: str) -> None:
    """Same shape, same last digits (four, or two if short), at least four and a third hidden."""
    masked = mask_phone(phone)
    assert masked is not None
    assert len(masked) == len(phone)
    digits = sum(ch.isdigit() for ch in phone)
    tail = 4 if digits >= 8 else 2
    assert masked[-tail:] == phone[-tail:]
    assert masked.count("*") >= min(digits - tail, max(4, -(-digits // 3)))
    assert sum(ch.isdigit() for ch in masked) <= 7


@given(phones)
def test_masking_twice_changes_nothing(phone: str) -> None:
    """Masking is idempotent, so a view masked upstream is not masked into nothing."""
    once = mask_phone(phone)
    assert mask_phone(once) == once


def test_short_numbers_show_only_their_last_two_digits() -> None:
    """Short numbers keep only two digits visible."""
    assert mask_phone("1234") == "**34"
    assert mask_phone("62345678") == "****5678"
