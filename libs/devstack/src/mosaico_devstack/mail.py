"""A local SMTP server (aiosmtpd) that keeps every message it receives: in memory, for
tests to read, and in a Maildir (``make up``: open it with any mail program, or read
the files in ``<maildir>/new``). It can also refuse recipients, for good (5xx) or for a
number of times (4xx), as a real server would."""

from __future__ import annotations

import mailbox
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from mosaico_devstack.ports import free_port


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the server took it."""

    sender: str
    recipients: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def part(self, subtype: str) -> str:
        """The ``text/<subtype>`` body (``plain`` or ``html``), lines ending in ``\n`` (on
        the wire they end in CRLF)."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, subtype
        assert body.get_content_subtype() == subtype, subtype
        content = body.get_content()
        assert isinstance(content, str)
        return content.replace("\r\n", "\n")


@dataclass
class _Handler:
    maildir: mailbox.Maildir | None
    received: list[ReceivedMail] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    failing: dict[str, tuple[int, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        key = address.lower()
        with self.lock:
            if key in self.refused:
                return self.refused[key]
            if key in self.failing:
                times, answer = self.failing[key]
                if times > 1:
                    self.failing[key] = (times - 1, answer)
                else:
                    del self.failing[key]
                return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        mail = ReceivedMail(str(envelope.mail_from), tuple(envelope.rcpt_tos), raw)
        with self.lock:
            self.received.append(mail)
            if self.maildir is not None:
                self.maildir.add(raw)
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class _Authenticator:
    logins: dict[str, str]

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if self.logins.get(user) == password:
                return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)


class MailSink:
    """An SMTP server on loopback, in this process (a thread of its own)."""

    def __init__(
        self,
        maildir: Path | None = None,
        *,
        port: int | None = None,
        logins: dict[str, str] | None = None,
    ) -> None:
        """``logins`` (user -> password): the server then demands AUTH and takes only
        those (over plain SMTP: it only ever listens on loopback)."""
        self.port = port or free_port()
        self.maildir_path = maildir
        box = mailbox.Maildir(maildir, create=True) if maildir is not None else None
        self._handler = _Handler(box)
        auth: dict[str, Any] = {}
        if logins is not None:
            auth = {"auth_required": True, "auth_require_tls": False,
                    "authenticator": _Authenticator(logins)}  # fmt: skip
        self._controller = Controller(
            self._handler, hostname="127.0.0.1", port=self.port, decode_data=False,
            enable_SMTPUTF8=True, server_hostname="mosaico-mail-sink", **auth,
        )  # fmt: skip

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[ReceivedMail]:
        """Everything received so far, oldest first."""
        with self._handler.lock:
            return list(self._handler.received)

    def messages_to(self, address: str) -> list[ReceivedMail]:
        """What ``address`` received, oldest first."""
        wanted = address.lower()
        return [m for m in self.messages if wanted in (r.lower() for r in m.recipients)]

    def refuse(self, address: str, answer: str = "550 5.1.1 No such user here") -> None:
        """Refuse ``address`` from now on."""
        with self._handler.lock:
            self._handler.refused[address.lower()] = answer

    def fail(self, address: str, times: int, answer: str = "451 4.3.0 Try again later") -> None:
        """Refuse ``address`` with a temporary error ``times`` times, then take it."""
        with self._handler.lock:
            self._handler.failing[address.lower()] = (times, answer)
