"""The routing lease: which router of a partition may write, and the fencing token its writes carry.

One row per partition names its holder, a token and when the lease ends. A router acquires the lease when
nobody holds it or the holder let it expire; each new term takes the next token (``token + 1``), so tokens
only grow. Every routing write checks, in its own transaction, that the row still names this holder and
this token: a router that was paused or cut off past its lease finds a newer token there and its writes are
refused (``LeaseLost``), whatever it believes about itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kefu.domain.errors import Unavailable


@dataclass(frozen=True, slots=True)
class Lease:
    """A partition's routing lease as stored."""

    partition: str
    holder: str
    token: int
    expires_at: datetime
    acquired_at: datetime


@dataclass(frozen=True, slots=True)
class Fence:
    """What a routing write must find in the lease row to be allowed."""

    partition: str
    holder: str
    token: int


class LeaseLost(Unavailable):
    """The writer no longer holds the partition's routing lease; another router (or none) does."""

    code = "routing_lease_lost"
    title = "Routing lease lost"


def grant(current: Lease | None, holder: str, now: datetime, until: datetime) -> Lease | None:
    """The lease after ``holder`` asks for it at ``now``, or None if another holder's lease still runs.

    The holder renews its own running lease with the same token; an expired or absent lease starts a new
    term with the next token, even for the same holder (it may have missed writes made meanwhile)."""
    if current is None:
        return Lease("", holder, 1, until, now)
    if current.expires_at > now:
        if current.holder != holder:
            return None
        return Lease(current.partition, holder, current.token, until, current.acquired_at)
    return Lease(current.partition, holder, current.token + 1, until, now)
