"""``services.admin.preview_holiday``: which open cases' due dates a proclaimed holiday moves,
read from the read model before anything is saved. A case moves when the day, a working day
for its regime until now, falls after its day 0 and on or before its due date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.case import Actor, CaseStatus
from services import admin
from services.errors import Conflict, Forbidden
from settings import Settings
from statute.exemptions import Role
from store.calendars import calendar_repository
from store.db import dispose_engine, get_engine, migrate, session_scope
from store.models import CaseRow
from store.seed import apply_seed, load_seed

DEMO_SEED = Path(__file__).resolve().parents[2] / "cli" / "demo" / "seed.yaml"
ADMIN = Actor(user_id="kevin-ashworth", roles=[Role.ADMIN])
LONDON_MORNING = dt.time(9, 30, tzinfo=dt.UTC)
# Wednesday 18 November 2026: a working day everywhere in the UK until it is proclaimed.
HOLIDAY = dt.date(2026, 11, 18)


def _case(
    reference: str,
    received: dt.date,
    due: dt.date | None,
    *,
    regime: str = "foia",
    status: CaseStatus = CaseStatus.IN_PROGRESS,
) -> CaseRow:
    return CaseRow(
        reference=reference,
        version=1,
        regime=regime,
        status=status.value,
        received_at=dt.datetime.combine(received, LONDON_MORNING),
        due_date=due,
        statutory_due_date=due,
        paused=due is None,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    url = f"sqlite:///{tmp_path / 'foiflow.db'}"
    migrate(url)
    with session_scope(get_engine(url)) as session:
        apply_seed(session, load_seed(DEMO_SEED), "seed")
        session.add_all(
            [
                # Received before the day, due after it: the day is inside the count.
                _case("01.FOI.26.000001", dt.date(2026, 11, 2), dt.date(2026, 11, 30)),
                # Due the day itself: the last day of the count moves too.
                _case("01.FOI.26.000002", dt.date(2026, 10, 21), HOLIDAY),
                # Due before the day.
                _case("01.FOI.26.000003", dt.date(2026, 10, 1), dt.date(2026, 10, 29)),
                # Received on the day: it is day 0, not a day of the count.
                _case("01.FOI.26.000004", HOLIDAY, dt.date(2026, 12, 16)),
                # FOISA counts Scottish holidays only.
                _case(
                    "01.FOI.26.000005",
                    dt.date(2026, 11, 2),
                    dt.date(2026, 11, 30),
                    regime="foisa",
                ),
                # Paused before the day: its due date is worked out when the clock restarts.
                _case("01.FOI.26.000006", dt.date(2026, 11, 9), None),
                # Closed: nothing of it moves.
                _case(
                    "01.FOI.26.000007",
                    dt.date(2026, 11, 2),
                    dt.date(2026, 11, 30),
                    status=CaseStatus.ISSUED,
                ),
            ]
        )
    yield Settings(data_dir=tmp_path, database_url=url, temporal_address="127.0.0.1:1")
    dispose_engine(url)


def _preview(settings: Settings, day: dt.date, division: str) -> admin.HolidayPreview:
    holiday = admin.HolidayIn(date=day, division=division, reason="State funeral")  # type: ignore[arg-type]
    with session_scope(get_engine(settings.database_url)) as session:
        return admin.preview_holiday(session, settings, ADMIN, holiday)


def test_an_england_and_wales_holiday_moves_the_cases_whose_count_spans_it(
    settings: Settings,
) -> None:
    preview = _preview(settings, HOLIDAY, "england-and-wales")
    assert preview.working_day
    assert preview.open_cases == 6
    assert preview.moving == ["01.FOI.26.000002", "01.FOI.26.000001"]  # oldest receipt first
    assert preview.paused == ["01.FOI.26.000006"]
    # Nothing was saved: the calendar has no new version.
    assert len(calendar_repository(settings).versions()) == 1


def test_a_scottish_holiday_moves_foisa_cases_too(settings: Settings) -> None:
    preview = _preview(settings, HOLIDAY, "scotland")
    assert preview.moving == ["01.FOI.26.000002", "01.FOI.26.000001", "01.FOI.26.000005"]


def test_a_weekend_or_an_existing_holiday_moves_nothing(settings: Settings) -> None:
    saturday = _preview(settings, dt.date(2026, 11, 21), "all")
    assert not saturday.working_day
    assert saturday.moving == [] and saturday.paused == []
    # Christmas Day is a holiday already in every part of the UK: nothing to add.
    with pytest.raises(Conflict) as refused:
        _preview(settings, dt.date(2026, 12, 25), "all")
    assert refused.value.field == "date"


def test_only_admins_preview(settings: Settings) -> None:
    officer = Actor(user_id="aisha-rahman", roles=[Role.FOI_OFFICER])
    holiday = admin.HolidayIn(date=HOLIDAY, division="all", reason="State funeral")
    with (
        session_scope(get_engine(settings.database_url)) as session,
        pytest.raises(Forbidden),
    ):
        admin.preview_holiday(session, settings, officer, holiday)
