"""The first calendar store: every version in one JSON file under the data directory.

The database (``store.calendar_versions``) has taken over; ``store.calendars.calendar_repository``
imports a file an earlier foiflow left behind, once. Same contract: ``CalendarRepository``.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from statute.calendar import CalendarData, CalendarError, packaged_calendar
from store.calendar_protocol import CalendarRepository, CalendarVersionNotFound

FILE_NAME = "calendars.json"
FORMAT = 1


class FileCalendarRepository:
    """All versions in one JSON file, rewritten atomically under an exclusive lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def latest(self) -> CalendarData:
        return self._load()[-1]

    def get(self, version: int) -> CalendarData:
        for data in self._load():
            if data.version == version:
                return data
        known = ", ".join(f"v{d.version}" for d in self._load())
        raise CalendarVersionNotFound(f"version: no calendar v{version} (stored: {known})")

    def versions(self) -> list[CalendarData]:
        return self._load()

    def save_new(self, data: CalendarData) -> CalendarData:
        with self._locked():
            stored = self._load()
            latest = stored[-1]
            if data.fingerprint == latest.fingerprint:
                return latest
            new = dataclasses.replace(data, version=latest.version + 1)
            self._write([*stored, new])
            return new

    def _load(self) -> list[CalendarData]:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return [packaged_calendar()]
        except OSError as exc:
            raise CalendarError(f"calendar store {self.path}: cannot read it: {exc}") from exc
        try:
            document: Any = json.loads(text)
            if document.get("format") != FORMAT:
                raise CalendarError(f"unknown format {document.get('format')!r}")
            versions = [CalendarData.from_json(v) for v in document["versions"]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CalendarError(f"calendar store {self.path} is malformed: {exc}") from exc
        if not versions:
            raise CalendarError(f"calendar store {self.path} is malformed: no versions")
        for expected, (data, raw) in enumerate(zip(versions, document["versions"], strict=True), 1):
            if data.version != expected:
                raise CalendarError(
                    f"calendar store {self.path} is malformed: v{data.version} where "
                    f"v{expected} was expected"
                )
            if raw.get("fingerprint") not in (None, data.fingerprint):
                raise CalendarError(
                    f"calendar store {self.path}: v{data.version}'s holidays no longer match "
                    f"its fingerprint {raw['fingerprint']}; the file was edited by hand"
                )
        return versions

    def _write(self, versions: list[CalendarData]) -> None:
        document = {"format": FORMAT, "versions": [v.to_json() for v in versions]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write a sibling then rename: a crash mid-write never leaves a half file behind.
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(document, f, indent=1)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # Two CLIs adding holidays at once must not both claim the same version number.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


_: type[CalendarRepository] = FileCalendarRepository  # checked by mypy: the protocol is satisfied
