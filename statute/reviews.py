"""The periods after a response, as data: the window to ask for a review, the review's own clock,
and the regulator stage's usual periods.

The review regimes themselves are in ``statute.regimes`` (``INTERNAL_REVIEW``,
``EIR_RECONSIDERATION``, ``FOISA_REVIEW``, ``REVIEW_WINDOW``); this module says which one each
request regime uses, and counts FOISA's on Scottish working days (s73).
"""

from __future__ import annotations

import dataclasses

from statute.regimes import (
    EIR_RECONSIDERATION,
    FOISA,
    FOISA_REVIEW,
    INTERNAL_REVIEW,
    REVIEW_WINDOW,
    ExtensionKind,
    Regime,
)

# A decision notice's steps are usually to be taken within 35 calendar days of the notice (the
# ICO's and the Scottish Commissioner's standard wording); the notice may set another date.
COMPLIANCE_CALENDAR_DAYS = 35
# An appeal against a decision notice: 28 days from the notice to the First-tier Tribunal (FOIA
# s57, EIR reg 18; Tribunal Procedure Rules r22); under FOISA s56, 42 days to the Court of
# Session (Rules of the Court of Session, r41.20).
APPEAL_CALENDAR_DAYS = 28
FOISA_APPEAL_CALENDAR_DAYS = 42


def appeal_days(regime: str) -> int:
    """Calendar days from a decision notice in which it may be appealed, under ``regime``."""
    return FOISA_APPEAL_CALENDAR_DAYS if regime == FOISA.code else APPEAL_CALENDAR_DAYS


def review_window(regime: str) -> Regime:
    """The requester's window to ask for a review: 40 working days (s45 Code para 5.3, EIR reg
    11(2), FOISA s20(5)); FOISA's on Scottish working days."""
    if regime == FOISA.code:
        return dataclasses.replace(
            REVIEW_WINDOW,
            code="foisa-review-window",
            citation="FOISA 2002 s20(5)",
            divisions=FOISA.divisions,
            fixed_days=FOISA.fixed_days,
        )
    if regime == "eir":
        return dataclasses.replace(
            REVIEW_WINDOW, code="eir-representation-window", citation="EIR 2004 reg 11(2)"
        )
    return REVIEW_WINDOW


def review_clock(regime: str) -> Regime:
    """The authority's time to decide the review: FOIA 20 working days (40 at most, s45 Code
    para 5.5), EIR reg 11(4) 40, FOISA s21(1) 20."""
    return {"eir": EIR_RECONSIDERATION, "foisa": FOISA_REVIEW}.get(regime, INTERNAL_REVIEW)


def review_extension_limit(regime: str) -> int | None:
    """The most working days a review may take once extended; None: it may not be extended."""
    rule = review_clock(regime).extensions.get(ExtensionKind.REVIEW)
    return rule.total_working_days if rule else None
