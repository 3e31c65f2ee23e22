"""DbCalendarRepository keeps the CalendarRepository contract of the file store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from statute.calendar import ENGLAND_AND_WALES, CalendarError, Holiday, packaged_calendar
from store.calendar_versions import DbCalendarRepository
from store.calendars import CalendarVersionNotFound, FileCalendarRepository

PROCLAIMED = Holiday(date(2026, 6, 15), ENGLAND_AND_WALES, "Proclaimed holiday", proclaimed=True)


def test_an_empty_store_serves_the_packaged_snapshot(engine: Engine) -> None:
    repo = DbCalendarRepository(engine)
    packaged = packaged_calendar()
    assert repo.latest().fingerprint == packaged.fingerprint
    assert [d.version for d in repo.versions()] == [1]
    assert repo.get(1).fingerprint == packaged.fingerprint
    with pytest.raises(CalendarVersionNotFound):
        repo.get(2)


def test_new_content_is_the_next_version_and_identical_content_is_not(engine: Engine) -> None:
    repo = DbCalendarRepository(engine, actor="aisha-rahman")
    v1 = repo.latest()
    v2 = repo.save_new(v1.with_holiday(PROCLAIMED, version=0))
    assert v2.version == 2
    assert repo.save_new(v2) == v2  # same fingerprint: nothing added
    assert [d.version for d in repo.versions()] == [1, 2]
    assert repo.latest() == v2
    assert repo.get(1).fingerprint == v1.fingerprint
    with engine.connect() as conn:
        logged = conn.execute(text("SELECT actor, kind, text FROM audit_log")).all()
    assert [(r.actor, r.kind) for r in logged] == [("aisha-rahman", "calendar.saved")]
    assert "15 Jun 2026 added" in logged[0].text


def test_a_tampered_version_is_refused(engine: Engine) -> None:
    repo = DbCalendarRepository(engine)
    repo.save_new(repo.latest().with_holiday(PROCLAIMED, version=0))
    with engine.begin() as conn:
        conn.execute(text("UPDATE calendar_versions SET fingerprint = 'forged' WHERE version = 2"))
    with pytest.raises(CalendarError, match="fingerprint"):
        repo.get(2)


def test_versions_move_over_from_the_file_store(engine: Engine, tmp_path: Path) -> None:
    files = FileCalendarRepository(tmp_path / "calendars.json")
    files.save_new(files.latest().with_holiday(PROCLAIMED, version=0))
    repo = DbCalendarRepository(engine)
    assert repo.import_from(files) == 2
    assert repo.import_from(files) == 0
    assert [d.fingerprint for d in repo.versions()] == [d.fingerprint for d in files.versions()]
