"""Reading request files: every bad input names its field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from starter import IntakeError, build_intake, read_request_file

RECEIVED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
GOOD = {
    "regime": "foia",
    "requester": {"name": "A. Person"},
    "request_text": "1. First\n2. Second",
}


def test_questions_are_split_from_the_text() -> None:
    intake = build_intake(GOOD, RECEIVED, None)
    assert [q.text for q in intake.questions] == ["First", "Second"]
    assert intake.received_at == RECEIVED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"regime": "sar"}, "regime: 'sar' is not one of foia, eir, foisa"),
        ({"request_text": ""}, "request_text: the request has no questions"),
        ({"requester": None}, "requester: "),
    ],
)
def test_bad_requests_name_the_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(IntakeError) as caught:
        build_intake({**GOOD, **change}, RECEIVED, None)
    assert str(caught.value).startswith(message)


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(IntakeError, match="received_at: give a time zone"):
        build_intake(GOOD, datetime(2026, 11, 24, 10, 0), None)


def test_unreadable_files_say_so(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="file: cannot read"):
        read_request_file(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("regime: [unclosed")
    with pytest.raises(IntakeError, match="is not valid yaml"):
        read_request_file(broken)
