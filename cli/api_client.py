"""The CLI's front door: a stored login, the foiflow API over httpx, its errors as one line.

``foiflow login`` keeps the token in the user's config directory (``$FOIFLOW_CONFIG_DIR`` or the
platform's, file mode 0600); every user-facing command sends it as a bearer token. The acting
user is whoever the token belongs to: the server decides, never an option.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import typer
from pydantic import TypeAdapter, ValidationError

from cli.common import REFUSED, UNAVAILABLE, fail
from settings import Settings

T = TypeVar("T")

LOGIN_FILE = "login.json"
TIMEOUT_S = 30.0  # an action waits for the workflow's update; long enough for a busy worker


def case_path(reference: str, *rest: str | int) -> str:
    """``/api/cases/{reference}/...`` with each part quoted: a typed reference cannot reach
    another route (``../tasks``) or smuggle a query string."""
    parts = [quote(str(p), safe="") for p in (reference, *rest)]
    return "/api/cases/" + "/".join(parts)


def default_api_url(settings: Settings) -> str:
    """Where ``make run`` serves the API (``FOIFLOW_WEB_HOST``, ``FOIFLOW_WEB_PORT``)."""
    host = settings.web_host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{settings.web_port}"


def config_dir() -> Path:
    # Read at the entry point, like settings: it says where this user's login lives, which is
    # not part of the server's configuration.
    override = os.environ.get("FOIFLOW_CONFIG_DIR")
    return Path(override) if override else Path(typer.get_app_dir("foiflow"))


@dataclass(frozen=True)
class Login:
    api: str
    username: str
    token: str


def login_path() -> Path:
    return config_dir() / LOGIN_FILE


def save_login(login: Login) -> Path:
    """Write the login atomically, readable by its owner only from the first byte: the token
    is a credential, and a file replaced in place would keep a looser mode."""
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / LOGIN_FILE
    fd, temporary = tempfile.mkstemp(prefix=".login-", dir=folder)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(login), out)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


def load_login() -> Login | None:
    try:
        data = json.loads(login_path().read_text("utf-8"))
        return Login(api=str(data["api"]), username=str(data["username"]), token=str(data["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget_login() -> bool:
    try:
        login_path().unlink()
    except FileNotFoundError:
        return False
    return True


class ApiError(Exception):
    """What went wrong, as one line (``field: reason``); ``status`` is the HTTP status, 0 when
    the API could not be reached."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def exit_code(self) -> int:
        # 5xx: a part foiflow needs (the API, or Temporal behind it) is down; 4xx: refused.
        return UNAVAILABLE if self.status == 0 or self.status >= 500 else REFUSED


_PLACES = ("body", "query", "path", "header", "cookie")


def error_message(response: httpx.Response) -> str:
    """The API's JSON error as ``field: reason`` (a 422 lists every problem, ``; `` between)."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if not isinstance(item, dict):
                continue
            loc = [str(p) for p in item.get("loc", []) if p not in _PLACES]
            msg = str(item.get("msg", ""))
            parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
        if parts:
            return "; ".join(parts)
    if isinstance(detail, str) and detail:
        return detail
    return f"HTTP {response.status_code} {response.reason_phrase}"


class ApiClient:
    """One foiflow API, with or without a bearer token. Every failure is an ``ApiError``."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, transport=transport, timeout=timeout
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def unreachable(self, exc: Exception) -> ApiError:
        return ApiError(
            0,
            f"api: cannot reach the foiflow API at {self.base_url} ({type(exc).__name__}); "
            "start it with `make run`, or log in to another with `foiflow login --api URL`",
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            response = self._http.request(method, path, json=json_body, params=params, data=form)
        except httpx.TransportError as exc:
            raise self.unreachable(exc) from None
        if response.is_error:
            raise ApiError(response.status_code, error_message(response))
        return response

    def read(self, shape: type[T], response: httpx.Response) -> T:
        """The response's JSON as ``shape`` (a model, or e.g. ``list[MyTask]``)."""
        try:
            return TypeAdapter(shape).validate_json(response.content)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"]) or "(top level)"
            raise ApiError(
                0,
                f"api: {self.base_url} answered {response.request.url.path} in a form this "
                f"foiflow does not know ({where}: {problem['msg']}); is it the same version?",
            ) from None

    def get(self, shape: type[T], path: str, params: dict[str, Any] | None = None) -> T:
        return self.read(shape, self.call("GET", path, params=params))

    def post(self, shape: type[T], path: str, body: Any = None) -> T:
        response = self.call("POST", path, json_body=body if body is not None else {})
        return self.read(shape, response)

    def text(self, path: str) -> str:
        return self.call("GET", path).text


@contextlib.contextmanager
def logged_in() -> Iterator[tuple[ApiClient, Login]]:
    """The API as the logged-in user; any ``ApiError`` inside becomes one line and its exit
    code (with what to do when the login itself is no longer good)."""
    login = load_login()
    if login is None:
        fail("login: not logged in; run `foiflow login`")
    with ApiClient(login.api, login.token) as api:
        try:
            yield api, login
        except ApiError as exc:
            if exc.status == 401:
                fail(f"login: {exc.message} (run `foiflow login`)", REFUSED)
            fail(exc.message, exc.exit_code)
