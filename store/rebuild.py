"""Rebuilding the read model from the workflows' own state, reporting what it corrected.

The database side only: :func:`rebuild_read_model` takes the views (the CLI fetches them from
Temporal) and forces each into the tables regardless of version, because the point is to repair
whatever drifted. The audit log is never rewritten, only completed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from domain.case import CaseView
from store.models import CaseRow
from store.projection import (
    CHILD_TABLES,
    RESPONSE_DOCUMENT,
    case_values,
    child_rows,
    delete_case,
    latest_document,
    log_timeline,
    write_case_view,
)
from store.retention import erased_references, redact_view

Snapshot = dict[str, Any]

# Children with a natural key are compared row by row; the others as multisets.
_KEYS: dict[str, Callable[[dict[str, Any]], str]] = {
    "case_tasks": lambda r: f"task Q{r['question']}",
    "reminders_sent": lambda r: f"reminder {r['key']}",
}
_SUMMARY: dict[str, Callable[[dict[str, Any]], str]] = {
    "exemption_claims": lambda r: f"claim Q{r['question']} s{r['section']}{r['subsections']}",
    "sign_offs": lambda r: f"sign-off s{r['section']} {r['questions']} {r['status']}",
}


def case_snapshot(session: Session, reference: str) -> Snapshot | None:
    """What the read model holds for a case, in the shape :func:`view_snapshot` produces."""
    case = (
        session.execute(
            select(CaseRow.__table__).where(col(CaseRow.reference) == reference)  # type: ignore[attr-defined]
        )
        .mappings()
        .first()
    )
    if case is None:
        return None
    wanted = case_values_keys()
    snapshot: Snapshot = {"case": {k: case[k] for k in wanted}}
    for name, table in CHILD_TABLES.items():
        # In a stable order: an upserted row may move on PostgreSQL's heap (claims and
        # sign-offs in the order first projected, by id; tasks by question; reminders by key).
        order = [table.c.id] if "id" in table.c else list(table.primary_key.columns)
        rows = session.execute(
            select(table).where(table.c.reference == reference).order_by(*order)
        ).mappings()
        snapshot[name] = [{k: v for k, v in row.items() if k != "id"} for row in rows]
    latest = latest_document(session, reference, RESPONSE_DOCUMENT)
    snapshot["response"] = None if latest is None else latest.text
    return snapshot


def view_snapshot(view: CaseView) -> Snapshot:
    return {
        "case": case_values(view),
        **child_rows(view),
        "response": None if view.response is None else view.response.text,
    }


def case_values_keys() -> list[str]:
    return [c.name for c in CaseRow.__table__.columns if c.name != "updated_at"]  # type: ignore[attr-defined]


def _frozen(row: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in row.items()))


def diff_snapshots(before: Snapshot, after: Snapshot) -> list[str]:
    """Readable differences, e.g. ``status: 'in_progress' → 'issued'``, ``task Q8 added``."""
    changes = [
        f"{k}: {before['case'].get(k)!r} → {v!r}"
        for k, v in after["case"].items()
        if before["case"].get(k) != v
    ]
    for name in CHILD_TABLES:
        old_rows, new_rows = before.get(name, []), after.get(name, [])
        if name in _KEYS:
            key = _KEYS[name]
            old, new = {key(r): r for r in old_rows}, {key(r): r for r in new_rows}
            changes += [f"{k} removed" for k in old if k not in new]
            changes += [f"{k} added" for k in new if k not in old]
            for k in old.keys() & new.keys():
                changes += [
                    f"{k} {field}: {old[k][field]!r} → {value!r}"
                    for field, value in new[k].items()
                    if old[k].get(field) != value
                ]
        else:
            summary = _SUMMARY[name]
            old_set = Counter(_frozen(r) for r in old_rows)
            new_set = Counter(_frozen(r) for r in new_rows)
            changes += [f"{summary(dict(r))} removed" for r in (old_set - new_set).elements()]
            changes += [f"{summary(dict(r))} added" for r in (new_set - old_set).elements()]
    if before.get("response") != after.get("response"):
        changes.append("response draft differs (a new document version recorded)")
    return sorted(changes)


@dataclass
class RebuildReport:
    added: list[str] = field(default_factory=list)  # in Temporal, missing from the read model
    changed: dict[str, list[str]] = field(default_factory=dict)  # reference → corrections
    unchanged: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # in the read model, not in Temporal
    pruned: bool = False  # stale cases were deleted

    @property
    def clean(self) -> bool:
        """The read model already matched Temporal."""
        return not (self.added or self.changed or self.stale)

    def lines(self) -> list[str]:
        out = [
            f"{len(self.unchanged)} unchanged, {len(self.added)} added, "
            f"{len(self.changed)} corrected, {len(self.stale)} not in Temporal"
            + (" (deleted)" if self.pruned and self.stale else "")
        ]
        out += [f"+ {ref}: was missing" for ref in self.added]
        for ref, changes in sorted(self.changed.items()):
            out += [f"~ {ref}: {c}" for c in changes]
        verb = "deleted" if self.pruned else "kept (use --prune to delete)"
        out += [f"? {ref}: no workflow in Temporal; {verb}" for ref in self.stale]
        return out


def rebuild_read_model(
    session: Session,
    views: Iterable[CaseView],
    *,
    prune: bool = False,
    present: Iterable[str] = (),
) -> RebuildReport:
    """Force every view into the read model and report how that differed from what was there.

    Cases the read model holds but ``views`` lack are reported as stale and kept unless
    ``prune``: Temporal deletes closed workflows after the namespace's retention period, and
    their rows are still needed for the statistics. ``present`` names cases that exist in Temporal
    but whose state could not be fetched: never stale, never pruned. Cases whose requester
    details were erased are compared and written as erased.
    """
    report = RebuildReport()
    seen: set[str] = set(present)
    views = list(views)
    erased = erased_references(session, [v.reference for v in views])
    for view in views:
        seen.add(view.reference)
        if view.reference in erased:
            # Temporal may still hold what the retention schedule erased here: never restore it.
            view = redact_view(view)
        before = case_snapshot(session, view.reference)
        if before is None:
            report.added.append(view.reference)
        else:
            changes = diff_snapshots(before, view_snapshot(view))
            if not changes:
                report.unchanged.append(view.reference)
                log_timeline(session, view)  # the audit may still lack entries
                continue
            report.changed[view.reference] = changes
        write_case_view(session, view, force=True)
    stored = session.scalars(select(col(CaseRow.reference))).all()
    report.stale = sorted(set(stored) - seen)
    if prune:
        for reference in report.stale:
            delete_case(session, reference)
        report.pruned = True
    session.flush()
    return report
