"""Which queue a callback waits in when it is not an ordinary one: care first, then after a case."""

from __future__ import annotations

from kefu.care import ELDERLY_CARE_QUEUE, special_callback_queue
from kefu.domain.cases import CASE_QUEUE

ALL = {"social", ELDERLY_CARE_QUEUE, CASE_QUEUE}


def test_a_care_customer_waits_for_elderly_care_agents_even_after_a_case() -> None:
    """Care comes before the case: an elderly payer's follow-up goes to the elderly-care queue."""
    assert special_callback_queue(ALL, care=True, after_case=True) == ELDERLY_CARE_QUEUE


def test_a_follow_up_after_a_case_waits_for_the_case_specialists() -> None:
    """A follow-up after an intervention case goes to the queue of the specialists who know the case."""
    assert special_callback_queue(ALL, care=False, after_case=True) == CASE_QUEUE


def test_an_ordinary_callback_is_left_to_the_business_line() -> None:
    """Neither care nor a case: no special queue, the caller chooses by business line."""
    assert special_callback_queue(ALL, care=False, after_case=False) is None


def test_a_special_queue_the_centre_lacks_is_skipped() -> None:
    """Without an elderly-care or case queue defined, the callback falls back to the business line."""
    assert special_callback_queue({"social"}, care=True, after_case=True) is None
    assert special_callback_queue({"social", CASE_QUEUE}, care=True, after_case=True) == CASE_QUEUE
