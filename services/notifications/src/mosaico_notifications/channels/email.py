"""E-mail over SMTP (aiosmtplib): one connection per message, to the tenant's server
or the platform's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

import aiosmtplib

from mosaico_notifications.channels import (
    DeliveryFailed,
    OutgoingMessage,
    ensure_public_destination,
)
from mosaico_notifications.settings import SmtpSecurity

#: The domain of Message-IDs: the same message keeps its id over every attempt, so a
#: mail program can tell a repeat from a new message.
MESSAGE_ID_DOMAIN = "notifications.mosaico"


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to hand e-mail over. ``password`` is never logged (repr hides it)."""

    host: str
    port: int
    security: SmtpSecurity
    sender: str
    username: str | None = None
    password: str | None = None
    timeout: float = 15.0
    #: A tenant's own server is checked like a webhook; the platform's is trusted.
    trusted: bool = True

    def __repr__(self) -> str:
        return f"SmtpServer({self.host}:{self.port}, {self.security})"


def email_message(message: OutgoingMessage, sender: str) -> EmailMessage:
    """The MIME message: plain text with an HTML alternative."""
    email = EmailMessage()
    name, address = parseaddr(sender)
    email["From"] = formataddr((name, address)) if name else address
    email["To"] = message.recipient or ""
    email["Subject"] = message.subject
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = f"<{message.id}@{MESSAGE_ID_DOMAIN}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


class SmtpSender:
    """Sends one e-mail per call."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    async def send(self, message: OutgoingMessage, server: SmtpServer) -> None:
        """Hand the message to ``server``; ``DeliveryFailed`` when it does not take it
        (permanent for a 5xx answer, which another attempt would get again)."""
        if not server.trusted:
            await ensure_public_destination(
                server.host, server.port, allow_private=self.allow_private
            )
        email = email_message(message, server.sender)
        try:
            await aiosmtplib.send(
                email,
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.security == "tls",
                start_tls=server.security == "starttls",
                timeout=server.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [r.code for r in refused.recipients]
            raise DeliveryFailed(
                f"SMTP refused the recipient ({', '.join(map(str, codes))})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except aiosmtplib.SMTPResponseException as answer:
            raise DeliveryFailed(
                f"SMTP answered {answer.code}: {answer.message}", permanent=answer.code >= 500
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(f"SMTP: {type(exc).__name__}: {exc}", permanent=False) from None
