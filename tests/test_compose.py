"""docker-compose.yml and the Dockerfile, checked without Docker (it cannot run here).

The compose file is validated against the Compose Specification's JSON schema (vendored in
tests/data, never fetched), and read for what foiflow needs: the variables Settings requires in
production (each a real setting, each valid), the ports and health checks agreeing with the
commands, the start order, pinned images, and the search attributes equal to the code's.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from settings import Settings, env_name
from store.db import dispose_engine
from tools.compose import VARIABLE, compose_drift, rendered, search_attributes
from web.app import API_PREFIX, create_app
from workflows.search_attributes import ALL_KEYS, cli_flags

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEMA = Path(__file__).resolve().parent / "data" / "compose-spec.json"

FOIFLOW_SERVICES = ("foiflow-worker", "foiflow-web", "foiflow-dispatcher")
# What every foiflow process needs in production: without these it would run on SQLite in its
# container, dial 127.0.0.1 for Temporal, or sign CSRF tokens with a per-container key.
REQUIRED = (
    "database_url",
    "temporal_address",
    "temporal_namespace",
    "task_queue",
    "secret_key",
    "payload_keys",
    "log_format",
)
REQUIRED_BY = {
    "foiflow-web": ("web_host", "web_port"),
    "foiflow-worker": ("worker_metrics_port",),
}
# Settings the delivery work adds (its branch is merged separately): named in the compose file
# already, since the dispatcher is nothing without them. Once Settings has them they are checked
# like the rest (see test_every_foiflow_variable_is_a_setting).
DELIVERY_SETTINGS = {
    "FOIFLOW_PUBLIC_URL",
    "FOIFLOW_DISPATCH_IN_WORKER",
    "FOIFLOW_SMTP_HOST",
    "FOIFLOW_SMTP_PORT",
    "FOIFLOW_SMTP_SECURITY",
    "FOIFLOW_SMTP_USERNAME",
    "FOIFLOW_SMTP_PASSWORD",
    "FOIFLOW_MAIL_FROM",
}
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text("utf-8"))
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def environment(service: str) -> dict[str, str]:
    env = services()[service].get("environment", {})
    assert isinstance(env, dict), f"{service}: environment as a mapping"
    return {k: str(v) for k, v in env.items()}


def interpolated(value: str, given: dict[str, str] | None = None) -> str:
    """``value`` as Compose would pass it, with ``given`` as the operator's .env: defaults for
    unset variables, a sample for the required ones (``${X:?message}``)."""
    given = given or {}

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if name in given:
            return given[name]
        if op and op.endswith("-"):
            return arg
        if op and op.endswith("?"):
            if name == "FOIFLOW_PAYLOAD_KEYS":
                return "k1:" + "A" * 43 + "="  # 32 bytes, base64: what the comment says to make
            return "s3cretS3cret" if "PASSWORD" in name or "KEY" in name else f"set-{name}"
        return ""

    return INTERPOLATION.sub(one, value).replace("$$", "$")


def command_words(service: str) -> list[str]:
    command = services()[service]["command"]
    return command if isinstance(command, list) else shlex.split(command)


# --- The Compose Specification ----------------------------------------------------------------


def validator() -> jsonschema.Draft201909Validator:
    # The schema names draft 2019-09 by an address jsonschema does not recognise (http, "#").
    schema = json.loads(SCHEMA.read_text("utf-8"))
    assert "2019-09" in schema["$schema"]
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


def test_the_compose_file_follows_the_compose_specification() -> None:
    errors = sorted(validator().iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_check_catches_a_mistake() -> None:
    broken = copy.deepcopy(compose())
    broken["services"]["temporal"]["depends_on"]["temporal-schema"]["condition"] = "when_ready"
    broken["services"]["temporal-ui"]["portz"] = ["8080:8080"]
    messages = [e.message for e in validator().iter_errors(broken)]
    assert any("'when_ready'" in m and "is not valid" in m for m in messages), messages
    assert any(m.startswith("'portz' does not match") for m in messages), messages


# --- Search attributes ------------------------------------------------------------------------


def test_the_setup_job_creates_every_search_attribute_the_code_uses_with_its_type() -> None:
    listed = environment("temporal-setup")[VARIABLE].split()
    pairs = dict(pair.split("=", 1) for pair in listed)
    code = dict(flag.split("=", 1) for flag in cli_flags() if flag != "--search-attribute")
    assert set(code) == {key.name for key in ALL_KEYS}
    assert pairs == code, f"run `make compose` (the code's list: {search_attributes()})"
    assert not compose_drift()
    script = "\n".join(command_words("temporal-setup"))
    assert "temporal operator search-attribute create" in script
    assert f"$${VARIABLE}" in script  # the loop reads the generated list, not a copy


def test_make_compose_rewrites_a_stale_list(tmp_path: Path) -> None:
    stale = COMPOSE.read_text("utf-8").replace("FoiOverdue=Bool ", "")
    assert "FoiOverdue" not in stale.split(f"{VARIABLE}:")[1].splitlines()[0]
    fixed = rendered(stale)
    assert fixed == COMPOSE.read_text("utf-8")
    with pytest.raises(ValueError, match="exactly one"):
        rendered(stale.replace(f"{VARIABLE}:", "ATTRIBUTES:"))


# --- What foiflow needs -----------------------------------------------------------------------


@pytest.mark.parametrize("service", FOIFLOW_SERVICES)
def test_each_foiflow_service_has_the_settings_production_needs(service: str) -> None:
    env = environment(service)
    needed = [env_name(field) for field in (*REQUIRED, *REQUIRED_BY.get(service, ()))]
    missing = [name for name in needed if name not in env]
    assert not missing, f"{service} lacks {missing}"
    assert interpolated(env["FOIFLOW_LOG_FORMAT"]) == "json"
    # The secret key comes from the operator, never a default in the file.
    assert env["FOIFLOW_SECRET_KEY"].startswith("${FOIFLOW_SECRET_KEY:?")
    # So are the payload keys: each container generating its own could not read the others'.
    assert env["FOIFLOW_PAYLOAD_KEYS"].startswith("${FOIFLOW_PAYLOAD_KEYS:?")
    url = interpolated(env["FOIFLOW_DATABASE_URL"])
    assert url.startswith("postgresql+psycopg://") and "@postgresql:5432/foiflow" in url
    host, port = interpolated(env["FOIFLOW_TEMPORAL_ADDRESS"]).split(":")
    assert host in services() and port == "7233"


@pytest.mark.parametrize("service", FOIFLOW_SERVICES)
def test_the_service_s_environment_makes_valid_settings(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(env_name(name), raising=False)
    for name, value in environment(service).items():
        monkeypatch.setenv(name, interpolated(value))
    try:
        settings = Settings()
    except ValidationError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"{service}: {exc}")
    assert settings.log_format == "json"
    assert settings.database_url.startswith("postgresql+psycopg://foiflow:s3cretS3cret@")
    assert settings.temporal_namespace == "foiflow"


def test_every_foiflow_variable_is_a_setting() -> None:
    known = {env_name(field) for field in Settings.model_fields}
    for service, spec in services().items():
        for name in spec.get("environment", {}):
            if name.startswith("FOIFLOW_"):
                assert name in known or name in DELIVERY_SETTINGS, (
                    f"{service}: {name} is no setting"
                )


def test_ports_and_health_checks_agree_with_the_commands(tmp_path: Path) -> None:
    web = services()["foiflow-web"]
    words = command_words("foiflow-web")
    assert words[:3] == ["uvicorn", "--factory", "web.app:app_from_env"]
    port = words[words.index("--port") + 1]
    assert environment("foiflow-web")["FOIFLOW_WEB_PORT"] == port
    assert f"{port}:{port}" in web["ports"]
    health = " ".join(web["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/api/health" in health
    app = create_app(Settings(data_dir=tmp_path), connect_temporal=False)
    assert f"{API_PREFIX}/health" in app.openapi()["paths"]
    dispose_engine(Settings(data_dir=tmp_path).database_url)

    worker = services()["foiflow-worker"]
    metrics = environment("foiflow-worker")["FOIFLOW_WORKER_METRICS_PORT"]
    assert metrics in worker["expose"]
    assert f"http://127.0.0.1:{metrics}/metrics" in " ".join(worker["healthcheck"]["test"])
    assert command_words("foiflow-worker") == ["python", "-m", "worker"]
    assert command_words("foiflow-dispatcher") == ["foiflow", "dispatch"]


def test_start_order_waits_for_health_and_for_one_shot_jobs() -> None:
    found = services()
    order = {
        name: {dep: how["condition"] for dep, how in spec.get("depends_on", {}).items()}
        for name, spec in found.items()
    }
    assert order["temporal-schema"] == {"postgresql": "service_healthy"}
    assert order["temporal"] == {"temporal-schema": "service_completed_successfully"}
    assert order["temporal-setup"] == {"temporal": "service_healthy"}
    assert order["foiflow-worker"] == {
        "postgresql": "service_healthy",
        "temporal-setup": "service_completed_successfully",
    }
    for name in ("foiflow-web", "foiflow-dispatcher"):
        assert order[name] == {"foiflow-worker": "service_healthy"}
    for name, deps in order.items():
        for dep, condition in deps.items():
            if condition == "service_healthy":
                assert "healthcheck" in found[dep], f"{name} waits for {dep}'s health check"
            if condition == "service_completed_successfully":
                assert found[dep].get("restart", "no").startswith("on-failure"), dep


def test_temporal_runs_on_postgresql_with_its_schema_set_up_by_admin_tools() -> None:
    found = services()
    assert environment("temporal")["DB"] == "postgres12"
    assert environment("temporal")["POSTGRES_SEEDS"] == "postgresql"
    assert environment("temporal")["NUM_HISTORY_SHARDS"].startswith("${TEMPORAL_HISTORY_SHARDS")
    schema_job = "\n".join(command_words("temporal-schema"))
    assert "temporal-sql-tool --plugin postgres12" in schema_job
    for database in ("temporal", "temporal_visibility"):
        assert database in schema_job
    server = found["temporal"]["image"].split(":")[1]
    for job in ("temporal-schema", "temporal-setup"):
        image, tag = found[job]["image"].split(":")
        assert (image, tag) == ("temporalio/admin-tools", server), "admin tools match the server"
    assert environment("temporal-ui")["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_the_temporal_ui_decrypts_through_foiflow_s_codec_endpoint() -> None:
    ui = environment("temporal-ui")
    assert interpolated(ui["TEMPORAL_CODEC_ENDPOINT"]) == "set-FOIFLOW_PUBLIC_URL/codec"
    assert ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"  # the officer's foiflow session
    # The web app lets the UI's published address call it from a browser.
    port = services()["temporal-ui"]["ports"][0].rsplit(":", 2)[-2]
    origins = interpolated(environment("foiflow-web")["FOIFLOW_TEMPORAL_UI_ORIGINS"])
    assert origins == f"http://127.0.0.1:{port}"


# --- Images -----------------------------------------------------------------------------------


def pinned(image: str) -> bool:
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag != "latest" and any(c.isdigit() for c in tag)


def test_every_image_is_pinned_and_the_official_ones_are_there() -> None:
    images = {name: spec["image"] for name, spec in services().items()}
    unpinned = {name: image for name, image in images.items() if not pinned(interpolated(image))}
    assert not unpinned, f"pin these (no latest): {unpinned}"
    bases = {interpolated(image).split(":")[0] for image in images.values()}
    assert {"postgres", "temporalio/server", "temporalio/admin-tools", "temporalio/ui"} <= bases
    for name in FOIFLOW_SERVICES:
        assert services()[name]["build"] == ".", f"{name} is built from the Dockerfile"
    assert not re.search(r":latest\b", COMPOSE.read_text("utf-8"))


def dockerfile_stages() -> list[list[str]]:
    lines = DOCKERFILE.read_text("utf-8").splitlines()
    stages: list[list[str]] = []
    for line in lines:
        if line.startswith("FROM "):
            stages.append([])
        if stages and line.strip() and not line.lstrip().startswith("#"):
            stages[-1].append(line)
    return stages


def test_the_dockerfile_builds_assets_then_a_slim_non_root_image_without_dev_tools() -> None:
    text = DOCKERFILE.read_text("utf-8")
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))
    bases = [
        re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], line.split()[1])
        for line in text.splitlines()
        if line.startswith("FROM ")
    ]
    assert bases and all(pinned(base) for base in bases), bases
    assert not re.search(r":latest\b", text)

    assets, build, runtime = dockerfile_stages()
    assert "AS assets" in assets[0] and bases[0].startswith("node:")
    assert any("if [ -f package.json ]; then make assets; fi" in line for line in assets)
    assert any("pip install /src" in line for line in build)
    assert not re.search(r"\[dev\]|pip install -e|--editable", text)
    final = "\n".join(runtime)
    user = re.findall(r"^USER (\S+)$", final, re.MULTILINE)
    assert user and not user[-1].startswith(("root", "0")), user
    assert "npm" not in final and "COPY . " not in final  # only the venv comes across
    assert re.search(r'^CMD \["python", "-m", "worker"\]$', final, re.MULTILINE)
    if (ROOT / "package.json").exists():
        makefile = (ROOT / "Makefile").read_text("utf-8")
        assert re.search(r"^assets:", makefile, re.MULTILINE), "make assets must exist"
