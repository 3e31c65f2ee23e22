"""The requester's identity leaves text that others read: name (whole and in parts), email,
address; ordinary words that merely contain a name part stay."""

from __future__ import annotations

from domain.case import Requester
from domain.redaction import REDACTED, redact_requester

JANE = Requester(
    name="Ms Jane Smith",
    email="jane.smith@example.net",
    address="12 Blacksmiths Lane\nLittle Wenlock, TF6 5BH",
)


def test_name_email_and_address_are_taken_out() -> None:
    text = (
        "Dear Ms Smith,\nThank you, Jane Smith (jane.smith@example.net), for writing from "
        "12 Blacksmiths Lane, Little Wenlock, TF6 5BH."
    )
    redacted = redact_requester(text, JANE)
    for fragment in ("Smith", "Jane", "jane.smith", "Blacksmiths Lane", "Wenlock", "TF6 5BH"):
        assert fragment.lower() not in redacted.lower(), fragment
    assert redacted.startswith(f"Dear Ms {REDACTED},")


def test_words_containing_a_name_part_are_left_alone() -> None:
    text = "The blacksmiths' guild and the Smithsonian were consulted; JANE SMITH was not."
    redacted = redact_requester(text, JANE)
    assert "blacksmiths' guild" in redacted and "Smithsonian" in redacted
    assert "SMITH" not in redacted


def test_nothing_to_redact_without_a_requester() -> None:
    assert redact_requester("Dear Ms Smith", None) == "Dear Ms Smith"
    # Short parts and honorifics would mangle ordinary words: they are not treated as names.
    assert redact_requester("Mr Li and Dr Al-Amin met", Requester(name="Mr Li")) == (
        f"{REDACTED} and Dr Al-Amin met"
    )
