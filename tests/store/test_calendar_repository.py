"""Calendar versions on disk: v1 is the packaged snapshot, each change is the next version."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from settings import get_settings
from statute import CalendarError, packaged_calendar
from statute.calendar import ALL_UK, SCOTLAND
from store.calendars import (
    CalendarRepository,
    CalendarVersionNotFound,
    FileCalendarRepository,
    calendar_repository,
)

PACKAGED = packaged_calendar()


@pytest.fixture
def repo(tmp_path: Path) -> FileCalendarRepository:
    return FileCalendarRepository(tmp_path / "calendars.json")


def test_without_a_file_the_packaged_snapshot_is_version_1(repo: FileCalendarRepository) -> None:
    assert repo.latest() == PACKAGED
    assert repo.latest().version == 1
    assert repo.versions() == [PACKAGED]
    assert repo.get(1) == PACKAGED
    assert not repo.path.exists()  # reading never writes


def test_saving_numbers_the_next_version_and_keeps_the_old_ones(
    repo: FileCalendarRepository,
) -> None:
    extra = PACKAGED.with_proclaimed(date(2026, 6, 15), [SCOTLAND], "Extra", version=99)
    v2 = repo.save_new(extra)
    assert v2.version == 2  # the store numbers versions, whatever the caller put there
    assert v2.fingerprint == extra.fingerprint
    v3 = repo.save_new(v2.with_proclaimed(date(2026, 6, 16), ALL_UK, "Another", version=0))
    assert [d.version for d in repo.versions()] == [1, 2, 3]
    assert repo.latest() == v3
    assert repo.get(2) == v2
    assert repo.get(1).fingerprint == PACKAGED.fingerprint

    reopened = FileCalendarRepository(repo.path)
    assert [d.fingerprint for d in reopened.versions()] == [
        PACKAGED.fingerprint,
        v2.fingerprint,
        v3.fingerprint,
    ]
    proclaimed = [h for h in reopened.get(2).holidays if h.proclaimed]
    assert [(h.date, h.division, h.title) for h in proclaimed] == [
        (date(2026, 6, 15), SCOTLAND, "Extra")
    ]


def test_identical_content_is_not_a_new_version(repo: FileCalendarRepository) -> None:
    assert repo.save_new(PACKAGED) == PACKAGED
    assert not repo.path.exists()
    v2 = repo.save_new(PACKAGED.with_proclaimed(date(2026, 6, 15), [SCOTLAND], "X", version=0))
    again = repo.save_new(PACKAGED.with_proclaimed(date(2026, 6, 15), [SCOTLAND], "X", version=7))
    assert again == v2
    assert len(repo.versions()) == 2


def test_an_unknown_version_is_an_error_naming_it(repo: FileCalendarRepository) -> None:
    with pytest.raises(CalendarVersionNotFound, match=r"version: no calendar v9 \(stored: v1\)"):
        repo.get(9)


def test_a_damaged_file_is_reported_not_ignored(repo: FileCalendarRepository) -> None:
    repo.path.write_text("{not json")
    with pytest.raises(CalendarError, match=r"calendars\.json is malformed"):
        repo.latest()


def test_a_hand_edited_version_is_detected(repo: FileCalendarRepository) -> None:
    repo.save_new(PACKAGED.with_proclaimed(date(2026, 6, 15), [SCOTLAND], "X", version=0))
    document = json.loads(repo.path.read_text())
    document["versions"][1]["holidays"].pop()
    repo.path.write_text(json.dumps(document))
    with pytest.raises(CalendarError, match="no longer match its fingerprint"):
        repo.versions()


def test_the_default_repository_is_the_database_and_imports_a_legacy_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOIFLOW_DATA_DIR", str(tmp_path / "data"))
    legacy = FileCalendarRepository(tmp_path / "data" / "calendars.json")
    legacy_v2 = legacy.save_new(
        PACKAGED.with_proclaimed(date(2026, 6, 15), [SCOTLAND], "X", version=0)
    )
    repo: CalendarRepository = calendar_repository(get_settings())
    assert [v.fingerprint for v in repo.versions()] == [PACKAGED.fingerprint, legacy_v2.fingerprint]
    assert not (tmp_path / "data" / "calendars.json").exists()
    saved = repo.save_new(PACKAGED.with_proclaimed(date(2026, 6, 16), [SCOTLAND], "Y", version=0))
    assert saved.version == 3
    assert calendar_repository(get_settings()).latest().fingerprint == saved.fingerprint
    assert (tmp_path / "data" / "foiflow.db").exists()
