"""The channels a message can take: email over SMTP, a signed JSON webhook (chat channels), and
GOV.UK Notify through its official client.

Each channel sends one ``Outgoing`` message and raises ``DeliveryError`` when it did not go,
saying whether trying again may help. Each can also be asked, after a dispatcher stopped between
sending and recording, whether a message went (``confirm``): True, False, or None when it cannot
tell — then the dispatcher does not send again blind.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Literal, Protocol

import httpx
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

SIGNATURE_HEADER = "X-Foiflow-Signature"
TIMESTAMP_HEADER = "X-Foiflow-Timestamp"
SIGNATURE_TOLERANCE_S = 300


class DeliveryError(Exception):
    """A send that did not happen. ``permanent``: trying again cannot help (a refused address,
    a rejected request); otherwise the dispatcher retries with backoff."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """One rendered message for one recipient."""

    key: str  # the outbox's idempotency key
    message_id: str  # derived from the key and the recipient
    reference: str
    kind: str
    audience: str
    recipient: str
    address: str  # email address or webhook URL
    recipient_name: str
    subject: str
    text: str
    html: str
    link: str | None
    sent_at: datetime  # the dispatcher's clock, in the authority's zone
    target: str = ""  # a Notify template id
    extra_headers: dict[str, str] = field(default_factory=dict)


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> None: ...

    def confirm(self, message: Outgoing) -> bool | None: ...


# --- Email over SMTP -------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Literal["none", "starttls", "tls"] = "none"
    username: str = ""
    password: str = ""
    timeout: float = 30
    mail_from: str = "FOI team <foi@foiflow.localhost>"


def email_message(message: Outgoing, mail_from: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = mail_from
    mail["To"] = message.address
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.sent_at)
    mail["Message-ID"] = message.message_id
    # What the message is about, for mail rules and the outbox page: never who asked.
    mail["X-Foiflow-Reference"] = message.reference
    mail["X-Foiflow-Kind"] = message.kind
    mail["X-Foiflow-Key"] = message.key
    for name, value in message.extra_headers.items():
        mail[name] = value
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


class SmtpChannel:
    """Email through an SMTP server; ``confirmer`` (the local sink's mailbox) answers whether a
    Message-ID arrived — a real relay cannot be asked, so without one the answer is None."""

    name = "email"

    def __init__(
        self, settings: SmtpSettings, confirmer: Callable[[str], bool] | None = None
    ) -> None:
        self.settings = settings
        self.confirmer = confirmer

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            return smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp

    def send(self, message: Outgoing) -> None:
        mail = email_message(message, self.settings.mail_from)
        try:
            with self._connect() as smtp:
                if self.settings.username:
                    smtp.login(self.settings.username, self.settings.password)
                smtp.send_message(mail, to_addrs=[message.address])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"SMTP refused {message.address}: {exc.recipients}",
                permanent=all(500 <= c < 600 for c in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            error = exc.smtp_error
            reply = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
            raise DeliveryError(
                f"SMTP {exc.smtp_code} {reply}".strip(), permanent=500 <= exc.smtp_code < 600
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            where = f"{self.settings.host}:{self.settings.port}"
            raise DeliveryError(f"SMTP server {where}: {exc or type(exc).__name__}") from None

    def confirm(self, message: Outgoing) -> bool | None:
        return None if self.confirmer is None else self.confirmer(message.message_id)


# --- JSON webhook ----------------------------------------------------------------------------


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``{timestamp}.{body}`` with the shared secret."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float | None = None,
    tolerance: float = SIGNATURE_TOLERANCE_S,
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent (a captured
    post cannot be replayed later)."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


def webhook_payload(message: Outgoing) -> dict[str, Any]:
    return {
        "key": message.key,
        "message_id": message.message_id,
        "reference": message.reference,
        "kind": message.kind,
        "audience": message.audience,
        "subject": message.subject,
        "text": message.text,
        "link": message.link,
        "sent_at": message.sent_at.isoformat(),
    }


class WebhookChannel:
    """A JSON POST per message, signed (``X-Foiflow-Signature``) and carrying the message's key
    (``Idempotency-Key``): a receiver drops a repeat, so a resend after an interrupted send is
    harmless."""

    name = "webhook"

    def __init__(self, secret: str, timeout: float = 10, client: httpx.Client | None = None):
        self.secret = secret.encode()
        self.timeout = timeout
        self.client = client

    def send(self, message: Outgoing) -> None:
        if not self.secret:
            raise DeliveryError("FOIFLOW_WEBHOOK_SECRET is not set: posts must be signed")
        body = json.dumps(webhook_payload(message), separators=(",", ":")).encode()
        timestamp = str(int(message.sent_at.timestamp()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.message_id,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
        }
        try:
            if self.client is not None:
                response = self.client.post(message.address, content=body, headers=headers)
            else:
                response = httpx.post(
                    message.address, content=body, headers=headers, timeout=self.timeout
                )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {message.address}: {exc}") from None
        if response.is_success:
            return
        status = response.status_code
        raise DeliveryError(
            f"webhook {message.address}: HTTP {status}",
            permanent=400 <= status < 500 and status not in (408, 425, 429),
        )

    def confirm(self, message: Outgoing) -> bool | None:
        # Receivers deduplicate on Idempotency-Key: sending again is the safe answer.
        return False


# --- GOV.UK Notify ---------------------------------------------------------------------------


class NotifyChannel:
    """Email through GOV.UK Notify (its official client), one generic template whose
    ``((subject))`` and ``((body))`` the message fills. The Notify ``reference`` carries the
    message's key, so an interrupted send is looked up, not repeated."""

    name = "notify"

    def __init__(self, api_key: str, base_url: str, template_id: str, timeout: float = 30):
        self.api_key = api_key
        self.base_url = base_url
        self.template_id = template_id
        self.timeout = timeout
        self._client: NotificationsAPIClient | None = None

    def _api(self) -> NotificationsAPIClient:
        if not self.api_key:
            raise DeliveryError("FOIFLOW_NOTIFY_API_KEY is not set")
        if self._client is None:
            # The client is not thread-safe; a dispatcher sends from one thread at a time.
            self._client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
                self.api_key, base_url=self.base_url, timeout=self.timeout
            )
        return self._client

    @staticmethod
    def reference(message: Outgoing) -> str:
        return f"{message.key}/{message.recipient}"

    def send(self, message: Outgoing) -> None:
        template = message.target or self.template_id
        if not template:
            raise DeliveryError(
                "no Notify template: set FOIFLOW_NOTIFY_TEMPLATE_ID or the route's target",
                permanent=True,
            )
        try:
            self._api().send_email_notification(  # type: ignore[no-untyped-call]
                email_address=message.address,
                template_id=template,
                personalisation={"subject": message.subject, "body": message.text},
                reference=self.reference(message),
            )
        except APIError as exc:
            status = exc.status_code
            raise DeliveryError(
                f"GOV.UK Notify: {status} {exc.message}",
                permanent=status in (400, 403),
            ) from None

    def confirm(self, message: Outgoing) -> bool | None:
        try:
            api = self._api()
            found = api.get_all_notifications(  # type: ignore[no-untyped-call]
                reference=self.reference(message)
            )
        except APIError:
            return None
        return bool(found.get("notifications"))
