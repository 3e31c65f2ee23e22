"""Gathering exemption sign-offs: one per exemption across the questions that claim it.

The role each needs comes from the case's ``SignOffPolicy`` (which alone decides that s36 is the
qualified person's).
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.case import SignOff, SignOffStatus, Task
from statute.exemptions import FOIA, SignOffPolicy, UnknownExemptionError, get_exemption


def find_sign_off(sign_offs: Sequence[SignOff], section: str, regime: str = FOIA) -> SignOff | None:
    """The sign-off for ``section`` however it is written ("s40", "40"; "reg 13"), if any."""
    try:
        key = get_exemption(section, regime).section
    except UnknownExemptionError:
        return None
    return next((s for s in sign_offs if s.section == key), None)


def gather_sign_offs(
    tasks: Sequence[Task], previous: Sequence[SignOff], policy: SignOffPolicy, regime: str = FOIA
) -> tuple[list[SignOff], list[SignOff]]:
    """The sign-offs the answers call for, and which of them are newly requested.

    An earlier sign-off on exactly the same claims stands (approved, or still pending); a
    rejected one, or one whose claims changed, is asked for afresh.
    """
    grouped: dict[str, SignOff] = {}
    for task in tasks:
        for claim in task.answer.claims if task.answer else []:
            section = get_exemption(claim.section, regime).section
            entry = grouped.setdefault(
                section,
                SignOff(
                    section=section,
                    required_role=policy.role_for(section, regime),
                    questions=[],
                    recommended_by=[],
                ),
            )
            if task.question not in entry.questions:
                entry.questions.append(task.question)
            if task.answered_by and task.answered_by not in entry.recommended_by:
                entry.recommended_by.append(task.answered_by)
            entry.basis.append(f"Q{task.question} s{section}{claim.subsections}: {claim.reason}")
    standing = {s.section: s for s in previous}
    merged: list[SignOff] = []
    requested: list[SignOff] = []
    for section, fresh in grouped.items():
        old = standing.get(section)
        if old and old.status != SignOffStatus.REJECTED and old.basis == fresh.basis:
            merged.append(old)
            continue
        merged.append(fresh)
        requested.append(fresh)
    return merged, requested


def request_text(sign_off: SignOff, regime: str = FOIA) -> str:
    """The timeline's words for a sign-off being asked for ("s31 needs…", "reg 13 needs…")."""
    questions = ", Q".join(map(str, sign_off.questions))
    provision = get_exemption(sign_off.section, regime).short
    return f"{provision} needs sign-off by {sign_off.required_role.value} (Q{questions})"
