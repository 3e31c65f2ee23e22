"""Seed files: an authority's reference data in YAML (see ``cli/demo/seed.yaml``).

``load_seed`` needs no database (the CLI reads it as a directory before one exists);
``apply_seed`` writes it through ``store.refdata`` so every change is validated and audited, and
applying the same file twice changes nothing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Self

import yaml
from pydantic import Field, ValidationError, model_validator
from sqlalchemy.orm import Session

from domain.intake import suggest_units
from statute.exemptions import Role, check_sign_off_role
from store import refdata
from store.schema import (
    AuthoritySettings,
    RoutingRuleSpec,
    StrictModel,
    UnitSpec,
    UserSpec,
    check_directory,
    validation_problems,
)


class SeedError(ValueError):
    """The seed file is unreadable or invalid; the message says where."""


class Seed(StrictModel):
    authority: AuthoritySettings = Field(default_factory=AuthoritySettings)
    units: list[UnitSpec] = Field(default_factory=list)
    users: list[UserSpec] = Field(default_factory=list)
    routing_rules: list[RoutingRuleSpec] = Field(default_factory=list)
    # Section → role; None keeps statute.exemptions.SignOffPolicy's defaults.
    sign_off_policy: dict[str, Role] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = check_directory(self.units, self.users, self.routing_rules)
        for section, role in (self.sign_off_policy or {}).items():
            try:
                check_sign_off_role(section, role)
            except ValueError as exc:
                problems.append(f"sign_off_policy {section}: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def route(self, text: str) -> list[str]:
        return suggest_units(text, self.routing_rules)

    def users_with(self, role: Role, unit: str | None = None) -> list[UserSpec]:
        return [
            u
            for u in self.users
            if role in u.roles and u.active and (unit is None or unit in u.units)
        ]


def load_seed(path: str | Path) -> Seed:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SeedError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise SeedError(f"{path}: not valid YAML ({exc})") from None
    try:
        return Seed.model_validate(data or {})
    except ValidationError as exc:
        problems = "".join(f"\n  {p}" for p in validation_problems(exc))
        raise SeedError(f"{path}: invalid seed{problems}") from None


def apply_seed(session: Session, seed: Seed, actor: str = "seed") -> Counter[str]:
    """Upsert everything in ``seed``; returns what changed, e.g. ``{"unit.added": 4, …}``.

    Adds and updates only: something stored but missing from the file is kept (deleting a unit
    that open cases still route to belongs to an explicit command, not to a re-seed).
    """
    counts: Counter[str] = Counter()
    # The Seed validated its own cross-references, so the per-row checks are skipped: a unit's
    # manager may come later in the same file.
    for unit in seed.units:
        counts[f"unit.{refdata.save_unit(session, unit, actor, check=False)}"] += 1
    for user in seed.users:
        counts[f"user.{refdata.save_user(session, user, actor, check=False)}"] += 1
    for rule in seed.routing_rules:
        counts[f"rule.{refdata.save_rule(session, rule, actor, check=False)}"] += 1
    for section, role in (seed.sign_off_policy or {}).items():
        counts[f"sign_off.{refdata.save_sign_off_role(session, section, role, actor)}"] += 1
    counts["setting.updated"] += len(refdata.save_authority(session, seed.authority, actor))
    session.flush()
    return Counter({k: n for k, n in counts.items() if n and not k.endswith(".unchanged")})
