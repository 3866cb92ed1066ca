"""Masking of personal data for roles that do not need to see it."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``: enough to confirm with the caller, not enough to dial."""
    if phone is None:
        return None
    if "*" in phone:  # already masked: masking twice must not hide the digits we meant to keep
        return phone
    digits_at = [i for i, ch in enumerate(phone) if ch.isdigit()]
    n = len(digits_at)
    # Keep the last four (two for short numbers) and up to three leading digits, but always hide at least
    # four digits and a third of them, so a short landline is not left almost whole.
    tail = 4 if n >= 8 else 2
    hide_at_least = max(4, -(-n // 3))
    head = max(0, min(3, n - tail - hide_at_least))
    hidden = set(digits_at[head : n - tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(phone))
