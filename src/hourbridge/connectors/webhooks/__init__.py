"""Outbound webhooks after Standard Webhooks (https://www.standardwebhooks.com/, spec
``spec/standard-webhooks.md``): signed POSTs to subscribed receivers."""

from __future__ import annotations

from .sender import WebhookSender
from .signing import new_secret, sign, verify

__all__ = ["WebhookSender", "new_secret", "sign", "verify"]
