"""Masking of personal data for roles that do not need to see it."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``: enough to confirm with the caller, not enough to dial."""
    if phone is None:
        return None
    if "*" in phone:  # already masked: masking twice must not hide the digits we meant to keep
        return phone
    digits_at = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits_at) <= 4:
        return "*" * len(phone)
    keep_head = 3 if len(digits_at) >= 8 else 0
    hidden = set(digits_at[keep_head:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(phone))
