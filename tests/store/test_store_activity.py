"""The project_case activity writes to the database in settings, through one cached engine."""

from __future__ import annotations

import pytest
from temporalio.testing import ActivityEnvironment

from activities.projection import project_case
from store.db import get_engine, session_scope
from store.rebuild import case_snapshot, view_snapshot

from case_factory import make_view


def test_project_case_applies_views_to_the_configured_store(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOIFLOW_DATABASE_URL", db_url)
    env = ActivityEnvironment()
    engine = get_engine(db_url)
    for version in (2, 5, 3, 5):  # out of order and repeated, as Temporal may deliver
        env.run(project_case, make_view(version=version))
    assert get_engine(db_url) is engine  # no engine per call
    with session_scope(engine) as session:
        assert case_snapshot(session, "01.FOI.23.000001") == view_snapshot(make_view(version=5))
