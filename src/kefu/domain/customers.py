"""Customers: the people who contact us or pay."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from kefu.domain.errors import InvalidInput
from kefu.domain.vocabulary import Language

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,22}[0-9]$")


def check_phone(phone: str | None, field: str = "phone") -> str | None:
    """Accept the usual written forms of a phone number, reject anything else with a clear message."""
    if phone is None:
        return None
    cleaned = phone.strip()
    if not _PHONE.match(cleaned):
        raise InvalidInput(f"{field} must be a phone number of 6 to 24 digits", field=field)
    return cleaned


@dataclass(frozen=True, slots=True)
class TrustedContact:
    """A family member or carer we may alert when the customer is targeted by a scam."""

    name: str
    phone: str
    relation: str
    language: str | None = None  # what alerts to them are written in (None: the customer's language)


@dataclass(slots=True)
class Customer:
    id: str
    external_id: str
    name: str
    language: Language
    created_at: datetime
    updated_at: datetime
    phone: str | None = None
    birth_date: date | None = None
    vulnerable: bool = False
    # A VIP customer: routing rules may send their contacts to a queue of their own.
    vip: bool = False
    trusted_contact: TrustedContact | None = None
    home_site: str | None = None
    # The integration (user id) that registered the customer: that customer channel alone acts for it.
    # None: registered by staff, shared by every integration.
    registered_by: str | None = None

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - (0 if had_birthday else 1)

    def is_elderly(self, day: date, elderly_age: int) -> bool:
        age = self.age_on(day)
        return age is not None and age >= elderly_age

    def needs_care(self, day: date, elderly_age: int) -> bool:
        """Elderly or vulnerable customers are served first and by trained agents."""
        return self.vulnerable or self.is_elderly(day, elderly_age)


def check_birth_date(birth_date: date | None, today: date) -> date | None:
    if birth_date is None:
        return None
    if birth_date > today:
        raise InvalidInput("birth_date cannot be in the future", field="birth_date")
    if today.year - birth_date.year > 130:
        raise InvalidInput("birth_date is more than 130 years ago", field="birth_date")
    return birth_date
