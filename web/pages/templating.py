"""Rendering pages: one Jinja environment (our templates, then the GOV.UK Frontend macros of
``govuk-frontend-jinja``), the filters every page uses, and ``render`` — which adds what the
layout needs (the user, their navigation, the CSRF token) and the security headers.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    select_autoescape,
)
from starlette.responses import Response

from web.pages import formatting
from web.pages.nav import home_for, navigation_for
from web.pages.session import PageSession, page_session_of

WEB_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
SERVICE_NAME = "foiflow"


def content_security_policy(nonce: str) -> str:
    # Scripts and styles only from this server (GOV.UK Frontend's one inline script carries the
    # nonce); no framing (clickjacking a sign-off button); forms post only here.
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def make_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        uk_date=formatting.uk_date,
        uk_time=formatting.uk_time,
        uk_datetime=formatting.uk_datetime,
        working_days_left=formatting.working_days_left,
        plural=formatting.plural,
    )
    env.globals.update(service_name=SERVICE_NAME)
    return env


templates = Jinja2Templates(env=make_environment())


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``template`` with ``context``, plus the layout's own: ``user`` (the signed-in Actor or
    None), ``navigation``, ``home``, ``csrf_token`` (every form's hidden field) and the nonce
    GOV.UK Frontend's inline script needs."""
    session: PageSession | None = page_session_of(request)
    nonce = secrets.token_urlsafe(16)
    base: dict[str, Any] = {
        "user": session.actor if session else None,
        "navigation": navigation_for(session.actor, request.url.path) if session else [],
        "home": (home_for(session.actor) if session else None) or "/",
        "csrf_token": session.csrf_token if session else "",
        "cspNonce": nonce,
    }
    response = templates.TemplateResponse(
        request, template, {**base, **(context or {})}, status_code=status_code
    )
    response.headers.update(
        {
            "Content-Security-Policy": content_security_policy(nonce),
            # Case pages hold information that is not public yet: never cached, not even by the
            # browser's back button on a shared computer.
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            **(headers or {}),
        }
    )
    return response
