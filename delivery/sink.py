"""A local SMTP sink for development (``foiflow up``) and tests: a real SMTP server (aiosmtpd)
that keeps every message it receives as an ``.eml`` file in a folder, so a newcomer can read
every message foiflow sent with nothing configured, and the dispatcher can ask whether a
Message-ID arrived after an interrupted send.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class SinkMessage:
    path: Path
    received_at: datetime
    message_id: str
    mail_from: str
    to: list[str]  # the envelope's recipients
    subject: str
    date: datetime | None
    reference: str
    kind: str
    text: str
    html: str


def _digest(message_id: str) -> str:
    return hashlib.sha256(message_id.strip().encode()).hexdigest()[:24]


def _part(mail: EmailMessage, subtype: str) -> str:
    part = mail.get_body(preferencelist=(subtype,))
    return "" if part is None else str(part.get_content())


class Mailbox:
    """A folder of received messages, one ``.eml`` file each (``<ns>-<hash of Message-ID>``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def store(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
        mail = message_from_bytes(content, policy=policy.default)
        digest = _digest(str(mail.get("Message-ID", "")))
        envelope = (
            f"X-Sink-Envelope-From: {mail_from}\r\nX-Sink-Envelope-To: {', '.join(rcpt_tos)}\r\n"
        )
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{time.time_ns():020d}-{digest}.eml"
            temporary = path.with_suffix(".part")
            temporary.write_bytes(envelope.encode() + content)
            temporary.rename(path)  # readers never see half a message
        return path

    def received(self, message_id: str) -> bool:
        """Whether a message with this Message-ID arrived."""
        return any(self.directory.glob(f"*-{_digest(message_id)}.eml"))

    def count(self, message_id: str) -> int:
        return len(list(self.directory.glob(f"*-{_digest(message_id)}.eml")))

    def messages(self) -> list[SinkMessage]:
        """Every message received, oldest first."""
        if not self.directory.is_dir():
            return []
        return [self._read(p) for p in sorted(self.directory.glob("*.eml"))]

    def _read(self, path: Path) -> SinkMessage:
        mail: EmailMessage = message_from_bytes(path.read_bytes(), policy=policy.default)
        date_header = mail.get("Date")
        ns = int(path.name.split("-", 1)[0])
        return SinkMessage(
            path=path,
            received_at=datetime.fromtimestamp(ns / 1e9, UTC),
            message_id=str(mail.get("Message-ID", "")),
            mail_from=str(mail.get("X-Sink-Envelope-From", "")),
            to=[a.strip() for a in str(mail.get("X-Sink-Envelope-To", "")).split(",") if a],
            subject=str(mail.get("Subject", "")),
            date=parsedate_to_datetime(str(date_header)) if date_header else None,
            reference=str(mail.get("X-Foiflow-Reference", "")),
            kind=str(mail.get("X-Foiflow-Kind", "")),
            text=_part(mail, "plain"),
            html=_part(mail, "html"),
        )


class SinkHandler:
    """aiosmtpd's handler: every message is accepted and kept."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        self.mailbox.store(str(envelope.mail_from), list(envelope.rcpt_tos), content)
        return "250 Message accepted for delivery"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


class MailSink:
    """The sink's SMTP server, on its own thread (it serves whatever loop the caller runs)."""

    def __init__(
        self, mailbox: Mailbox, host: str = "127.0.0.1", port: int = 0, handler: Any = None
    ) -> None:
        self.mailbox = mailbox
        self.host = host
        self.port = port or free_port(host)
        self.controller = Controller(
            handler if handler is not None else SinkHandler(mailbox),
            hostname=host,
            port=self.port,
        )

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sink(directory: Path, host: str = "127.0.0.1", port: int = 0) -> MailSink:
    """Start a sink keeping messages under ``directory``; ``stop()`` it when done."""
    return MailSink(Mailbox(directory), host, port).start()
