"""The demo seed and the reference-data commands (``foiflow store …`` through typer's runner)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from cli.store_cmds import app
from statute.exemptions import Role
from store.db import head_revision, session_scope
from store.refdata import case_policy, get_authority, list_rules, list_units, list_users
from store.seed import SeedError, apply_seed, load_seed

DEMO = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed.yaml"


@pytest.fixture
def run(db_url: str) -> CliRunner:
    return CliRunner(env={"FOIFLOW_DATABASE_URL": db_url, "FOIFLOW_ACTOR": "tester"})


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_the_demo_seed_loads_without_a_database() -> None:
    seed = load_seed(DEMO)
    assert seed.authority.name == "Metropolitan Police Service"
    assert seed.authority.force_code == "01"
    assert seed.authority.effective_cost_limit_hours == 18
    assert {u.id for u in seed.units} == {"vawg", "hate-crime", "community-engagement", "foi"}
    for role in Role:
        if role is not Role.UNIT_CONTACT and role is not Role.UNIT_MANAGER:
            assert seed.users_with(role), f"no {role.value} in the demo"
    for unit in seed.units:
        assert seed.users_with(Role.UNIT_CONTACT, unit.id), f"no contact in {unit.id}"
        assert unit.manager in {u.id for u in seed.users_with(Role.UNIT_MANAGER, unit.id)}
    assert all(u.email.endswith("@example.org") for u in seed.users)
    assert seed.route("Minutes of all VAWG panel meetings") == ["vawg"]
    assert seed.route("organisations on any hate crime advisory panels") == ["hate-crime"]
    assert seed.route("All who sit on any Independent advisory groups") == ["community-engagement"]
    assert seed.route("Number of officers on bicycles") == []


def test_applying_a_seed_twice_changes_nothing_the_second_time(engine: Engine) -> None:
    seed = load_seed(DEMO)
    with session_scope(engine) as session:
        counts = apply_seed(session, seed)
    assert counts["unit.added"] == 4 and counts["rule.added"] == 5
    assert counts["user.added"] == len(seed.users)
    with engine.connect() as conn:
        audited = conn.execute(text("SELECT count(*) FROM audit_log")).scalar()
    with session_scope(engine) as session:
        assert apply_seed(session, seed) == {}
        assert get_authority(session) == seed.authority
        assert list_units(session) == sorted(seed.units, key=lambda u: u.id)
        assert list_users(session) == sorted(seed.users, key=lambda u: u.id)
        assert {r.phrase for r in list_rules(session)} == {r.phrase for r in seed.routing_rules}
        policy = case_policy(session)
        assert policy.cost_limit_hours == 18
        assert policy.sign_off_policy().role_for("40") is Role.DATA_PROTECTION_OFFICER
        assert policy.sign_off_policy().role_for("31") is Role.SENIOR_OFFICER
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == audited


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("units: [{id: a, name: A, manager: nobody}]", "manager 'nobody' is not a user"),
        ("users: [{id: u, name: U, email: u@example.org, units: [nowhere]}]", "does not exist"),
        ("routing_rules: [{phrase: x y, unit: none}]", "unit 'none' does not exist"),
        ("authority: {force_code: 01}", "valid string"),  # YAML's 01 is a number: quote it
        ("authority: {reference_pattern: '{force}-{nope}'}", "does not format"),
        ("sign_off_policy: {'36': senior_officer}", "qualified person"),
        ("units: [{id: a, name: A, manger: x}]", "Extra inputs"),
        ("units: [unclosed", "not valid YAML"),
    ],
)
def test_invalid_seeds_are_refused_with_a_reason(
    tmp_path: Path, yaml_text: str, message: str
) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(yaml_text)
    with pytest.raises(SeedError, match=message):
        load_seed(path)


def test_cli_seed_and_listing(run: CliRunner) -> None:
    seeded = invoke(run, "seed", str(DEMO))
    assert seeded.exit_code == 0, seeded.output
    assert "4 unit.added" in seeded.output
    assert "nothing to change" in invoke(run, "seed", str(DEMO)).output
    units = invoke(run, "units", "list").output
    assert "hate-crime\tHate crime unit\tmanager: samuel-okafor" in units
    users = invoke(run, "users", "list").output
    assert (
        "sarah-bennett\tSarah Bennett\tsarah.bennett@example.org\tdata_protection_officer" in users
    )
    rules = invoke(run, "rules", "list").output.splitlines()
    assert rules[-1] == "20\t'advisory group'\t→ community-engagement"
    assert invoke(run, "rules", "test", "hate crime advisory panels").output.strip() == "hate-crime"


def test_cli_reference_data_edits(run: CliRunner, engine: Engine) -> None:
    assert invoke(run, "units", "add", "roads", "Roads policing").output == "unit roads: added\n"
    added = invoke(
        run,
        "users",
        "add",
        "kim",
        "Kim Lee",
        "kim.lee@example.org",
        "--role",
        "unit_manager",
        "--role",
        "unit_contact",
        "--unit",
        "roads",
    )
    assert added.output == "user kim: added\n"
    assert invoke(run, "units", "add", "roads", "Roads policing", "--manager", "kim").output == (
        "unit roads: updated\n"
    )
    assert invoke(run, "rules", "add", "speed camera", "roads", "--priority", "5").exit_code == 0
    assert invoke(run, "rules", "test", "Where are the speed cameras?").output.strip() == "roads"
    with engine.connect() as conn:
        kinds = conn.execute(
            text("SELECT actor, kind FROM audit_log WHERE chain = 'ref-data' ORDER BY seq")
        ).all()
    assert [tuple(k) for k in kinds] == [
        ("tester", "unit.added"),
        ("tester", "user.added"),
        ("tester", "unit.updated"),
        ("tester", "rule.added"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["units", "add", "x", "X", "--manager", "ghost"], "manager 'ghost' is not a user"),
        (["units", "add", "Bad Id", "X"], "String should match pattern"),
        (["users", "add", "u", "U", "not-an-email"], "email"),
        (["users", "add", "u", "U", "u@example.org", "--unit", "ghost"], "does not exist"),
        (["rules", "add", "phrase", "ghost"], "unit 'ghost' does not exist"),
        (["settings", "set", "time_zone", "Mars/Olympus"], "IANA time zone"),
        (["settings", "set", "colour", "blue"], "unknown setting"),
        (["settings", "set", "reminders", "1"], "is a group"),
    ],
)
def test_cli_refuses_invalid_edits(run: CliRunner, args: list[str], message: str) -> None:
    result = invoke(run, *args)
    assert result.exit_code != 0
    assert message in result.output


def test_cli_settings(run: CliRunner) -> None:
    invoke(run, "seed", str(DEMO))
    shown = invoke(run, "settings", "show").output
    assert "force_code = 01" in shown
    assert "reminders.send_hour = 9" in shown
    assert "s40 data_protection_officer" in shown
    assert invoke(run, "settings", "set", "reminders.send_hour", "8").output == (
        "reminders.send_hour: 9 → 8\n"
    )
    assert invoke(run, "settings", "set", "kind", "central_government").exit_code == 0
    assert invoke(run, "settings", "set", "cost_limit_hours", "none").exit_code == 0
    shown = invoke(run, "settings", "show").output
    assert "(cost limit in force: 24 hours)" in shown
    assert "reminders.send_hour = 8" in shown


def test_cli_migrate_reports_the_revision(run: CliRunner) -> None:
    result = invoke(run, "migrate")
    assert result.exit_code == 0
    assert f"schema at revision {head_revision()}" in result.output
