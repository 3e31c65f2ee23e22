"""``foiflow login``, ``logout`` and ``whoami``: who the case commands act as.

A login is a bearer token from ``POST /api/token``, kept in the user's config directory (file
mode 0600) with the API's address; ``logout`` revokes it on the server before forgetting it.
"""

from __future__ import annotations

import contextlib
import sys
from typing import NoReturn

import typer

from cli.api_client import (
    ApiClient,
    ApiError,
    Login,
    default_api_url,
    forget_login,
    load_login,
    logged_in,
    save_login,
)
from cli.common import USAGE, fail
from services.identity import Me
from settings import get_settings

REVOKE_TIMEOUT_S = 5.0  # revoking the previous login is a courtesy: never wait long for it


def _who(me: Me, api: str) -> list[str]:
    return [
        f"{me.name} ({me.id}) at {api}",
        f"  roles: {', '.join(r.value for r in me.roles) or 'none'}",
        f"  units: {', '.join(me.units) or 'none'}",
    ]


def _login_error(exc: ApiError) -> NoReturn:
    # A wrong password (401) or too many of them (429) is about logging in; anything else
    # (an unreachable API, a malformed form) says what it is itself.
    if exc.status in (401, 429):
        fail(f"login: {exc.message}", exc.exit_code)
    fail(exc.message, exc.exit_code)


def _revoke_quietly(previous: Login) -> None:
    """End the token a new login replaces, so switching users leaves no live token behind."""
    with (
        contextlib.suppress(ApiError),
        ApiClient(previous.api, previous.token, timeout=REVOKE_TIMEOUT_S) as api,
    ):
        api.call("DELETE", "/api/token")


def login(
    api_url: str | None = typer.Option(
        None,
        "--api",
        metavar="URL",
        help="The foiflow API (default http://FOIFLOW_WEB_HOST:FOIFLOW_WEB_PORT).",
    ),
    username: str | None = typer.Option(None, "--username", help="Asked for when not given."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input's first line."
    ),
) -> None:
    """Log in to the foiflow API; the case commands then act as you."""
    api = (api_url or default_api_url(get_settings())).rstrip("/")
    if not api.startswith(("http://", "https://")):
        fail(f"--api: {api!r} is not a URL; give one such as http://127.0.0.1:8000", USAGE)
    if not username:
        username = typer.prompt("Username")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True)
    if not username.strip() or not password:
        fail("login: give a username and a password", USAGE)
    try:
        with ApiClient(api) as anonymous:
            response = anonymous.call(
                "POST", "/api/token", form={"username": username, "password": password}
            )
            token = str(response.json()["access_token"])
        with ApiClient(api, token) as client:
            me = client.get(Me, "/api/me")
    except ApiError as exc:
        _login_error(exc)
    except (ValueError, KeyError, TypeError):
        fail(f"api: {api} did not answer as a foiflow API does; check --api", USAGE)
    previous = load_login()
    save_login(Login(api=api, username=me.id, token=token))
    if previous is not None and previous.token != token:
        _revoke_quietly(previous)
    lines = _who(me, api)
    typer.echo("\n".join([f"logged in as {lines[0]}", *lines[1:]]))


def logout() -> None:
    """Revoke the stored token on the API and forget it."""
    stored = load_login()
    if stored is None:
        typer.echo("not logged in")
        return
    try:
        with ApiClient(stored.api, stored.token) as api:
            api.call("DELETE", "/api/token")
    except ApiError as exc:
        forget_login()  # the credential leaves this machine either way
        if exc.status == 401:
            typer.echo(f"logged out of {stored.api} (the token had already ended: {exc.message})")
            return
        fail(
            f"{exc.message}; forgotten here, but the token stays valid until it expires",
            exc.exit_code,
        )
    forget_login()
    typer.echo(f"logged out of {stored.api}")


def whoami() -> None:
    """Who the case commands act as: name, roles and units, from the API."""
    with logged_in() as (api, login_):
        me = api.get(Me, "/api/me")
    typer.echo("\n".join(_who(me, login_.api)))


def register(app: typer.Typer) -> None:
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("whoami")(whoami)
