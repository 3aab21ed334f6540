"""How a message leaves Mosaico: e-mail over SMTP (``email.py``) and Standard Webhooks
(``webhook.py``, where WhatsApp-style providers plug in). Each sender either returns
(the other side accepted the message) or raises ``DeliveryFailed``, saying whether
another attempt could succeed."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email

Channel = Literal["email", "webhook"]


class DeliveryFailed(Exception):
    """The other side did not take the message. ``permanent``: trying again cannot
    help (an address refused, a bad request); otherwise a later attempt may."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason[:500]
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A rendered message on its way out."""

    id: uuid.UUID
    tenant: str
    channel: Channel
    recipient: str | None
    template_key: str
    subject: str
    html: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


async def ensure_public_destination(host: str, port: int, *, allow_private: bool) -> None:
    """Refuse (permanently) a destination that resolves to a loopback, private,
    link-local or otherwise non-public address, unless such addresses are allowed:
    a tenant's webhook must not reach the cluster's own services."""
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DeliveryFailed(
            f"{host} does not resolve ({exc.strerror or exc})", permanent=False
        ) from None
    for *_, address in infos:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            raise DeliveryFailed(f"{host} is not a public address", permanent=True)


def is_public_literal(host: str) -> bool:
    """False for an IP literal that is not public; True for a name or a public IP (a
    name is checked again when it is resolved, at each send)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_global
    except ValueError:
        return host.lower() not in ("localhost", "localhost.localdomain")


def checked_recipient(channel: Channel, to: str | None) -> str | None:
    """``to`` as the channel takes it: an e-mail address (checked, domain lower-cased)
    for e-mail, any single line of text (a phone number, an id) for webhooks. Raises
    ``ValueError`` saying what is wrong."""
    if to is None:
        return None
    if channel == "email":
        try:
            return validate_email(to, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValueError("not a valid e-mail address") from None
    if any(ord(c) < 32 or ord(c) == 127 for c in to):
        raise ValueError("a recipient is one line of text, without control characters")
    return to
