"""What the read model holds of a case, as records, and a projection that carries only changes.

The workflow sends ``CaseChanges`` to the ``project_changes`` activity: the case row, the child
rows that differ from what it last sent, the new timeline entries and the messages to queue —
not the whole case each time (that was most of a case's history). ``complete`` marks a
projection that lists every child row (the first of each run): the store then removes rows it
does not list. ``store rebuild`` builds a complete one from a queried ``CaseView``.

The requester and the request text are never in a record; ``issued`` (the whole view, once, as
the case is issued) is what the disclosure log is written from, the requester redacted there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, Field

from domain.case import CaseStatus, CaseView, TimelineEntry
from domain.messages import Notification
from statute.exemptions import UnknownExemptionError, get_exemption


def _utc(value: datetime | None) -> datetime | None:
    # Normalised here so a record and the row read back from either engine compare equal.
    return None if value is None else value.astimezone(UTC)


class CaseRecord(BaseModel):
    """The ``cases`` row."""

    reference: str
    version: int
    regime: str
    status: str
    channel: str
    received_at: datetime
    due_date: date | None
    statutory_due_date: date | None
    paused: bool
    extended: bool
    overdue: bool
    calendar_version: int | None
    cost_hours_total: float
    outcome: str | None
    on_time: bool | None
    on_time_with_extensions: bool | None
    issued_at: datetime | None
    owning_units: list[str]


class TaskRecord(BaseModel):
    """A ``case_tasks`` row, keyed by question."""

    question: int
    text: str
    unit: str
    status: str
    routed_on: date
    internal_due: date
    answer_kind: str | None
    answered_by: str | None
    returned_reason: str | None


class ClaimRecord(BaseModel):
    question: int
    section: str  # the regime's catalogue key ("31", "12(5)(a)")
    subsections: str
    ncnd: bool


class SignOffRecord(BaseModel):
    """A ``case_sign_offs`` row, keyed by section."""

    section: str
    required_role: str
    questions: list[int]
    status: str
    decided_by: str | None
    decided_at: datetime | None


class ReminderRecord(BaseModel):
    """A ``case_reminders_sent`` row, keyed by its idempotency key; never changes once sent."""

    key: str
    kind: str
    audience: str
    sent_on: date
    text: str


class ResponseRecord(BaseModel):
    text: str
    composed_at: datetime


class CaseRecords(BaseModel):
    """Everything the read model holds of a case, but its audit and documents' history."""

    case: CaseRecord
    tasks: list[TaskRecord]
    claims: list[ClaimRecord]
    sign_offs: list[SignOffRecord]
    reminders: list[ReminderRecord]
    response: ResponseRecord | None


class CaseChanges(BaseModel):
    """One projection: what changed since the last one this run sent (everything, when
    ``complete``). Child lists hold changed or new rows; ``claims`` None: unchanged."""

    case: CaseRecord
    complete: bool = False
    tasks: list[TaskRecord] = Field(default_factory=list)
    claims: list[ClaimRecord] | None = None
    sign_offs: list[SignOffRecord] = Field(default_factory=list)
    removed_tasks: list[int] = Field(default_factory=list)
    removed_sign_offs: list[str] = Field(default_factory=list)
    reminders: list[ReminderRecord] = Field(default_factory=list)
    response: ResponseRecord | None = None  # set when the draft changed
    timeline: list[TimelineEntry] = Field(default_factory=list)  # entries not projected yet
    issued: CaseView | None = None  # once, as the case is issued: the disclosure log's source
    notices: list[Notification] = Field(default_factory=list)  # messages to queue first

    @property
    def reference(self) -> str:
        return self.case.reference

    @property
    def version(self) -> int:
        return self.case.version


def claim_key(section: str, regime: str) -> str:
    """The provision as its regime's catalogue keys it ("s31" → "31", "reg 12(5)(a)" →
    "12(5)(a)"): statistics count by it, and the column is short."""
    try:
        return get_exemption(section, regime).section
    except UnknownExemptionError:
        return section


def case_record(view: CaseView) -> CaseRecord:
    received_at = _utc(view.received_at)
    assert received_at is not None
    return CaseRecord(
        reference=view.reference,
        version=view.version,
        regime=view.regime,
        status=str(view.status),
        channel=view.channel,
        received_at=received_at,
        due_date=view.clock.due_date,
        statutory_due_date=view.clock.statutory_due_date,
        paused=view.clock.paused,
        extended=view.clock.extended,
        overdue=view.clock.overdue,
        calendar_version=view.clock.calendar_version,
        cost_hours_total=float(view.cost_hours_total),
        outcome=None if view.outcome is None else str(view.outcome),
        on_time=view.on_time,
        on_time_with_extensions=view.on_time_with_extensions,
        issued_at=_utc(view.issued_at),
        owning_units=list(view.owning_units),
    )


def case_records(view: CaseView) -> CaseRecords:
    """The read model's rows for ``view``."""
    tasks = [
        TaskRecord(
            question=t.question,
            text=t.text,
            unit=t.unit,
            status=str(t.status),
            routed_on=t.routed_on,
            internal_due=t.internal_due,
            answer_kind=None if t.answer is None else str(t.answer.kind),
            answered_by=t.answered_by,
            returned_reason=t.returned_reason,
        )
        for t in view.tasks
    ]
    claims = [
        ClaimRecord(
            question=t.question,
            section=claim_key(c.section, view.regime),
            subsections=c.subsections,
            ncnd=c.ncnd,
        )
        for t in view.tasks
        if t.answer is not None
        for c in t.answer.claims
    ]
    sign_offs = [
        SignOffRecord(
            section=s.section,
            required_role=str(s.required_role),
            questions=list(s.questions),
            status=str(s.status),
            decided_by=s.decided_by,
            decided_at=_utc(s.decided_at),
        )
        for s in view.sign_offs
    ]
    reminders = [
        ReminderRecord(key=r.key, kind=r.kind, audience=r.audience, sent_on=r.on, text=r.text)
        for r in view.reminders
    ]
    response = (
        None
        if view.response is None
        else ResponseRecord(text=view.response.text, composed_at=view.response.composed_at)
    )
    return CaseRecords(
        case=case_record(view),
        tasks=tasks,
        claims=claims,
        sign_offs=sign_offs,
        reminders=reminders,
        response=response,
    )


def is_issued(view: CaseView) -> bool:
    """What the disclosure log records: an issued case with its response."""
    return (
        view.status == CaseStatus.ISSUED
        and view.response is not None
        and view.issued_at is not None
    )


def disclosure_view(view: CaseView, *, letter_sent: bool = False) -> CaseView:
    """What the disclosure log is written from: the questions, the response and who issued it
    (the requester only to redact them); the rest of the case left out of the message. With
    ``letter_sent`` the letter's text is left out too: an earlier projection of this run carried
    it, and the store reads it back from the case's documents."""
    response = view.response
    if letter_sent and response is not None:
        response = response.model_copy(update={"text": ""})
    return view.model_copy(
        update={
            "response": response,
            "request_text": "",
            "tasks": [],
            "sign_offs": [],
            "reminders": [],
            "problems": [],
            "timeline": [e for e in view.timeline if e.kind == "issued"],
            "clock": view.clock.model_copy(update={"explanation": []}),
        }
    )


def complete_changes(view: CaseView) -> CaseChanges:
    """Every row of ``view`` (``store rebuild``, and the first projection of a run)."""
    records = case_records(view)
    return CaseChanges(
        case=records.case,
        complete=True,
        tasks=records.tasks,
        claims=records.claims,
        sign_offs=records.sign_offs,
        reminders=records.reminders,
        response=records.response,
        timeline=list(view.timeline),
        issued=disclosure_view(view) if is_issued(view) else None,
    )


class ProjectionBaseline:
    """What this run last sent to the read model, so the next projection sends only changes.

    Held by the workflow for one run (never carried across continue-as-new): a new run's first
    projection is complete. ``sent`` is called only once the activity succeeded."""

    def __init__(self) -> None:
        self.records: CaseRecords | None = None
        self.issued = False
        self._pending: tuple[CaseRecords, bool] | None = None

    def changes(self, view: CaseView) -> CaseChanges:
        """What differs from the last projection sent (everything, for the first); the caller
        adds the timeline entries and messages not sent yet."""
        records = case_records(view)
        issued = is_issued(view)
        self._pending = (records, issued)
        held = self.records
        if held is None:
            return CaseChanges(
                case=records.case,
                complete=True,
                tasks=records.tasks,
                claims=records.claims,
                sign_offs=records.sign_offs,
                reminders=records.reminders,
                response=records.response,
                issued=disclosure_view(view) if issued else None,
            )
        tasks = {t.question: t for t in held.tasks}
        sign_offs = {s.section: s for s in held.sign_offs}
        reminders = {r.key for r in held.reminders}
        return CaseChanges(
            case=records.case,
            tasks=[t for t in records.tasks if tasks.get(t.question) != t],
            claims=None if records.claims == held.claims else records.claims,
            sign_offs=[s for s in records.sign_offs if sign_offs.get(s.section) != s],
            removed_tasks=sorted(tasks.keys() - {t.question for t in records.tasks}),
            removed_sign_offs=sorted(sign_offs.keys() - {s.section for s in records.sign_offs}),
            reminders=[r for r in records.reminders if r.key not in reminders],
            response=None if records.response == held.response else records.response,
            issued=(
                disclosure_view(view, letter_sent=records.response == held.response)
                if issued and not self.issued
                else None
            ),
        )

    def sent(self) -> None:
        """The last ``changes`` reached the read model."""
        if self._pending is not None:
            self.records, self.issued = self._pending
            self._pending = None
