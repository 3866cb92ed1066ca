"""Response bodies of the wallboard snapshot and of the event stream's tickets."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from kefu.entrypoints.api.schemas import Out, QueueStatsOut


class WallboardQueueOut(Out):
    id: str
    name: str
    business_line: str
    stats: QueueStatsOut
    below_target: bool = Field(description="last 15 minutes' service level is under the queue's target")


class WallboardSiteOut(Out):
    site: str
    name: str
    name_zh: str
    agents: dict[str, int] = Field(description="agents by state: available, busy, away, offline")


class WallboardOut(Out):
    at: datetime
    queues: list[WallboardQueueOut]
    sites: list[WallboardSiteOut]


class StreamTicketOut(Out):
    ticket: str = Field(
        description="pass as ?ticket= to GET /api/v1/stream; valid one minute, for the stream only"
    )
    expires_at: datetime
