"""``foiflow login``, ``whoami`` and ``logout`` against the real API on a port: the token file,
who the commands act as, and every way a login fails as one line with its exit code."""

from __future__ import annotations

import json
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from click.testing import Result

from settings import Settings

from conftest import PASSWORD, Foiflow, api_app, closed_port, serving

LoginAs = Callable[[str], Awaitable[Result]]


def stored(config_dir: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((config_dir / "login.json").read_text())
    return data


async def me_status(api_url: str, token: str) -> int:
    # Async: the API serves from this test's event loop.
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{api_url}/api/me", headers={"Authorization": f"Bearer {token}"}
        )
    return response.status_code


async def test_login_keeps_a_private_token_and_logout_revokes_it(
    foiflow: Foiflow, api_url: str, config_dir: Path
) -> None:
    before = await foiflow("whoami")
    assert (before.exit_code, before.stderr) == (
        1,
        "error: login: not logged in; run `foiflow login`\n",
    )

    # Asked for what is not given: the username, then the password (not echoed).
    logged_in = await foiflow("login", "--api", api_url, input=f"aisha-rahman\n{PASSWORD}\n")
    assert logged_in.exit_code == 0, logged_in.output
    assert logged_in.stdout.endswith(
        f"logged in as Aisha Rahman (aisha-rahman) at {api_url}\n"
        "  roles: foi_officer\n"
        "  units: foi\n"
    )
    assert PASSWORD not in logged_in.output
    path = config_dir / "login.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = stored(config_dir)
    assert (saved["api"], saved["username"]) == (api_url, "aisha-rahman")
    assert await me_status(api_url, saved["token"]) == 200

    whoami = await foiflow("whoami")
    assert whoami.stdout == (
        f"Aisha Rahman (aisha-rahman) at {api_url}\n  roles: foi_officer\n  units: foi\n"
    )

    # Switching user ends the previous login's token: no live credential is left behind.
    switched = await foiflow(
        "login", "--api", api_url, "--username", "tom-oduya", "--password-stdin", input=PASSWORD
    )
    assert switched.exit_code == 0, switched.output
    assert "  roles: unit_contact\n  units: vawg\n" in switched.stdout
    assert await me_status(api_url, saved["token"]) == 401
    token = stored(config_dir)["token"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # replaced, still private

    out = await foiflow("logout")
    assert (out.exit_code, out.stdout) == (0, f"logged out of {api_url}\n")
    assert not path.exists()
    assert await me_status(api_url, token) == 401  # revoked on the server, not only forgotten
    assert (await foiflow("logout")).stdout == "not logged in\n"
    after = await foiflow("tasks")
    assert (after.exit_code, after.stderr) == (
        1,
        "error: login: not logged in; run `foiflow login`\n",
    )


async def test_a_failed_login_is_one_line_and_stores_nothing(
    foiflow: Foiflow, api_url: str, config_dir: Path
) -> None:
    wrong = await foiflow(
        "login", "--api", api_url, "--username", "aisha-rahman", "--password-stdin", input="guess"
    )
    assert (wrong.exit_code, wrong.stdout, wrong.stderr) == (
        1,
        "",
        "error: login: incorrect username or password\n",
    )
    nobody = await foiflow(
        "login", "--api", api_url, "--username", "nobody", "--password-stdin", input=PASSWORD
    )
    assert (nobody.exit_code, nobody.stderr) == (
        1,
        "error: login: incorrect username or password\n",
    )
    assert not (config_dir / "login.json").exists()

    not_a_url = await foiflow("login", "--api", "127.0.0.1:8000", "--username", "x")
    assert (not_a_url.exit_code, not_a_url.stderr) == (
        2,
        "error: --api: '127.0.0.1:8000' is not a URL; give one such as http://127.0.0.1:8000\n",
    )

    port = closed_port()
    down = await foiflow(
        "login",
        "--api",
        f"http://127.0.0.1:{port}",
        "--username",
        "aisha-rahman",
        "--password-stdin",
        input=PASSWORD,
    )
    assert (down.exit_code, down.stderr) == (
        3,
        f"error: api: cannot reach the foiflow API at http://127.0.0.1:{port} (ConnectError); "
        "start it with `make run`, or log in to another with `foiflow login --api URL`\n",
    )

    # Without --api: the address `make run` serves (FOIFLOW_WEB_HOST, FOIFLOW_WEB_PORT).
    default = await foiflow(
        "login",
        "--username",
        "aisha-rahman",
        "--password-stdin",
        input=PASSWORD,
        FOIFLOW_WEB_PORT=str(port),
    )
    assert default.exit_code == 3
    assert f"cannot reach the foiflow API at http://127.0.0.1:{port} " in default.stderr


async def test_an_ended_token_or_a_gone_api_is_one_line(
    foiflow: Foiflow, login_as: LoginAs, api_url: str, config_dir: Path
) -> None:
    await login_as("aisha-rahman")
    token = stored(config_dir)["token"]
    async with httpx.AsyncClient() as client:
        await client.delete(f"{api_url}/api/token", headers={"Authorization": f"Bearer {token}"})
    ended = await foiflow("cases")
    assert (ended.exit_code, ended.stderr) == (
        1,
        "error: login: the token was revoked; log in again (run `foiflow login`)\n",
    )
    # Logging out of an ended token still forgets it.
    out = await foiflow("logout")
    assert out.exit_code == 0 and out.stdout.startswith(f"logged out of {api_url} (the token")
    assert not (config_dir / "login.json").exists()

    # The API has gone away since logging in: exit 3, naming where it was.
    await login_as("aisha-rahman")
    port = closed_port()
    gone = {**stored(config_dir), "api": f"http://127.0.0.1:{port}"}
    (config_dir / "login.json").write_text(json.dumps(gone))
    for command in (["cases"], ["case", "01.FOI.26.000001"], ["issue", "01.FOI.26.000001"]):
        result = await foiflow(*command)
        assert (result.exit_code, result.stderr.count("\n")) == (3, 1), result.output
        assert result.stderr.startswith(
            f"error: api: cannot reach the foiflow API at http://127.0.0.1:{port} "
        )
    out = await foiflow("logout")
    assert out.exit_code == 3
    assert out.stderr.endswith("; forgotten here, but the token stays valid until it expires\n")
    assert not (config_dir / "login.json").exists()


async def test_temporal_down_behind_the_api_is_exit_3(
    foiflow: Foiflow, api_settings: Settings, api_url: str
) -> None:
    del api_url  # asked for so the demo users have their passwords
    # The same store, but the API cannot reach Temporal: reads and actions on cases are 503.
    cut_off = api_settings.model_copy(update={"temporal_address": "127.0.0.1:1"})
    async with serving(api_app(cut_off, set_passwords=False)) as url:
        login = await foiflow(
            "login", "--api", url, "--username", "aisha-rahman", "--password-stdin", input=PASSWORD
        )
        assert login.exit_code == 0, login.output  # logging in needs only the store
        result = await foiflow("case", "01.FOI.26.000001")
        assert (result.exit_code, result.stderr) == (
            3,
            "error: Temporal at 127.0.0.1:1 is unreachable; case actions are unavailable until "
            "it is back (reference data and deadlines still work)\n",
        )
        await foiflow("logout")
