"""Where calendar versions come from: ``calendar_repository(settings)``, for the CLI and the worker.

The protocol and its error are in ``store.calendar_protocol``, the database store in
``store.calendar_versions``, the legacy file store in ``store.calendar_file``; their names are
re-exported here so callers need one import.
"""

from __future__ import annotations

from settings import Settings
from store.audit_keys import configure_audit
from store.calendar_file import FILE_NAME, FileCalendarRepository
from store.calendar_protocol import CalendarRepository, CalendarVersionNotFound
from store.calendar_versions import DbCalendarRepository
from store.db import get_engine, migrate

__all__ = [
    "CalendarRepository",
    "CalendarVersionNotFound",
    "DbCalendarRepository",
    "FileCalendarRepository",
    "calendar_repository",
]

_migrated: set[str] = set()


def calendar_repository(settings: Settings) -> CalendarRepository:
    """The calendar versions in the store's database at ``settings.database_url``.

    The database is migrated on first use in the process. A ``calendars.json`` left by an earlier
    foiflow under the data directory is imported once.
    """
    url = settings.database_url
    configure_audit(settings)  # a new version is logged on the keyed ref-data chain
    if url not in _migrated:
        migrate(url)
        _migrated.add(url)
    repository = DbCalendarRepository(get_engine(url))
    legacy = settings.data_dir / FILE_NAME
    if legacy.exists():
        repository.import_from(FileCalendarRepository(legacy))
        legacy.rename(legacy.with_suffix(".json.imported"))
    return repository
