"""Canned responses: replies an agent inserts with a ``/`` shortcut, in Chinese or English, with variables
filled in from the conversation at hand (``{customer_name}``, ``{agent_name}``).

Supervisors and admins write them; every agent reads them. A shortcut is unique per language, so ``/greet``
means one text in ``zh`` and one in ``en``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import datetime

from kefu.domain.commands import Command
from kefu.domain.errors import InvalidInput
from kefu.domain.vocabulary import Language

VARIABLES: tuple[str, ...] = ("customer_name", "agent_name")
SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(slots=True)
class CannedResponse:
    id: str
    shortcut: str
    title: str
    body: str
    language: Language
    created_by: str | None
    created_at: datetime
    updated_at: datetime


def check(shortcut: str, title: str, body: str) -> None:
    """Refuse a shortcut that is not a short lower-case word, a blank title or body, and unknown variables
    (a typo such as ``{customer}`` would otherwise reach the customer as written)."""
    if not SHORTCUT.match(shortcut):
        raise InvalidInput(
            "shortcut: 1-32 of a-z, 0-9, _ and -, starting with a letter or digit", field="shortcut"
        )
    if not title.strip():
        raise InvalidInput("title must not be blank", field="title")
    if not body.strip():
        raise InvalidInput("body must not be blank", field="body")
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(body) if name is not None]
    except ValueError as exc:
        raise InvalidInput(f"body: {exc}; write {{{{ and }}}} for literal braces", field="body") from exc
    unknown = sorted({n for n in names if n not in VARIABLES})
    if unknown:
        raise InvalidInput(
            f"body: unknown variables {', '.join(unknown)}; known: {', '.join(VARIABLES)}", field="body"
        )


@dataclass(frozen=True, slots=True)
class CreateCannedResponse(Command[CannedResponse]):
    shortcut: str
    title: str
    body: str
    language: Language


@dataclass(frozen=True, slots=True)
class UpdateCannedResponse(Command[CannedResponse]):
    response_id: str
    shortcut: str
    title: str
    body: str
    language: Language


@dataclass(frozen=True, slots=True)
class DeleteCannedResponse(Command[CannedResponse]):
    response_id: str
