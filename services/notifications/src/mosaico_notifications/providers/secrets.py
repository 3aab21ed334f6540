"""What tenants store as secrets (SMTP passwords, webhook signing secrets), encrypted
with AES-256-GCM under a key derived from ``MOSAICO_PROVIDER_SECRETS_KEY``.

Each secret is bound to its tenant and channel (the associated data), so a row copied
into another tenant's database, or onto another channel, does not open.
"""

from __future__ import annotations

import logging
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mosaico_notifications.settings import NotificationsSettings

logger = logging.getLogger("mosaico.notifications")

_VERSION = b"\x01"
_NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """A stored secret does not open with this key (another key, another tenant)."""


class SecretBox:
    """Seals and opens provider secrets with one key."""

    def __init__(self, passphrase: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"mosaico-notifications-provider"
        ).derive(passphrase.encode())
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "SecretBox(**********)"

    def seal(self, secret: str, *, tenant: str, channel: str) -> bytes:
        """The secret encrypted for ``tenant``'s ``channel``."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), _bound_to(tenant, channel))
        return _VERSION + nonce + sealed

    def open(self, sealed: bytes, *, tenant: str, channel: str) -> str:
        """The secret ``seal`` encrypted for the same tenant and channel."""
        if sealed[:1] != _VERSION:
            raise SecretUnreadable("unknown secret format")
        nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, ciphertext, _bound_to(tenant, channel)).decode()
        except InvalidTag:
            raise SecretUnreadable("the secret does not open with this key") from None


def provider_secret_box(settings: NotificationsSettings) -> SecretBox:
    """The box of ``MOSAICO_PROVIDER_SECRETS_KEY``. Unset (a development setup), a key of
    this process's own: secrets are still never stored in the clear, but what it seals
    does not open in any other process, nor after a restart."""
    if settings.provider_secrets_key is not None:
        return SecretBox(settings.provider_secrets_key.get_secret_value())
    logger.warning(
        "notifications: MOSAICO_PROVIDER_SECRETS_KEY is not set; provider secrets are "
        "sealed with a key only this process holds",
        extra={"event": "provider_secrets_key_not_configured"},
    )
    return SecretBox(secrets.token_urlsafe(36))


def _bound_to(tenant: str, channel: str) -> bytes:
    return f"{tenant}/{channel}".encode()
