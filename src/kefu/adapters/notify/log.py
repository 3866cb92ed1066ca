"""The default notifier: logs each family alert and keeps the recent ones in memory (tests read them).

A log is no delivery: ``send`` answers False (not acknowledged) unless built with ``acknowledge=True``,
which stands in for a channel that confirms receipt (tests of the delivered path)."""

from __future__ import annotations

from collections import deque

import structlog

from kefu.domain.cases import FamilyAlert
from kefu.domain.privacy import mask_phone

log = structlog.get_logger("kefu.notify")


class RecordingNotifier:
    def __init__(self, keep: int = 1000, acknowledge: bool = False) -> None:
        self.sent: deque[FamilyAlert] = deque(maxlen=keep)
        self.acknowledge = acknowledge

    async def send(self, alert: FamilyAlert) -> bool:
        self.sent.append(alert)
        log.info(
            "family alert",
            case_id=alert.case_id,
            kind=alert.kind,
            to=alert.contact_name,
            phone=mask_phone(alert.contact_phone),
            language=alert.language,
        )
        return self.acknowledge
