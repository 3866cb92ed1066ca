"""Family alerts as a JSON POST to a webhook (``KEFU_NOTIFY_WEBHOOK_URL``), e.g. an SMS gateway.

A 2xx answer is the channel's acknowledgement (``delivered``); any other answer or a network error raises,
and the alert is retried with the same ``Idempotency-Key``."""

from __future__ import annotations

import httpx

from kefu.domain.cases import FamilyAlert


class WebhookNotifier:
    def __init__(self, url: str, client: httpx.AsyncClient | None = None, timeout_s: float = 5.0) -> None:
        self.url = url
        self._client = client or httpx.AsyncClient(timeout=timeout_s)

    async def send(self, alert: FamilyAlert) -> bool:
        body = {
            "alert_id": alert.id,
            "case_id": alert.case_id,
            "kind": alert.kind,
            "to": {"name": alert.contact_name, "phone": alert.contact_phone},
            "language": alert.language,
            "message": alert.text_en if alert.language == "en" else alert.text_zh,
            "text": {"zh": alert.text_zh, "en": alert.text_en},
            "at": alert.at.isoformat(),
        }
        response = await self._client.post(self.url, json=body, headers={"Idempotency-Key": alert.id})
        response.raise_for_status()
        return True

    async def aclose(self) -> None:
        await self._client.aclose()
