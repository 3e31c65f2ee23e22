"""Messages rendered from their kind's Jinja templates (``templates/messages/``): a subject, a
plain-text body and an HTML body, each linking to the page where the action is taken.

Templates get the case reference, the facts the workflow queued (question, unit, due date…),
the recipient's name and the link. Nothing about the requester reaches a unit-facing template:
the workflow never puts it in the facts, and only requester-facing kinds get a name from the
case (``recipient_name``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    UndefinedError,
    select_autoescape,
)

from domain.notices import MessageKind
from statute import REGIMES

TEMPLATES = Path(__file__).resolve().parent / "templates" / "messages"
FALLBACK = "_fallback"  # the case's own words, when a kind's template lacks a fact it needs
log = logging.getLogger("foiflow.delivery")


@dataclass(frozen=True)
class KindSpec:
    template: str
    path: str | None  # the page where the action is taken; None: reply to the email
    action: str  # the link's words


KINDS: dict[MessageKind, KindSpec] = {
    MessageKind.ACKNOWLEDGEMENT: KindSpec("acknowledgement", None, ""),
    MessageKind.CLARIFICATION_REQUEST: KindSpec("clarification_request", None, ""),
    MessageKind.FEES_NOTICE: KindSpec("fees_notice", None, ""),
    MessageKind.HOLDING_NOTICE: KindSpec("holding_notice", None, ""),
    MessageKind.TASK_ASSIGNED: KindSpec("task_assigned", "/tasks", "Answer on your tasks page"),
    MessageKind.TASK_REMINDER: KindSpec("task_reminder", "/tasks", "Answer on your tasks page"),
    MessageKind.TASK_ESCALATION: KindSpec("task_overdue", "/cases/{ref}", "See the case"),
    MessageKind.SIGN_OFF_REJECTED: KindSpec(
        "sign_off_rejected", "/tasks", "Revise the answer on your tasks page"
    ),
    MessageKind.RESPONSE_ISSUED: KindSpec("response_issued", "/cases/{ref}", "See the case"),
    MessageKind.OFFICER_ALERT: KindSpec("case_at_risk", "/cases/{ref}", "Act on the case"),
    MessageKind.MANAGER_ALERT: KindSpec("case_at_risk", "/cases/{ref}", "See the case"),
    MessageKind.DUE_TODAY: KindSpec("case_due_today", "/cases/{ref}", "Act on the case"),
    MessageKind.OVERDUE: KindSpec("case_overdue", "/cases/{ref}", "Act on the case"),
    MessageKind.SIGN_OFF_REQUESTED: KindSpec(
        "sign_off_requested", "/sign-offs", "Decide on your sign-offs page"
    ),
    MessageKind.DIGEST: KindSpec("digest", "/tasks", "See your tasks"),
    # The workflow's own words (the reminder says which deadline and when it falls).
    MessageKind.REVIEW_DEADLINE: KindSpec(FALLBACK, "/cases/{ref}", "See the case"),
}
REQUESTER_KINDS = frozenset(
    {
        MessageKind.ACKNOWLEDGEMENT,
        MessageKind.CLARIFICATION_REQUEST,
        MessageKind.FEES_NOTICE,
        MessageKind.HOLDING_NOTICE,
    }
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    link: str | None


def long_date(value: object) -> str:
    """'Tuesday 1 April 2025' from a date or its ISO text; anything else as it is."""
    day: date | None = value if isinstance(value, date) else None
    if day is None and isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
    if day is None:
        return str(value)
    return f"{day:%A} {day.day} {day:%B %Y}"


def regime_title(code: str) -> str:
    regime = REGIMES.get(code)
    return regime.title if regime is not None else code.upper()


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        # A template naming a fact the context lacks fails loudly in the tests; facts that may
        # be missing are tested with ``facts.get``.
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = long_date
    env.globals["regime_title"] = regime_title
    return env


_ENV = _environment()


def _block(template: Template, name: str, context: Mapping[str, Any]) -> str:
    return "".join(template.blocks[name](template.new_context(dict(context)))).strip()


def link_for(kind: MessageKind, reference: str, public_url: str) -> str | None:
    spec = KINDS[kind]
    if spec.path is None:
        return None
    return public_url.rstrip("/") + spec.path.format(ref=reference)


def render(
    kind: MessageKind,
    *,
    reference: str,
    facts: Mapping[str, Any],
    summary: str,
    recipient_name: str,
    authority: str,
    public_url: str,
    reply_to: str,
    items: list[Mapping[str, Any]] | None = None,
) -> Rendered:
    """The message of ``kind`` for one recipient."""
    spec = KINDS[kind]
    link = link_for(kind, reference, public_url)
    context: dict[str, Any] = {
        "reference": reference,
        "kind": kind.value,
        "facts": dict(facts),
        "summary": summary,
        "recipient_name": recipient_name,
        "authority": authority or "The FOI team",
        "link": link,
        "action": spec.action,
        "reply_to": parseaddr(reply_to)[1] or reply_to,
        "items": items or [],
    }
    try:
        return _render(spec.template, context, link)
    except UndefinedError as exc:
        # A row queued by an older release may lack a fact: send its plain words, not nothing.
        log.warning("%s template: %s; sending the plain message", kind.value, exc)
        return _render(FALLBACK, context, link)


def _render(name: str, context: Mapping[str, Any], link: str | None) -> Rendered:
    text_template = _ENV.get_template(f"{name}.txt")
    html_template = _ENV.get_template(f"{name}.html")
    subject = " ".join(_block(text_template, "subject", context).split())
    return Rendered(
        subject=subject,
        text=text_template.render(context).strip() + "\n",
        html=html_template.render(context),
        link=link,
    )


def message_id(key: str, recipient: str, from_address: str) -> str:
    """The Message-ID of ``key``'s message to ``recipient``: the same on every try, so a send
    that may have happened can be looked for, and a receiver can drop a repeat."""
    digest = hashlib.sha256(f"{key}|{recipient}".encode()).hexdigest()[:40]
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "foiflow.localhost"
    return f"<{digest}@{domain}>"
