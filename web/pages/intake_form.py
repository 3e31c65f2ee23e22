"""The officer's new-request form as typed: the request pasted as received, when it arrived (a
GOV.UK date input and a time), the channel, who asked and the regime.

What a person can get wrong in typing (a date that does not exist, a time the page cannot read,
an email address without an @) is said here, on the field; what the request itself must be
(questions, limits, a calendar that covers the day) is the intake service's to say.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from typing import Any

from starlette.datastructures import FormData

from services.errors import ServiceError
from services.schemas import EMAIL_PATTERN, MAX_REQUEST_TEXT, Channel
from statute.regimes import REQUEST_REGIMES
from web.pages.formatting import LONDON_ZONE
from web.pages.forms import FormErrors, field_id, text

CHANNELS: dict[str, str] = {
    Channel.EMAIL: "Email",
    Channel.LETTER: "Letter",
    Channel.WEB_FORM: "Web form",
    Channel.PHONE: "Phone",
    Channel.IN_PERSON: "In person",
    Channel.SOCIAL_MEDIA: "Social media",
}
REGIMES: dict[str, str] = {
    "foia": "Freedom of Information Act 2000",
    "eir": "Environmental Information Regulations 2004",
    "foisa": "Freedom of Information (Scotland) Act 2002",
}
assert set(REGIMES) == set(REQUEST_REGIMES)

# The intake service's field names → this form's field ids (anything else: by ``field_id``).
SERVICE_FIELDS = {
    "questions": "request_text",
    "requester": "requester-name",
    "received_at": "received_at",
}
FIELDS = (
    "request_text",
    "received_at",
    "received_time",
    "channel",
    "requester-name",
    "requester-email",
    "requester-address",
    "regime",
)
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")


def parse_time(value: str) -> time | None:
    """``14:30``, ``2:30pm``, ``9am``, ``9.15am``, ``midday``; None when it cannot be read."""
    typed = value.strip().lower().replace(" ", "")
    if typed in ("midday", "noon", "12noon"):
        return time(12, 0)
    if typed == "midnight":
        return time(0, 0)
    found = _TIME.match(typed)
    if found is None:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    suffix = found.group(3)
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif found.group(2) is None:
        return None  # "9" alone: morning or evening?
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


@dataclass(frozen=True)
class IntakeForm:
    request_text: str = ""
    day: str = ""
    month: str = ""
    year: str = ""
    clock_time: str = ""  # as typed: "9:30am", "14:30"
    channel: str = Channel.EMAIL.value
    regime: str = "foia"
    requester_name: str = ""
    requester_email: str = ""
    requester_address: str = ""

    @classmethod
    def now(cls) -> IntakeForm:
        """A blank form, received now (Europe/London): most requests are registered the day
        they arrive."""
        at = datetime.now(LONDON_ZONE)
        return cls(
            day=str(at.day), month=str(at.month), year=str(at.year), clock_time=f"{at:%H:%M}"
        )

    @classmethod
    def from_form(cls, form: FormData) -> IntakeForm:
        return cls(
            request_text=text(form, "request_text", MAX_REQUEST_TEXT + 1),
            day=text(form, "received_at-day", 8).strip(),
            month=text(form, "received_at-month", 8).strip(),
            year=text(form, "received_at-year", 8).strip(),
            clock_time=text(form, "received_time", 16).strip(),
            channel=text(form, "channel", 32),
            regime=text(form, "regime", 16),
            requester_name=text(form, "requester-name", 300),
            requester_email=text(form, "requester-email", 300).strip(),
            requester_address=text(form, "requester-address", 2_000),
        )

    def hidden(self) -> dict[str, str]:
        """The form's fields by their names, to carry through the check page unchanged."""
        names = {
            "day": "received_at-day",
            "month": "received_at-month",
            "year": "received_at-year",
            "clock_time": "received_time",
            "requester_name": "requester-name",
            "requester_email": "requester-email",
            "requester_address": "requester-address",
        }
        return {names.get(k, k): v for k, v in asdict(self).items()}

    def _day(self, errors: FormErrors) -> date | None:
        if not (self.day and self.month and self.year):
            errors.add("received_at", "Enter the date the request was received")
            return None
        try:
            day = date(int(self.year), int(self.month), int(self.day))
        except ValueError:
            errors.add("received_at", "The date received must be a real date, like 23 12 2026")
            return None
        if day.year < 1990:
            errors.add("received_at", "Enter the year in full, like 2026")
            return None
        return day

    def _time(self, errors: FormErrors) -> time | None:
        at = parse_time(self.clock_time) if self.clock_time else None
        if at is None:
            errors.add(
                "received_time",
                "Enter the time received like 9:30am or 14:30"
                if self.clock_time
                else "Enter the time the request was received",
            )
        return at

    def received_at(self, errors: FormErrors) -> datetime | None:
        """When the request arrived, in Europe/London; None (and the errors) when the date or
        the time cannot be read, or is still to come."""
        day, at = self._day(errors), self._time(errors)
        if day is None or at is None:
            return None
        received = datetime.combine(day, at, LONDON_ZONE)
        if received > datetime.now(LONDON_ZONE):
            errors.add("received_at", "The date and time received must be in the past")
            return None
        return received

    def parse(self) -> tuple[dict[str, Any] | None, datetime | None, FormErrors]:
        """The request document for ``services.intake`` and when it was received; or None and
        the errors, field by field."""
        errors = FormErrors()
        if not self.request_text.strip():
            errors.add("request_text", "Enter the request as it was received")
        elif len(self.request_text) > MAX_REQUEST_TEXT:
            errors.add(
                "request_text",
                f"The request must be {MAX_REQUEST_TEXT:,} characters or fewer; attach "
                "long documents instead",
            )
        received = self.received_at(errors)
        if self.channel not in CHANNELS:
            errors.add("channel", "Select how the request was received")
        if not self.requester_name.strip():
            errors.add("requester-name", "Enter the requester's name")
        if self.requester_email and not re.match(EMAIL_PATTERN, self.requester_email):
            errors.add(
                "requester-email",
                "Enter an email address in the correct format, like name@example.com",
            )
        if self.regime not in REGIMES:
            errors.add("regime", "Select the law the request is made under")
        if errors:
            return None, None, errors
        requester: dict[str, str] = {"name": self.requester_name.strip()}
        if self.requester_email:
            requester["email"] = self.requester_email
        if self.requester_address.strip():
            requester["address"] = self.requester_address.strip()
        document: dict[str, Any] = {
            "regime": self.regime,
            "channel": self.channel,
            "requester": requester,
            "request_text": self.request_text,
        }
        return document, received, errors


def add_intake_error(errors: FormErrors, exc: ServiceError) -> None:
    """Each problem the intake service found, on the field it names (every one, not only the
    first: a pasted request with two problems shows both)."""
    for problem in exc.problems or [str(exc)]:
        field, sep, reason = problem.partition(": ")
        if not sep or " " in field.strip():
            field, reason = exc.field, problem
        top = field.split(".")[0]
        target = SERVICE_FIELDS.get(field) or SERVICE_FIELDS.get(top) or field_id(field)
        if target not in FIELDS:
            target = SERVICE_FIELDS.get(top, "")
        reason = reason.strip()
        errors.add(target, reason[:1].upper() + reason[1:])
