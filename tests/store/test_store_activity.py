"""The project_case activity writes to the database its settings name, through one cached engine."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import ActivityEnvironment

from activities.store_adapters import store_activities
from settings import Settings
from store.db import get_engine, session_scope
from store.rebuild import case_snapshot, view_snapshot

from case_factory import make_view


def test_project_case_applies_views_to_the_configured_store(db_url: str, tmp_path: Path) -> None:
    activities = store_activities(Settings(data_dir=tmp_path, database_url=db_url))
    env = ActivityEnvironment()
    engine = get_engine(db_url)
    for version in (2, 5, 3, 5):  # out of order and repeated, as Temporal may deliver
        env.run(activities.project_case, make_view(version=version))
    assert get_engine(db_url) is engine  # no engine per call
    with session_scope(engine) as session:
        assert case_snapshot(session, "01.FOI.23.000001") == view_snapshot(make_view(version=5))
