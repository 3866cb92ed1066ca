"""Notifier adapters: family alerts (a recording log by default, or a webhook), the signed payment-status
webhook to the payments gateway, and the dialers (a ``tel:`` link, or click-to-call)."""

from kefu.adapters.notify.log import RecordingDialer, RecordingNotifier, RecordingPaymentWebhook
from kefu.adapters.notify.signed import (
    SignedPaymentWebhook,
    TelLinkDialer,
    WebhookDialer,
    signature,
    verify,
)
from kefu.adapters.notify.webhook import WebhookNotifier

__all__ = [
    "RecordingDialer",
    "RecordingNotifier",
    "RecordingPaymentWebhook",
    "SignedPaymentWebhook",
    "TelLinkDialer",
    "WebhookDialer",
    "WebhookNotifier",
    "signature",
    "verify",
]
