"""Keep your place: a customer waiting too long in a voice queue may take a callback instead of waiting.

Only voice: a chat customer can leave the window open and carry on, a caller is stuck holding the phone.
The callback keeps the customer's place in line; that bookkeeping belongs to routing, not here.
"""

from __future__ import annotations

from datetime import datetime

CALLBACK_OFFER_S = 120


def may_offer_callback(
    channel: str,
    waiting_since: datetime,
    now: datetime,
    callback_offer_s: int = CALLBACK_OFFER_S,
    waiting: bool = True,
) -> bool:
    """True when a ``voice`` conversation still waiting has waited longer than ``callback_offer_s``."""
    if channel != "voice" or not waiting:
        return False
    return (now - waiting_since).total_seconds() > callback_offer_s
