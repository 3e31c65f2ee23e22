"""No input gives a server error: schemathesis generates requests from ``/openapi.json`` (valid
ones and invalid ones) for every operation, sent in-process with a fresh token for a role drawn
per request, with a fixed seed. Every response must be below 500.

The case routes need Temporal: ``test_web_cases_fuzz.py`` fuzzes them (over 1,000 requests of
their own) on the dev server with a worker and real cases; this run covers every other route.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from services.identity import Principal
from services.runtime import Runtime
from settings import Settings
from statute.exemptions import Role
from store.db import dispose_engine

from web_support import ROLE_USERS, make_app

SEED = 20261125
EXAMPLES_PER_MODE = 30  # per operation and mode: over 1,000 requests in all
ANONYMOUS = "anonymous"


@pytest.fixture(scope="module")
def fuzzed_app(
    seeded_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    """One app and store for the whole run: the fuzzer's changes pile up, as in production."""
    data_dir = tmp_path_factory.mktemp("fuzz")
    db = data_dir / "foiflow.db"
    shutil.copyfile(seeded_template, db)
    url = f"sqlite:///{db}"
    yield make_app(Settings(data_dir=data_dir, database_url=url, temporal_address="127.0.0.1:1"))
    dispose_engine(url)


def test_no_generated_request_gets_a_server_error(fuzzed_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    runtime: Runtime = fuzzed_app.state.runtime
    callers = [ANONYMOUS, *ROLE_USERS.values()]
    sent: dict[str, int] = {}
    failures: list[str] = []

    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # an operation the schema cannot describe
        operation = result.ok()
        if operation.path.startswith(("/api/cases", "/api/tasks", "/api/sign-offs")):
            continue  # need Temporal: fuzzed with a dev server in test_web_cases_fuzz.py
        operations.append(operation)
    assert len(operations) >= 20, [op.label for op in operations]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @seed(SEED)
            @settings(
                max_examples=EXAMPLES_PER_MODE,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(
                case=operation.as_strategy(generation_mode=mode), caller=st.sampled_from(callers)
            )
            def send(case: Any, caller: str) -> None:
                headers = dict(case.headers or {})
                if caller != ANONYMOUS:
                    # A fresh token each time: a fuzzed DELETE /api/token or a new password
                    # must not leave the rest of the run unauthenticated.
                    token = runtime.identity.issue_token(Principal(caller, "password"))
                    headers["Authorization"] = f"Bearer {token.access_token}"
                case.call_and_validate(headers=headers, checks=[not_a_server_error])
                sent[case.operation.label] = sent.get(case.operation.label, 0) + 1

            try:
                send()
            except Unsatisfiable:
                continue  # nothing to make invalid (no parameters, no body): positive covers it
            except Exception as exc:  # every operation runs; all failures are reported at once
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
    print(f"{sum(sent.values())} requests over {len(sent)} operations")
    assert sum(sent.values()) >= 1_000, sent


def test_the_schema_documents_the_contract_paths(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for path in ("/api/token", "/api/me", "/api/deadline"):
        assert path in paths
    assert paths["/api/token"]["post"]["requestBody"]["content"].keys() == {
        "application/x-www-form-urlencoded"
    }
    assert set(paths["/api/admin/units"]) == {"get", "post"}
    assert Role.ADMIN.value  # the admin role exists for the routes above
