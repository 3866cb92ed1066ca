"""Customers: age, elderly, phone and birth-date checks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.customers import Customer, check_birth_date, check_phone
from kefu.domain.errors import InvalidInput

NOW = datetime(2026, 6, 15, tzinfo=UTC)


def customer(birth: date | None, vulnerable: bool = False) -> Customer:
    return Customer("c", "e", "王奶奶", "zh", NOW, NOW, birth_date=birth, vulnerable=vulnerable)


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (date(1966, 6, 15), date(2026, 6, 15), 60),
        (date(1966, 6, 16), date(2026, 6, 15), 59),
        (date(1944, 2, 29), date(2026, 2, 28), 81),
        (date(1944, 2, 29), date(2026, 3, 1), 82),
    ],
)
def test_age_counts_whole_years_including_birthdays_today(birth: date, today: date, age: int) -> None:
    """Age turns over on the birthday itself, and leap-day birthdays turn over on 1 March."""
    assert customer(birth).age_on(today) == age


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 6, 15)), st.integers(40, 100))
def test_elderly_means_at_least_the_threshold_age(birth: date, threshold: int) -> None:
    """is_elderly agrees with age_on for every birth date and threshold."""
    c = customer(birth)
    age = c.age_on(date(2026, 6, 15))
    assert age is not None
    assert c.is_elderly(date(2026, 6, 15), threshold) == (age >= threshold)


def test_vulnerable_customers_need_care_at_any_age() -> None:
    """Vulnerability alone is enough for care; an unknown age alone is not."""
    assert customer(None, vulnerable=True).needs_care(date(2026, 1, 1), 60)
    assert not customer(None).needs_care(date(2026, 1, 1), 60)


@pytest.mark.parametrize("phone", ["13812345678", "+86 138 1234 5678", "021-6234-5678"])
def test_written_forms_of_phone_numbers_are_accepted(phone: str) -> None:
    """Spaces, dashes and a leading + are fine."""
    assert check_phone(phone) == phone


@pytest.mark.parametrize("phone", ["", "call me", "12", "138123456789012345678901234", "138-"])
def test_non_numbers_are_refused(phone: str) -> None:
    """Anything that is not a phone number gets a clear InvalidInput naming the field."""
    with pytest.raises(InvalidInput) as err:
        check_phone(phone)
    assert err.value.fields["field"] == "phone"


def test_birth_dates_in_the_future_or_absurd_past_are_refused() -> None:
    """Birth dates must lie within the last 130 years."""
    with pytest.raises(InvalidInput):
        check_birth_date(date(2027, 1, 1), date(2026, 1, 1))
    with pytest.raises(InvalidInput):
        check_birth_date(date(1850, 1, 1), date(2026, 1, 1))
    assert check_birth_date(date(1940, 1, 1), date(2026, 1, 1)) == date(1940, 1, 1)
