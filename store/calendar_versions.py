"""Calendar versions in the database, behind ``store.calendar_protocol.CalendarRepository``.

Same contract as the file repository: version 1 is the packaged snapshot (implicit until something
is saved), versions count up and are never rewritten, and saving content identical to the latest
adds nothing. Saves serialize on the ``ref-data`` audit chain's lock, which every reference-data
edit takes anyway, so two refreshes never claim the same number, on either engine.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from statute.calendar import CalendarData, CalendarError, packaged_calendar
from store.audit import lock_chain, record_ref_change
from store.calendar_protocol import CalendarRepository, CalendarVersionNotFound
from store.db import session_scope
from store.models import REF_DATA_KEY, CalendarVersionRow


def _row(data: CalendarData) -> CalendarVersionRow:
    return CalendarVersionRow(
        version=data.version,
        fingerprint=data.fingerprint,
        source=data.source,
        coverage_start=data.coverage_start,
        coverage_end=data.coverage_end,
        data=data.to_json(),
    )


# Decoded versions by number, with the stored JSON each came from. A row's content is compared
# (a dict comparison, cheap) rather than decoded and re-fingerprinted for every case started.
_decoded: dict[int, tuple[Any, CalendarData]] = {}
_decoded_lock = threading.Lock()
_DECODED_VERSIONS = 16


def _data(row: CalendarVersionRow) -> CalendarData:
    with _decoded_lock:
        cached = _decoded.get(row.version)
    if cached is not None and cached[0] == row.data and cached[1].fingerprint == row.fingerprint:
        return cached[1]
    data = _checked(row)
    with _decoded_lock:
        if len(_decoded) >= _DECODED_VERSIONS:
            _decoded.pop(next(iter(_decoded)))
        _decoded[row.version] = (copy.deepcopy(row.data), data)
    return data


def _checked(row: CalendarVersionRow) -> CalendarData:
    data = CalendarData.from_json(row.data)
    if data.fingerprint != row.fingerprint or data.version != row.version:
        # The row was edited behind foiflow's back: deadlines computed with it could not be
        # explained any more, so refuse rather than silently use different holidays.
        raise CalendarError(
            f"stored calendar v{row.version} no longer matches its fingerprint {row.fingerprint}"
        )
    return data


class DbCalendarRepository:
    """Calendar versions in the ``calendar_versions`` table."""

    def __init__(self, engine: Engine, actor: str = "system") -> None:
        self.engine = engine
        self.actor = actor  # who the audit log names for saves

    def _stored(self, session: Session) -> list[CalendarData]:
        rows = session.scalars(
            select(CalendarVersionRow).order_by(col(CalendarVersionRow.version))
        ).all()
        return [_data(r) for r in rows] or [packaged_calendar()]

    def latest(self) -> CalendarData:
        with session_scope(self.engine) as session:
            row = session.scalars(
                select(CalendarVersionRow).order_by(col(CalendarVersionRow.version).desc()).limit(1)
            ).first()
            return packaged_calendar() if row is None else _data(row)

    def get(self, version: int) -> CalendarData:
        with session_scope(self.engine) as session:
            row = session.get(CalendarVersionRow, version)
            if row is not None:
                return _data(row)
            stored = self._stored(session)
        if version == 1 and stored[0].version == 1:
            return stored[0]  # the implicit packaged snapshot
        known = ", ".join(f"v{d.version}" for d in stored)
        raise CalendarVersionNotFound(f"version: no calendar v{version} (stored: {known})")

    def versions(self) -> list[CalendarData]:
        with session_scope(self.engine) as session:
            return self._stored(session)

    def save_new(self, data: CalendarData) -> CalendarData:
        with session_scope(self.engine) as session:
            lock_chain(session, REF_DATA_KEY)
            stored = self._stored(session)
            latest = stored[-1]
            if data.fingerprint == latest.fingerprint:
                return latest
            if not session.get(CalendarVersionRow, latest.version):
                session.add(_row(latest))  # make the implicit v1 explicit before v2 follows it
            new = dataclasses.replace(data, version=latest.version + 1)
            session.add(_row(new))
            changes = "; ".join(new.diff(latest)) or "coverage changed"
            record_ref_change(
                session,
                self.actor,
                "calendar.saved",
                f"calendar {new.label} from {new.source}: {changes}",
            )
            return new

    def import_from(self, source: CalendarRepository) -> int:
        """Copy the versions ``source`` has and this store lacks (moving off the file store).

        Refuses when both hold a version with the same number but different content.
        """
        added = 0
        with session_scope(self.engine) as session:
            lock_chain(session, REF_DATA_KEY)
            mine = {d.version: d for d in self._stored(session)}
            for data in source.versions():
                have = mine.get(data.version)
                if have is not None:
                    if have.fingerprint != data.fingerprint:
                        raise CalendarError(
                            f"calendar v{data.version}: the database has {have.fingerprint}, "
                            f"the source has {data.fingerprint}"
                        )
                    if session.get(CalendarVersionRow, data.version) is not None:
                        continue
                session.add(_row(data))
                added += 1
            if added:
                record_ref_change(
                    session,
                    self.actor,
                    "calendar.imported",
                    f"{added} calendar version(s) imported",
                )
        return added


_: type[CalendarRepository] = DbCalendarRepository  # checked by mypy: the protocol is satisfied
