"""Care policy and keep-your-place: who gets care and when a waiting caller is offered a callback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.care import InvalidCareInput, care_guidance, care_plan, may_offer_callback


def test_elderly_customer_skips_self_service_with_priority() -> None:
    """A customer aged 60 or more goes straight to a human, with a boost, preferring elderly_care agents."""
    plan = care_plan(60, vulnerable=False)
    assert plan.care and plan.skip_self_service
    assert plan.priority_boost > 0
    assert plan.prefer_skill == "elderly_care"
    assert plan.reasons == ("elderly",)


def test_vulnerable_customer_gets_care_at_any_age() -> None:
    """A customer flagged vulnerable gets care even when young or of unknown age."""
    assert care_plan(25, vulnerable=True).care
    assert care_plan(None, vulnerable=True).reasons == ("vulnerable",)


def test_younger_customer_gets_self_service() -> None:
    """A 59-year-old (or unknown age) customer is not in care and may use self-service."""
    for age in (59, None):
        plan = care_plan(age, vulnerable=False)
        assert not plan.care and not plan.skip_self_service
        assert plan.priority_boost == 0 and plan.prefer_skill is None


def test_elderly_age_is_configurable() -> None:
    """A deployment can set the elderly threshold."""
    assert care_plan(55, vulnerable=False, elderly_age=55).care
    assert not care_plan(64, vulnerable=False, elderly_age=65).care


def test_negative_age_is_refused() -> None:
    """A negative age is bad input with a stable code, not a silent default."""
    with pytest.raises(InvalidCareInput) as info:
        care_plan(-1, vulnerable=False)
    assert info.value.code == "invalid_care_input"


@given(st.integers(min_value=0, max_value=130), st.booleans())
def test_care_means_skipping_self_service(age: int, vulnerable: bool) -> None:
    """Whoever is in care is never left with a bot, and only they are."""
    plan = care_plan(age, vulnerable)
    assert plan.skip_self_service == plan.care == (vulnerable or age >= 60)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_guidance_in_both_languages(lang: str) -> None:
    """Care guidance exists in Chinese and English and covers the scam warning."""
    lines = care_guidance(lang)
    assert len(lines) >= 5
    text = " ".join(lines)
    assert ("诈骗" in text) if lang == "zh" else ("scam" in text)


def test_guidance_unknown_language_falls_back_to_chinese() -> None:
    """An agent language kefu has no text for still gets guidance, in the default language."""
    assert care_guidance("fr") == care_guidance("zh")


T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def test_voice_caller_waiting_too_long_is_offered_a_callback() -> None:
    """A voice customer waiting longer than callback_offer_s may keep their place with a callback."""
    assert may_offer_callback("voice", T0, T0 + timedelta(seconds=121))
    assert not may_offer_callback("voice", T0, T0 + timedelta(seconds=120))


def test_only_waiting_voice_customers_are_offered_a_callback() -> None:
    """Chat customers and customers no longer waiting are not offered a callback."""
    later = T0 + timedelta(minutes=10)
    assert not may_offer_callback("chat", T0, later)
    assert not may_offer_callback("voice", T0, later, waiting=False)
    assert may_offer_callback("voice", T0, T0 + timedelta(seconds=31), callback_offer_s=30)
