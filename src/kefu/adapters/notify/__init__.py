"""Notifier adapters: where family alerts go (a recording log by default, or a webhook)."""

from kefu.adapters.notify.log import RecordingNotifier
from kefu.adapters.notify.webhook import WebhookNotifier

__all__ = ["RecordingNotifier", "WebhookNotifier"]
