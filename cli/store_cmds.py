"""``foiflow store …``: migrations, seed data, reference data, audit verification, rebuild.

Every command works on the database in settings (``FOIFLOW_DATABASE_URL``, or the SQLite file in
the data directory) and brings its schema up to date first, so a fresh checkout needs no set-up
step. Edits are audited under the ``--actor`` given (default ``cli:$USER``).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from cli.common import UNAVAILABLE
from cli.common import fail as _fail  # the one way every command fails
from domain.case import CaseView
from services.audit import (
    DEFAULT_GRACE,
    AuditKeyError,
    AuditReport,
    configure_audit_keys,
    verify_audit_log,
)
from services.db import StoreUnavailable, prepare_store, store_errors
from services.errors import ServiceError, Unavailable
from services.retention import erase_expired
from services.temporal import connect_client
from settings import Settings, get_settings
from statute.exemptions import Role
from store import refdata
from store.db import current_revision, session_scope
from store.rebuild import rebuild_read_model
from store.refdata import RefDataError
from store.schema import RoutingRuleSpec, UnitSpec, UserSpec, validation_problems
from store.seed import SeedError, apply_seed, load_seed

_T = TypeVar("_T")

app = typer.Typer(
    help="The database: migrations, seed data, units, users, routing rules, settings, audit.",
    no_args_is_help=True,
)
units_app = typer.Typer(help="Units that answer questions.", no_args_is_help=True)
users_app = typer.Typer(help="People, their roles and units.", no_args_is_help=True)
rules_app = typer.Typer(help="Routing rules: phrase in a question → unit.", no_args_is_help=True)
settings_app = typer.Typer(
    help="Authority settings (reference pattern, limits…).", no_args_is_help=True
)
app.add_typer(units_app, name="units")
app.add_typer(users_app, name="users")
app.add_typer(rules_app, name="rules")
app.add_typer(settings_app, name="settings")

ACTOR_OPTION = typer.Option(
    None, "--actor", help="Who is making the change, for the audit log (default cli:$USER)."
)
# Queries in flight at once during a rebuild: enough to hide latency, few enough not to flood
# the workers (each query of a closed workflow replays its history).
REBUILD_CONCURRENCY = 16


def _actor(actor: str | None) -> str:
    return actor or os.environ.get("FOIFLOW_ACTOR") or f"cli:{os.environ.get('USER', 'unknown')}"


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _engine(settings: Settings) -> Engine:
    """The store, its schema brought up to date (a no-op at head: created on first use); one
    line naming the setting to check (exit 3) when it cannot be used."""
    try:
        engine = prepare_store(settings)
    except StoreUnavailable as exc:
        _fail(str(exc), UNAVAILABLE)
    configure_audit_keys(settings)  # edits are logged on keyed chains
    return engine


@contextmanager
def _store_writes(settings: Settings) -> Iterator[None]:
    """A write the store refuses (a read-only database, a server gone away): one line, exit 3."""
    try:
        with store_errors(settings):
            yield
    except StoreUnavailable as exc:
        _fail(str(exc), UNAVAILABLE)


@contextmanager
def _session() -> Iterator[Session]:
    settings = get_settings()
    engine = _engine(settings)
    with _store_writes(settings), session_scope(engine) as session:
        try:
            yield session
        except RefDataError as exc:
            _fail(f"refused: {exc}")


# --- Database ------------------------------------------------------------------------------


@app.command("migrate")
def migrate_cmd() -> None:
    """Create the database or bring its schema up to date."""
    settings = get_settings()
    engine = _engine(settings)
    with _store_writes(settings):
        revision = current_revision(engine)
    typer.echo(f"{_shown(settings.database_url)}: schema at revision {revision}")


@app.command("seed")
def seed_cmd(
    path: Path = typer.Argument(..., help="Seed YAML, e.g. cli/demo/seed.yaml."),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Load reference data from a seed file (adds and updates; running it twice changes nothing)."""
    try:
        seed = load_seed(path)
    except SeedError as exc:
        _fail(str(exc))
    with _session() as session:
        counts = apply_seed(session, seed, _actor(actor))
    if not counts:
        typer.echo(f"{path}: nothing to change")
        return
    typer.echo(f"{path}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))


@app.command("verify-audit")
def verify_audit_cmd(
    reference: str | None = typer.Argument(None, help="One case (or 'ref-data'); default: all."),
    store_only: bool = typer.Option(
        False, "--store-only", help="Check the store's chains only, not the cases in Temporal."
    ),
    grace: float = typer.Option(
        DEFAULT_GRACE.total_seconds(),
        "--grace-seconds",
        min=0,
        help="Cases started this recently may not be projected yet: not judged.",
    ),
) -> None:
    """Check the audit log's keyed hash chains and the chain of heads, and that every case
    Temporal knows has a chain; report the first broken link (exit 1) if any."""
    settings = get_settings()
    engine = _engine(settings)

    async def check() -> AuditReport:
        client = None if store_only else await connect_client(settings)
        return await verify_audit_log(
            engine, client, reference=reference, grace=timedelta(seconds=grace)
        )

    try:
        report = asyncio.run(check())
    except AuditKeyError as exc:
        _fail(str(exc))
    except Unavailable as exc:
        _fail(f"{exc}; or check the store alone with --store-only", code=3)
    except ServiceError as exc:
        _fail(str(exc), code=3 if isinstance(exc, Unavailable) else 1)
    if not report.intact:
        for line in report.problems():
            typer.echo(line, err=True)
        raise typer.Exit(1)
    if reference is not None and report.check.entries == 0:
        _fail(f"no audit entries for {reference!r}", code=2)
    for line in report.lines():
        typer.echo(line)


@app.command("erase-expired")
def erase_expired_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would go, change nothing."),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Erase requester details from cases closed longer ago than the authority's retention
    period (setting retention_years); each erasure is logged on the case's audit chain."""
    settings = get_settings()
    try:
        report = erase_expired(_engine(settings), actor=_actor(actor), dry_run=dry_run)
    except ServiceError as exc:
        _fail(str(exc), code=3 if isinstance(exc, Unavailable) else 1)
    for line in report.lines():
        typer.echo(line)


async def _fetch_views(settings: Settings) -> tuple[list[CaseView], dict[str, str]]:
    # Imported here: only this command talks to Temporal, the others should start fast.
    from services.temporal import WORKFLOW_TYPE, case_state, connect

    client = await connect(settings)
    limit = asyncio.Semaphore(REBUILD_CONCURRENCY)
    failures: dict[str, str] = {}

    async def fetch(reference: str) -> CaseView | None:
        async with limit:
            try:
                return await case_state(client, reference)
            except Exception as exc:  # reported per case; one bad case must not hide the rest
                failures[reference] = f"{type(exc).__name__}: {exc}"
                return None

    references = [wf.id async for wf in client.list_workflows(f"WorkflowType='{WORKFLOW_TYPE}'")]
    # One query per case: a workflow id listed once per run (continue-as-new) is one case, and
    # querying by id alone asks its latest run.
    fetched = await asyncio.gather(*(fetch(r) for r in dict.fromkeys(references)))
    return [v for v in fetched if v is not None], failures


@app.command("rebuild")
def rebuild_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="Report differences, change nothing."),
    prune: bool = typer.Option(
        False, "--prune", help="Delete cases Temporal no longer has (e.g. past its retention)."
    ),
) -> None:
    """Rebuild the read model from Temporal (query each case) and report what differed."""
    settings = get_settings()
    try:
        views, failures = asyncio.run(_fetch_views(settings))
    except Exception as exc:
        _fail(f"cannot read cases from Temporal at {settings.temporal_address}: {exc}")
    engine = _engine(settings)
    with _store_writes(settings), Session(engine) as session, session.begin() as transaction:
        report = rebuild_read_model(session, views, prune=prune, present=failures)
        if dry_run:
            transaction.rollback()
    for line in report.lines():
        typer.echo(line)
    if dry_run:
        typer.echo("dry run: nothing was changed")
    for reference, error in sorted(failures.items()):
        typer.echo(f"! {reference}: could not query its state: {error}", err=True)
    if failures:
        raise typer.Exit(1)


# --- Reference data --------------------------------------------------------------------------


@units_app.command("list")
def units_list() -> None:
    """Every unit: id, name, manager, mailbox."""
    with _session() as session:
        units = refdata.list_units(session)
    for u in units:
        typer.echo(f"{u.id}\t{u.name}\tmanager: {u.manager or '-'}\t{u.email or '-'}")


@units_app.command("add")
def units_add(
    unit_id: str = typer.Argument(..., metavar="ID", help="Slug, e.g. hate-crime."),
    name: str = typer.Argument(...),
    manager: str | None = typer.Option(None, "--manager", help="User id of the unit's manager."),
    email: str | None = typer.Option(None, "--email", help="The unit's mailbox."),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Add a unit, or update it when the id exists."""
    spec = _valid(lambda: UnitSpec(id=unit_id, name=name, manager=manager, email=email))
    with _session() as session:
        change = refdata.save_unit(session, spec, _actor(actor))
    typer.echo(f"unit {unit_id}: {change}")


@users_app.command("list")
def users_list() -> None:
    """Every user: id, name, email, roles, units."""
    with _session() as session:
        users = refdata.list_users(session)
    for u in users:
        roles = ",".join(r.value for r in u.roles) or "-"
        inactive = "" if u.active else "\t(inactive)"
        typer.echo(f"{u.id}\t{u.name}\t{u.email}\t{roles}\t{','.join(u.units) or '-'}{inactive}")


@users_app.command("add")
def users_add(
    user_id: str = typer.Argument(..., metavar="ID"),
    name: str = typer.Argument(...),
    email: str = typer.Argument(...),
    role: list[Role] = typer.Option([], "--role", help="Repeat for several roles."),
    unit: list[str] = typer.Option([], "--unit", help="Repeat for several units."),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Add a user, or update them when the id exists."""
    spec = _valid(
        lambda: UserSpec(id=user_id, name=name, email=email, roles=list(role), units=list(unit))
    )
    with _session() as session:
        change = refdata.save_user(session, spec, _actor(actor))
    typer.echo(f"user {user_id}: {change}")


@rules_app.command("list")
def rules_list() -> None:
    """Routing rules, in the order they win."""
    with _session() as session:
        rules = refdata.list_rules(session)
    for r in rules:
        typer.echo(f"{r.priority}\t{r.phrase!r}\t→ {r.unit}")


@rules_app.command("add")
def rules_add(
    phrase: str = typer.Argument(..., help="Words that route a question, e.g. 'hate crime'."),
    unit: str = typer.Argument(..., help="Unit id."),
    priority: int = typer.Option(100, "--priority", help="Lower wins when several units match."),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Add a routing rule, or update it when the phrase exists."""
    spec = _valid(lambda: RoutingRuleSpec(phrase=phrase, unit=unit, priority=priority))
    with _session() as session:
        change = refdata.save_rule(session, spec, _actor(actor))
    typer.echo(f"routing rule {spec.phrase!r}: {change}")


@rules_app.command("test")
def rules_test(text: str = typer.Argument(..., help="A question's text.")) -> None:
    """Which units the rules would route a question to."""
    with _session() as session:
        units = refdata.route(session, text)
    typer.echo(", ".join(units) if units else "no rule matches: the FOI officer routes it by hand")


@settings_app.command("show")
def settings_show() -> None:
    """Authority settings and the exemption sign-off policy."""
    with _session() as session:
        authority, problems = refdata.read_authority(session)
        policy = refdata.case_policy(session, check=False)
    for key, value in authority.model_dump(mode="json").items():
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                typer.echo(f"{key}.{sub} = {sub_value}")
        else:
            typer.echo(f"{key} = {value}")
    typer.echo(f"(cost limit in force: {authority.effective_cost_limit_hours:g} hours)")
    roles = ", ".join(f"s{s} {r.value}" for s, r in sorted(policy.sign_off_roles.items()))
    typer.echo(f"sign-off: {roles}; others {policy.sign_off_default_role.value}")
    for problem in problems:
        typer.echo(f"! {problem} (shown above as the default)", err=True)


# A value such as -1 is the setting's value, not an option: the settings say why it is refused.
@settings_app.command("set", context_settings={"ignore_unknown_options": True})
def settings_set(
    key: str = typer.Argument(..., help="e.g. cost_limit_hours, reminders.send_hour"),
    value: str = typer.Argument(..., help="New value ('none' resets an optional setting)."),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Change one authority setting (new cases use it; running cases keep theirs)."""
    with _session() as session:
        old, new = refdata.set_setting(session, key, value, _actor(actor))
    typer.echo(f"{key}: {old!r} → {new!r}" if old != new else f"{key}: unchanged ({new!r})")


def _valid(build: Callable[[], _T]) -> _T:
    try:
        return build()
    except ValidationError as exc:
        _fail(f"refused: {'; '.join(validation_problems(exc))}")


@users_app.command("set-password")
def users_set_password(
    user_id: str = typer.Argument(..., metavar="USER"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input's first line."
    ),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Set a user's password for logging in (ends their tokens and sessions)."""
    from services.identity import Identity

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    settings = get_settings()
    try:
        ended = Identity(_engine(settings), settings).set_password(user_id, password, _actor(actor))
    except ServiceError as exc:
        _fail(f"refused: {exc}")
    typer.echo(f"user {user_id}: password set" + (f"; {ended} login(s) ended" if ended else ""))
