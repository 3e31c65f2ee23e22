"""Statutory regimes as data: how long an authority has, on which calendar, and what may extend it.

Adding a regime is adding one ``Regime`` to ``REGIMES``; the clock reads only these fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from statute.calendar import ALL_UK, CHRISTMAS_DAY, GOOD_FRIDAY, SCOTLAND


class ExtensionKind(StrEnum):
    PUBLIC_INTEREST = "public_interest"  # FOIA s10(3) / s17(2)
    REG7 = "reg7"  # EIR reg 7(1)
    SUBJECT_ACCESS = "subject_access"  # UK GDPR Art 12(3)
    REVIEW = "review"  # s45 Code of Practice, internal review


@dataclass(frozen=True)
class ExtensionRule:
    """How far one kind of extension may take the clock.

    Exactly one of the three limits is set: ``further_working_days_cap`` (extensions add up to at
    most this many working days), ``total_working_days`` (the limit becomes this many working days
    from day 0) or ``further_months`` (calendar months added to a month-based limit).
    """

    citation: str
    further_working_days_cap: int | None = None
    total_working_days: int | None = None
    further_months: int | None = None
    needs_qualified_exemption: bool = False


@dataclass(frozen=True)
class Regime:
    code: str
    title: str
    citation: str
    divisions: frozenset[str]
    fixed_days: frozenset[str]
    working_days: int | None = None
    calendar_months: int | None = None
    extensions: Mapping[ExtensionKind, ExtensionRule] = field(default_factory=dict)
    clarification_restarts: bool = True
    fees_pause: bool = True

    def __post_init__(self) -> None:
        if (self.working_days is None) == (self.calendar_months is None):
            raise ValueError(
                f"regime {self.code}: set exactly one of working_days, calendar_months"
            )

    @property
    def limit_words(self) -> str:
        if self.working_days is not None:
            return f"{self.working_days} working days"
        months = self.calendar_months
        return f"{months} calendar month" + ("s" if months != 1 else "")


_UK_FIXED = frozenset({CHRISTMAS_DAY, GOOD_FRIDAY})

FOIA = Regime(
    code="foia",
    title="Freedom of Information Act 2000",
    citation="FOIA 2000 s10(1)",
    divisions=ALL_UK,
    fixed_days=_UK_FIXED,
    working_days=20,
    extensions={
        ExtensionKind.PUBLIC_INTEREST: ExtensionRule(
            citation="FOIA s10(3) and s17(2); ICO guidance caps it at 20 further working days",
            further_working_days_cap=20,
            needs_qualified_exemption=True,
        )
    },
)

EIR = Regime(
    code="eir",
    title="Environmental Information Regulations 2004",
    citation="EIR 2004 reg 5(2)",
    divisions=ALL_UK,
    fixed_days=_UK_FIXED,
    working_days=20,
    extensions={
        ExtensionKind.REG7: ExtensionRule(
            citation="EIR reg 7(1): complex and voluminous", total_working_days=40
        )
    },
)

FOISA = Regime(
    code="foisa",
    title="Freedom of Information (Scotland) Act 2002",
    citation="FOISA 2002 s10(1); working day per s73 (Scottish bank holidays)",
    divisions=frozenset({SCOTLAND}),
    # s73 names Christmas Day but not Good Friday; Good Friday is a Scottish bank holiday anyway.
    fixed_days=frozenset({CHRISTMAS_DAY}),
    working_days=20,
)

INTERNAL_REVIEW = Regime(
    code="foia-review",
    title="FOIA internal review",
    citation="s45 Code of Practice (2018) para 5.5",
    divisions=ALL_UK,
    fixed_days=_UK_FIXED,
    working_days=20,
    extensions={
        ExtensionKind.REVIEW: ExtensionRule(
            citation="s45 Code of Practice: 40 working days at most", total_working_days=40
        )
    },
    clarification_restarts=False,
    fees_pause=False,
)

REVIEW_WINDOW = Regime(
    code="review-window",
    title="Requester's window to ask for an internal review",
    citation="s45 Code of Practice (2018) para 5.3",
    divisions=ALL_UK,
    fixed_days=_UK_FIXED,
    working_days=40,
    clarification_restarts=False,
    fees_pause=False,
)

EIR_RECONSIDERATION = Regime(
    code="eir-reconsideration",
    title="EIR reconsideration",
    citation="EIR 2004 reg 11(4)",
    divisions=ALL_UK,
    fixed_days=_UK_FIXED,
    working_days=40,
    clarification_restarts=False,
    fees_pause=False,
)

FOISA_REVIEW = Regime(
    code="foisa-review",
    title="FOISA review",
    citation="FOISA 2002 s21(1)",
    divisions=frozenset({SCOTLAND}),
    fixed_days=frozenset({CHRISTMAS_DAY}),
    working_days=20,
    clarification_restarts=False,
    fees_pause=False,
)

SUBJECT_ACCESS = Regime(
    code="sar",
    title="UK GDPR subject access",
    citation="UK GDPR Art 12(3); month rule as the ICO states it",
    divisions=ALL_UK,
    fixed_days=_UK_FIXED,
    calendar_months=1,
    extensions={
        ExtensionKind.SUBJECT_ACCESS: ExtensionRule(
            citation="UK GDPR Art 12(3): complex or numerous requests", further_months=2
        )
    },
    fees_pause=False,
)

REGIMES: Mapping[str, Regime] = {
    r.code: r
    for r in (
        FOIA,
        EIR,
        FOISA,
        INTERNAL_REVIEW,
        REVIEW_WINDOW,
        EIR_RECONSIDERATION,
        FOISA_REVIEW,
        SUBJECT_ACCESS,
    )
}

REQUEST_REGIMES: tuple[str, ...] = ("foia", "eir", "foisa")


class UnknownRegimeError(ValueError):
    pass


def get_regime(code: str) -> Regime:
    try:
        return REGIMES[code.lower()]
    except KeyError:
        raise UnknownRegimeError(
            f"regime: {code!r} is not one of {', '.join(sorted(REGIMES))}"
        ) from None
