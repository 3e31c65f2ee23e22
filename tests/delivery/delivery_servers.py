"""Real servers the channels talk to in tests: an SMTP handler that refuses a number of times
first, an HTTP server recording what is posted (webhooks), and a GOV.UK Notify stand-in that
checks the client's token and records the notifications; plus a dispatcher wired to them."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from notifications_python_client.authentication import decode_jwt_token
from sqlalchemy import Engine

from delivery.channels import NotifyChannel, SmtpChannel, SmtpSettings, WebhookChannel
from delivery.directory import RequesterLookup
from delivery.dispatcher import DispatchConfig, Dispatcher
from delivery.sink import Mailbox, MailSink, SinkHandler

LONDON = ZoneInfo("Europe/London")
WEBHOOK_SECRET = "a-shared-secret"
MAIL_FROM = "FOI team <foi@met.example.org>"
NOTIFY_SERVICE = str(uuid.UUID(int=1))
NOTIFY_SECRET = str(uuid.UUID(int=2))
NOTIFY_KEY = f"foiflow_test-{NOTIFY_SERVICE}-{NOTIFY_SECRET}"
NOTIFY_TEMPLATE = str(uuid.UUID(int=3))
CONFIG = DispatchConfig(
    public_url="https://foi.example.org",
    mail_from=MAIL_FROM,
    max_attempts=4,
    backoff=timedelta(minutes=1),
)


def london(*args: int) -> datetime:
    """A wall-clock time in London."""
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


class FlakyHandler(SinkHandler):
    """Refuses the first ``failures`` messages with a temporary error (451), then accepts."""

    def __init__(self, mailbox: Mailbox, failures: int, code: str = "451 4.3.0 try later") -> None:
        super().__init__(mailbox)
        self.failures = failures
        self.code = code
        self.attempts = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.attempts <= self.failures:
            return self.code
        return await super().handle_DATA(server, session, envelope)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpRecorder:
    url: str
    requests: list[Recorded] = field(default_factory=list)


Responder = Callable[[Recorded, list[Recorded]], tuple[int, Any]]


@contextmanager
def recording_server(respond: Responder | None = None) -> Iterator[HttpRecorder]:
    """A real HTTP server on 127.0.0.1 recording every request; ``respond`` answers it."""
    recorder = HttpRecorder(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Recorded(
                self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
            )
            with lock:
                recorder.requests.append(request)
                status, payload = (
                    respond(request, recorder.requests) if respond else (200, {"ok": True})
                )
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def notify_api(request: Recorded, seen: list[Recorded]) -> tuple[int, Any]:
    """What GOV.UK Notify answers, for the two calls the channel makes."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    try:
        decode_jwt_token(token, NOTIFY_SECRET)  # type: ignore[no-untyped-call]
    except Exception as exc:
        return 403, {"errors": [{"error": "AuthError", "message": str(exc)}]}
    url = urlparse(request.path)
    if request.method == "POST" and url.path == "/v2/notifications/email":
        sent = request.json()
        return 201, {
            "id": str(uuid.uuid4()),
            "reference": sent.get("reference"),
            "content": {"subject": sent["personalisation"]["subject"], "body": "…"},
            "template": {"id": sent["template_id"], "version": 1, "uri": "…"},
        }
    if request.method == "GET" and url.path == "/v2/notifications":
        reference = parse_qs(url.query).get("reference", [""])[0]
        found = [
            r.json() for r in seen if r.method == "POST" and r.json().get("reference") == reference
        ]
        return 200, {"notifications": found, "links": {}}
    return 404, {"errors": [{"error": "NotFound", "message": request.path}]}


def dispatcher_for(
    engine: Engine,
    sink: MailSink,
    *,
    confirm: bool = True,
    requester: RequesterLookup | None = None,
    notify_url: str = "http://127.0.0.1:9",
    name: str | None = None,
    config: DispatchConfig = CONFIG,
    cls: type[Dispatcher] = Dispatcher,
) -> Dispatcher:
    """A dispatcher sending email to ``sink`` (which confirms Message-IDs unless told not to)."""
    smtp = SmtpChannel(
        SmtpSettings(host=sink.host, port=sink.port, mail_from=MAIL_FROM, timeout=5),
        confirmer=sink.mailbox.received if confirm else None,
    )
    channels = {
        "email": smtp,
        "webhook": WebhookChannel(WEBHOOK_SECRET, timeout=5),
        "notify": NotifyChannel(NOTIFY_KEY, notify_url, NOTIFY_TEMPLATE, timeout=5),
    }
    return cls(engine, channels, config, requester=requester, name=name)
