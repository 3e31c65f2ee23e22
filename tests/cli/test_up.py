"""``foiflow up`` as ``make run`` runs it: a real process with its own dev server, worker and web
app on ports the test picks, the demo logins working against the API, a clean stop on Ctrl-C
or SIGTERM, and a taken port or a bad setting as one line naming the variable to change."""

from __future__ import annotations

import base64
import csv
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from services.demo import PORTFOLIO

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "cli" / "demo" / "seed.yaml"
READY_S = (
    180.0  # the first start creates temporal.db and seeds the demo; a loaded 2-core machine is slow
)
STOP_S = 20.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    try:
        socket.create_server(("127.0.0.1", port)).close()
    except OSError:
        return False
    return True


def _processes_using(data_dir: Path) -> list[int]:
    """Processes whose command line names ``data_dir``: the dev server passes its db file."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # ended meanwhile, or not ours to read
            continue
        if str(data_dir).encode() in cmdline:
            found.append(int(entry.name))
    return found


def _poll(check: Callable[[], bool], seconds: float, what: str, output: Callable[[], str]) -> None:
    """Readiness, bounded: ``check`` until it holds, or fail with what the process said."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {seconds:.0f} s; foiflow said:\n{output()}")
        time.sleep(0.2)


@dataclass
class Stack:
    data_dir: Path
    temporal_port: int
    ui_port: int
    web_port: int
    mail_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("FOIFLOW_DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE")
        }
        return {
            **env,
            "FOIFLOW_DATA_DIR": str(self.data_dir),
            "FOIFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal_port}",
            "FOIFLOW_TEMPORAL_UI_PORT": str(self.ui_port),
            "FOIFLOW_WEB_HOST": "127.0.0.1",
            "FOIFLOW_WEB_PORT": str(self.web_port),
            # The local mail sink, and the dispatcher's SMTP, on a port of the test's own.
            "FOIFLOW_MAIL_SINK_PORT": str(self.mail_port),
            "FOIFLOW_SMTP_PORT": str(self.mail_port),
            "COLUMNS": "200",
        }

    def start(self) -> subprocess.Popen[bytes]:
        # The console script `make run` calls; run from the data directory so no developer's
        # .env file takes part.
        foiflow = Path(sys.executable).parent / "foiflow"
        assert foiflow.exists(), "the foiflow console script is not installed: run `make test`"
        self.process = subprocess.Popen(
            [str(foiflow), "up"],
            cwd=self.data_dir,
            env=self.env,
            stdout=(self.data_dir / "up.out").open("wb"),
            stderr=(self.data_dir / "up.err").open("wb"),
        )
        return self.process

    def stdout(self) -> str:
        return (self.data_dir / "up.out").read_text("utf-8", errors="replace")

    def stderr(self) -> str:
        return (self.data_dir / "up.err").read_text("utf-8", errors="replace")

    def output(self) -> str:
        return self.stdout() + self.stderr()

    def wait_until_up(self) -> None:
        process = self.process
        assert process is not None

        def answers() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"foiflow up exited {process.returncode}:\n{self.output()}")
            try:
                health = httpx.get(f"{self.api}/api/health", timeout=2)
            except httpx.TransportError:
                return False
            return health.status_code == 200 and "foiflow is up." in self.stdout()

        _poll(answers, READY_S, "/api/health never answered", self.output)

    def stop(self, sig: signal.Signals) -> int:
        process = self.process
        assert process is not None
        process.send_signal(sig)
        try:
            return process.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"foiflow up still running {STOP_S:.0f} s after {sig.name}"
            ) from None

    def assert_nothing_left(self) -> None:
        """No process of this stack, and every port it used free for the next one."""
        assert _processes_using(self.data_dir) == []
        for port in (self.temporal_port, self.ui_port, self.web_port):
            assert _port_free(port), f"port {port} still in use after foiflow up stopped"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    ports = {_free_port() for _ in range(4)}
    assert len(ports) == 4
    stack = Stack(data_dir, *sorted(ports))
    try:
        yield stack
    finally:
        # A failed test must not leave a stack running: end what this test started, by id.
        if stack.process is not None and stack.process.poll() is None:
            stack.process.kill()
            stack.process.wait()
        for pid in _processes_using(data_dir):
            os.kill(pid, signal.SIGKILL)


def _logins(stack: Stack) -> list[dict[str, str]]:
    path = stack.data_dir / "demo-logins.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # passwords: the owner's eyes only
    text = path.read_text("utf-8")
    assert text.splitlines()[0] == "username,role,password"
    return list(csv.DictReader(text.splitlines()))


def test_up_serves_the_api_with_the_printed_logins_and_stops_cleanly(stack: Stack) -> None:
    stack.start()
    stack.wait_until_up()

    logins = _logins(stack)
    seeded = yaml.safe_load(SEED.read_text("utf-8"))["users"]
    assert sorted(row["username"] for row in logins) == sorted(u["id"] for u in seeded)
    assert {row["username"]: row["role"] for row in logins} == {
        u["id"]: ";".join(u["roles"]) for u in seeded
    }

    # The banner: where everything is, every login, and what to type next.
    banner = stack.stdout()
    assert f"Web app and API:  {stack.api}   (API docs: {stack.api}/api/docs)" in banner
    assert f"Temporal Web UI:  http://127.0.0.1:{stack.ui_port}" in banner
    assert f"Demo logins:      {stack.data_dir / 'demo-logins.csv'}" in banner
    assert "demo case 01.FOI.23.031576 started, due " in banner
    # The demo portfolio is seeded before "ready", and the ready line says how long it took.
    assert re.search(r"foiflow is up\. Ready \d+\.\d s after launch\.", banner), banner
    assert re.search(rf"demo portfolio: {len(PORTFOLIO)} requests seeded in \d+\.\d s", banner)
    assert "problem:" not in banner
    lines = banner.splitlines()
    for row in logins:
        assert any(
            line.split() == [row["username"], row["role"], row["password"]] for line in lines
        )
    assert any(line.strip().endswith(f"foiflow login --api {stack.api}") for line in lines)
    assert any(line.strip().endswith("foiflow cases") for line in lines)

    # A printed password logs in; the API says who that is.
    officer = next(row for row in logins if row["username"] == "aisha-rahman")
    assert httpx.get(f"{stack.api}/api/health").json() == {"status": "ok", "temporal": "connected"}
    refused = httpx.post(
        f"{stack.api}/api/token", data={"username": "aisha-rahman", "password": "not-it-at-all"}
    )
    assert refused.status_code == 401
    token = httpx.post(
        f"{stack.api}/api/token",
        data={"username": officer["username"], "password": officer["password"]},
    )
    assert token.status_code == 200, token.text
    me = httpx.get(
        f"{stack.api}/api/me",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert me.status_code == 200
    assert (me.json()["id"], me.json()["roles"]) == ("aisha-rahman", ["foi_officer"])

    # The Temporal Web UI is on the configured port, not the default one.
    def ui_answers() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{stack.ui_port}/", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    _poll(ui_answers, 30, "the Temporal Web UI never answered", stack.output)
    # Payloads are encrypted: the UI decrypts them through the web app's codec endpoint, which
    # decodes the demo case's stored input for the officer.
    ui = httpx.get(f"http://127.0.0.1:{stack.ui_port}/api/v1/settings", timeout=5).json()
    assert ui["Codec"]["Endpoint"] == f"{stack.api}/codec"
    assert f"decrypted at {stack.api}/codec" in banner
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    history = httpx.get(
        f"http://127.0.0.1:{stack.ui_port}/api/v1/namespaces/default/workflows/"
        "01.FOI.23.031576/history",
        timeout=5,
    ).json()
    stored = history["history"]["events"][0]["workflowExecutionStartedEventAttributes"]["input"]
    assert b"requester@example.org" not in base64.b64decode(stored["payloads"][0]["data"])
    decoded = httpx.post(f"{stack.api}/codec/decode", json=stored, headers=bearer)
    assert decoded.status_code == 200, decoded.text
    assert b"requester@example.org" in base64.b64decode(decoded.json()["payloads"][0]["data"])

    assert stack.stop(signal.SIGINT) == 0, stack.output()
    assert stack.stdout().rstrip().endswith("foiflow stopped.")
    assert "Traceback" not in stack.stderr()
    stack.assert_nothing_left()

    # Again on the same data: the same case and the same logins; SIGTERM stops it as Ctrl-C does.
    stack.start()
    stack.wait_until_up()
    assert _logins(stack) == logins
    again = stack.stdout()
    assert "demo case 01.FOI.23.031576 resumed" in again
    assert f"demo portfolio: {len(PORTFOLIO)} requests, seeded before" in again
    # `foiflow demo seed` against the running stack finds it all there too.
    seeded = subprocess.run(
        [str(Path(sys.executable).parent / "foiflow"), "demo", "seed"],
        cwd=stack.data_dir,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (seeded.returncode, seeded.stderr) == (0, ""), seeded.stdout + seeded.stderr
    assert seeded.stdout.splitlines() == [
        "demo case 01.FOI.23.031576 resumed, due " + again.split("resumed, due ")[1].split()[0],
        f"demo portfolio: {len(PORTFOLIO)} requests, seeded before",
    ]
    assert f"  {officer['username']}" in again and officer["password"] in again
    assert stack.stop(signal.SIGTERM) == 0, stack.output()
    stack.assert_nothing_left()


def test_a_taken_web_port_is_one_line_naming_the_setting_and_leaves_nothing_running(
    stack: Stack,
) -> None:
    with socket.create_server(("127.0.0.1", stack.web_port)):
        process = stack.start()
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"foiflow up kept running:\n{stack.output()}") from None
        assert code != 0
        assert stack.stderr().splitlines() == [
            f"error: FOIFLOW_WEB_PORT: port {stack.web_port} on 127.0.0.1 is already in use; "
            "stop what uses it or set FOIFLOW_WEB_PORT to a free port"
        ]
    stack.assert_nothing_left()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"FOIFLOW_WEB_PORT": "70000"},
            "FOIFLOW_WEB_PORT: 70000 is not a port number (1 to 65535)",
        ),
        (
            {"FOIFLOW_TEMPORAL_UI_PORT": "0"},
            "FOIFLOW_TEMPORAL_UI_PORT: 0 is not a port number (1 to 65535)",
        ),
        (
            {"FOIFLOW_TEMPORAL_ADDRESS": "127.0.0.1:99999"},
            "FOIFLOW_TEMPORAL_ADDRESS: '127.0.0.1:99999': 99999 is not a port number (1 to 65535)",
        ),
        (
            {"TEMPORAL_ADDRESS": "temporal.internal"},
            "FOIFLOW_TEMPORAL_ADDRESS: 'temporal.internal' is not HOST:PORT (e.g. 127.0.0.1:7233)",
        ),
        (
            {"FOIFLOW_WEB_PORT": "8233"},
            "FOIFLOW_TEMPORAL_UI_PORT: port 8233 is also FOIFLOW_WEB_PORT; give each its own port",
        ),
    ],
)
def test_a_bad_port_setting_is_one_line_naming_the_variable(
    env: dict[str, str], message: str, tmp_path: Path
) -> None:
    # Refused before anything starts, so this runs in-process.
    unset: dict[str, str | None] = dict.fromkeys(
        (
            "FOIFLOW_WEB_PORT",
            "FOIFLOW_TEMPORAL_UI_PORT",
            "FOIFLOW_TEMPORAL_ADDRESS",
            "TEMPORAL_ADDRESS",
        )
    )
    result = CliRunner().invoke(
        app, ["up"], env={**unset, "FOIFLOW_DATA_DIR": str(tmp_path), **env}
    )
    assert (result.exit_code, result.stderr) == (2, f"error: {message}\n")
    assert not (tmp_path / "demo-logins.csv").exists()  # nothing was started or written
