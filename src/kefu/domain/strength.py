"""How guessable a password or a signing secret is: the rules prod enforces (see docs/security.md).

A prod password has at least 12 characters, is not (around some digits and symbols) one of the shipped
common passwords, is not a run of the alphabet, the digits or a keyboard row, has at least five different
characters and does not contain the username. A prod secret has at least 32 characters, at least eight
different ones, about 96 bits by a crude estimate (length x log2 of the distinct characters) and is no run.
"""

from __future__ import annotations

import math
import re
from functools import cache
from importlib import resources

PROD_MIN_PASSWORD = 12
PROD_MIN_SECRET = 32
# Runs people type: alphabet, digits, keyboard rows and columns; doubled so a run may wrap around.
_RUNS = tuple(
    s * 2
    for s in (
        "abcdefghijklmnopqrstuvwxyz",
        "0123456789",
        "qwertyuiopasdfghjklzxcvbnm",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
        "zaq1xsw2cde3vfr4bgt5nhy6mju7",
    )
)
_AROUND = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("kefu.domain").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _is_run(text: str) -> bool:
    """Whether ``text`` (lower case) is a stretch of a run, either way, or a shorter piece repeated."""
    if len(set(text)) <= 1 or text in (text + text)[1:-1]:
        return True
    return any(text in run or text[::-1] in run for run in _RUNS)


def weak_password_reason(password: str, username: str | None = None) -> str | None:
    """Why ``password`` is too easy to guess for prod, or None when it is acceptable."""
    if len(password) < PROD_MIN_PASSWORD:
        return f"password must have at least {PROD_MIN_PASSWORD} characters"
    lower = password.lower()
    match = _AROUND.match(lower)
    core = match.group(1) if match else lower
    common = common_passwords()
    if lower in common or core in common or not core:
        return "password is too common"
    if _is_run(lower) or _is_run(core):
        return "password is a run of letters, digits or keys"
    if len(set(password)) < 5:
        return "password must have at least 5 different characters"
    if username and len(username) >= 3 and username.lower() in lower:
        return "password must not contain the username"
    return None


def weak_secret(secret: str) -> bool:
    """Whether a signing secret is too short or too regular to be a random value."""
    distinct = len(set(secret))
    if len(secret) < PROD_MIN_SECRET or distinct < 8:
        return True
    if len(secret) * math.log2(distinct) < 96:
        return True
    return _is_run(secret.lower()) or secret.lower() in common_passwords()
