"""Signed webhooks: kefu's POSTs to the payments gateway and to the telephony platform.

Every body is JSON sent exactly as stored, with ``X-Kefu-Signature: t=<unix seconds>,v1=<hex>`` where the hex
is HMAC-SHA256 under the shared secret of ``"<t>.<body>"`` (the Stripe scheme: the receiver recomputes it,
compares in constant time and refuses an old ``t``). ``X-Kefu-Event-Id`` carries the id the receiver
deduplicates by: a retry sends the same id and body with a fresh signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from kefu.domain.clock import Clock
from kefu.domain.payments import WebhookDelivery
from kefu.services.ports import DialResult

SIGNATURE_HEADER = "X-Kefu-Signature"
EVENT_ID_HEADER = "X-Kefu-Event-Id"


def canonical_json(body: dict[str, Any]) -> bytes:
    """The bytes kefu sends and signs: compact, keys sorted, UTF-8."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Kefu-Signature`` value for one body at one time."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver does (and the docs show): recompute, compare in constant time, refuse stale times."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


class _Signed:
    def __init__(
        self, url: str, secret: str, clock: Clock, client: httpx.AsyncClient | None, timeout_s: float
    ):
        self.url = url
        self._secret = secret
        self._clock = clock
        self._client = client or httpx.AsyncClient(timeout=timeout_s)

    async def _post(self, event_id: str, body: dict[str, Any]) -> httpx.Response:
        raw = canonical_json(body)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self._secret, int(self._clock.now().timestamp()), raw),
            EVENT_ID_HEADER: event_id,
        }
        response = await self._client.post(self.url, content=raw, headers=headers)
        response.raise_for_status()
        return response

    async def aclose(self) -> None:
        await self._client.aclose()


class SignedPaymentWebhook(_Signed):
    """Payment status changes to the payments gateway (``KEFU_PAYMENT_WEBHOOK_URL``); raises unless 2xx."""

    def __init__(
        self,
        url: str,
        secret: str,
        clock: Clock,
        client: httpx.AsyncClient | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        super().__init__(url, secret, clock, client, timeout_s)

    async def deliver(self, delivery: WebhookDelivery) -> None:
        await self._post(delivery.id, delivery.body)


class TelLinkDialer:
    """The default dialer: a ``tel:`` link the workspace opens on the agent's own phone."""

    async def dial(self, case_id: str, extension: str, number: str) -> DialResult:
        digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
        return DialResult(placed=False, link=f"tel:{digits}")


class WebhookDialer(_Signed):
    """Click-to-call: asks the centre's telephony platform (``KEFU_DIALER_WEBHOOK_URL``) to ring the agent's
    extension and then the number; the platform's ``call_id`` (if it answers one) is the call's reference."""

    def __init__(
        self,
        url: str,
        secret: str,
        clock: Clock,
        client: httpx.AsyncClient | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        super().__init__(url, secret, clock, client, timeout_s)

    async def dial(self, case_id: str, extension: str, number: str) -> DialResult:
        call_id = f"call-{case_id}-{int(self._clock.now().timestamp() * 1000)}"
        body = {"call_id": call_id, "case_id": case_id, "extension": extension, "number": number}
        response = await self._post(call_id, body)
        reference = call_id
        try:
            answered = response.json()
        except ValueError:
            answered = None
        if isinstance(answered, dict) and isinstance(answered.get("call_id"), str):
            reference = answered["call_id"][:128]
        return DialResult(placed=True, reference=reference)
