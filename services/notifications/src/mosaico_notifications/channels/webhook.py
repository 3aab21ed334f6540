"""Outgoing webhooks, signed the Standard Webhooks way (standardwebhooks.com): a JSON
body, ``webhook-id`` (the message id, the same on every attempt, so a receiver drops a
repeat), ``webhook-timestamp`` (Unix seconds of this attempt: receivers refuse one
outside their tolerance window) and ``webhook-signature`` (``v1,`` and the base64
HMAC-SHA256 of ``id.timestamp.body`` with the endpoint's ``whsec_`` secret).

This is where WhatsApp-style providers plug in: the body carries the rendered text and
the recipient (a phone number, say) for the provider to deliver.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

from mosaico_notifications.channels import (
    DeliveryFailed,
    OutgoingMessage,
    ensure_public_destination,
)

#: The event type of every delivery (Standard Webhooks' ``type``).
MESSAGE_TYPE = "notification.message"
#: Answers that another attempt could change: timeouts, conflicts, throttling.
_TRANSIENT_CLIENT_ERRORS = {408, 409, 425, 429}


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    """Where to deliver, and the secret to sign with (never logged: repr hides it)."""

    url: str
    secret: str

    def __repr__(self) -> str:
        return f"WebhookEndpoint({self.url})"


def webhook_body(message: OutgoingMessage, at: datetime) -> str:
    """The JSON a receiver gets."""
    payload: dict[str, Any] = {
        "type": MESSAGE_TYPE,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "data": {
            "id": str(message.id),
            "tenant": message.tenant,
            "template": message.template_key,
            "to": message.recipient,
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
            "data": message.data,
        },
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


class WebhookSender:
    """Delivers one message per call, on the module's HTTP client."""

    def __init__(self, http: httpx.AsyncClient, *, allow_private: bool, timeout: float) -> None:
        self.http = http
        self.allow_private = allow_private
        self.timeout = timeout

    async def send(self, message: OutgoingMessage, endpoint: WebhookEndpoint) -> None:
        """POST the signed message; 2xx is delivered. Redirects are not followed and,
        like other 4xx answers, fail for good; 5xx, 408, 429 and network errors are
        worth another attempt."""
        url = urlsplit(endpoint.url)
        port = url.port or (443 if url.scheme == "https" else 80)
        await ensure_public_destination(url.hostname or "", port, allow_private=self.allow_private)
        at = datetime.now(UTC).replace(microsecond=0)
        body = webhook_body(message, at)
        headers = {
            "content-type": "application/json",
            "user-agent": "Mosaico-Notifications/1",
            **signed_headers(endpoint.secret, str(message.id), at, body),
        }
        try:
            response = await self.http.post(
                endpoint.url,
                content=body.encode(),
                headers=headers,
                timeout=self.timeout,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"webhook: {type(exc).__name__}", permanent=False) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        permanent = 300 <= status < 500 and status not in _TRANSIENT_CLIENT_ERRORS
        raise DeliveryFailed(f"webhook answered {status}", permanent=permanent)
