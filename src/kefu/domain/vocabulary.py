"""The fixed words of the service centre (see DESIGN.md): channels, roles, presences, skills.

Business lines and sites are configurable and live in ``Settings``; everything here is part of the API.
"""

from __future__ import annotations

from typing import Literal, get_args

Channel = Literal["chat", "voice", "callback"]
CHANNELS: tuple[str, ...] = get_args(Channel)

Role = Literal["admin", "supervisor", "agent", "integration"]
ROLES: tuple[str, ...] = get_args(Role)

Presence = Literal["available", "away", "offline"]
PRESENCES: tuple[str, ...] = get_args(Presence)

Language = Literal["zh", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)

# ``self_service``: the knowledge base answered and the customer may still ask for a person (see care).
ConversationStatus = Literal["queued", "assigned", "resolved", "closed", "abandoned", "self_service"]

# Skills beyond the business lines themselves.
SPECIAL_SKILLS: tuple[str, ...] = ("anti_fraud", "elderly_care", "lang_zh", "lang_en")
MIN_SKILL_LEVEL = 1
MAX_SKILL_LEVEL = 5
MAX_CAPACITY_PER_CHANNEL = 20


def known_skills(business_lines: tuple[str, ...]) -> frozenset[str]:
    """Every skill an agent may have: the business lines plus the special skills."""
    return frozenset(business_lines) | frozenset(SPECIAL_SKILLS)
