"""The default notifier: logs each family alert and keeps the recent ones in memory (tests read them);
and recording fakes of the payments gateway and the telephony platform.

A log is no delivery: ``send`` answers False (not acknowledged) unless built with ``acknowledge=True``,
which stands in for a channel that confirms receipt (tests of the delivered path)."""

from __future__ import annotations

from collections import deque

import structlog

from kefu.domain.cases import FamilyAlert
from kefu.domain.payments import WebhookDelivery
from kefu.domain.privacy import mask_phone
from kefu.services.ports import DialResult

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


class RecordingPaymentWebhook:
    """A payments gateway that keeps what it was sent; ``refuse`` the next n deliveries (tests)."""

    def __init__(self) -> None:
        self.sent: list[WebhookDelivery] = []
        self.refuse = 0

    async def deliver(self, delivery: WebhookDelivery) -> None:
        if self.refuse > 0:
            self.refuse -= 1
            raise ConnectionError("the gateway did not acknowledge")
        self.sent.append(delivery)


class RecordingDialer:
    """A telephony platform that keeps the calls it was asked to place (tests)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    async def dial(self, case_id: str, extension: str, number: str) -> DialResult:
        self.calls.append((case_id, extension, number))
        return DialResult(placed=True, reference=f"call-{len(self.calls)}")
