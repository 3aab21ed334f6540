"""Sealed secrets in events: what an event must carry for the one module that acts on
it (an invite's token, for the e-mail that sends the link) travels encrypted, so the
outbox table, JetStream's event log, its replicas and backups hold only ciphertext.

The producer seals with ``Sealer.seal`` and the consumer opens with ``Sealer.open``;
both read their keys from ``MOSAICO_EVENT_SEALING_KEYS`` (``SealingSettings``), a Secret
that only the modules on either end are given. Keys rotate: the setting holds one or
more keys separated by commas, the first seals and every one opens, so a new key goes
first and the old one stays until every event sealed with it has been consumed (or has
expired). Each key is any random text of 32 characters or more (the chart generates 48);
a Fernet key is derived from it with HKDF-SHA256. Sealed values are Fernet tokens
(AES-128-CBC with HMAC-SHA256, ``cryptography``'s ``MultiFernet``).
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger("mosaico.events")

#: The least length of a sealing key (as text).
MIN_KEY_LENGTH = 32
_INFO = b"mosaico event sealing v1"


class SealBroken(Exception):
    """The value was not sealed with any of the keys held here, or was altered."""


def new_sealing_key() -> str:
    """A fresh random sealing key (48 URL-safe characters, 288 bits)."""
    return secrets.token_urlsafe(36)


def split_keys(value: str) -> list[str]:
    """The keys of a ``MOSAICO_EVENT_SEALING_KEYS`` value, first (the sealing one) first."""
    return [key.strip() for key in value.split(",") if key.strip()]


def _fernet(key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class Sealer:
    """Seals with the first key, opens with any."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a sealer needs at least one key")
        short = [n for n, key in enumerate(keys, 1) if len(key) < MIN_KEY_LENGTH]
        if short:
            raise ValueError(
                f"sealing keys must be at least {MIN_KEY_LENGTH} characters (key {short[0]})"
            )
        self._fernet = MultiFernet([_fernet(key) for key in keys])

    def seal(self, secret: str) -> str:
        """``secret`` encrypted and authenticated (URL-safe text)."""
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str, *, max_age_seconds: int | None = None) -> str:
        """The secret ``seal`` sealed; ``SealBroken`` when no key held here sealed it,
        it was altered, or it is older than ``max_age_seconds``."""
        try:
            return self._fernet.decrypt(sealed.encode(), ttl=max_age_seconds).decode()
        except (InvalidToken, ValueError, UnicodeError) as exc:
            raise SealBroken("the sealed value cannot be opened with the keys held here") from exc

    def reseal(self, sealed: str) -> str:
        """``sealed`` sealed again with the first key (after a rotation)."""
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except (InvalidToken, ValueError) as exc:
            raise SealBroken("the sealed value cannot be opened with the keys held here") from exc


class SealingSettings(BaseSettings):
    """The keys of a module that seals or opens secrets in events (identity seals,
    notifications opens); no other module is given them."""

    # A value that fails to parse is never echoed in the error: it holds keys.
    model_config = SettingsConfigDict(
        env_prefix="MOSAICO_", extra="ignore", hide_input_in_errors=True
    )

    #: Comma-separated keys, the sealing one first (in a cluster, the Secret
    #: ``event-sealing-key`` identity's chart generates). Unset, the process seals
    #: with a key of its own that no other process holds: nothing secret is stored in
    #: the clear, but no consumer can open what it seals (a development setup only).
    event_sealing_keys: SecretStr | None = None

    @field_validator("event_sealing_keys")
    @classmethod
    def _keys_are_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        keys = split_keys(value.get_secret_value())
        if not keys:
            raise ValueError("MOSAICO_EVENT_SEALING_KEYS holds no key")
        if any(len(key) < MIN_KEY_LENGTH for key in keys):
            raise ValueError(
                f"every key in MOSAICO_EVENT_SEALING_KEYS must be at least {MIN_KEY_LENGTH} "
                "characters"
            )
        return value

    def sealer(self) -> Sealer:
        """The sealer these settings hold the keys of (see ``event_sealing_keys``)."""
        if self.event_sealing_keys is None:
            logger.warning(
                "events: MOSAICO_EVENT_SEALING_KEYS is not set; secrets in events are "
                "sealed with a key only this process holds, so no consumer can open them",
                extra={"event": "sealing_keys_not_configured"},
            )
            return Sealer([new_sealing_key()])
        return Sealer(split_keys(self.event_sealing_keys.get_secret_value()))
