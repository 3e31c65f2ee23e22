"""Who an audience is, at send time: people and addresses from the directory, and the channels
the routes table gives the audience.

- ``unit:<id>``: the unit's active contacts (unit_contact role in that unit); with none, the
  unit's team mailbox.
- ``unit_manager:<id>``: the unit's manager; with none named (or inactive), its active users
  with the unit_manager role.
- ``foi_officer``, ``manager``, ``role:<role>``: active users with that role.
- ``user:<id>``: that user, when active.
- ``requester``: read from the case when sending (never stored by foiflow's store).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from domain.case import Audience, AudienceKind, Requester
from statute.exemptions import Role
from store import refdata
from store.delivery import Route, digest_users, list_routes
from store.schema import UnitSpec, UserSpec

# The requester of a case, from the case itself (the workflow holds it; the store never does).
RequesterLookup = Callable[[str], Requester | None]
DEFAULT_ROUTE = Route("*", "email")


class ResolveError(Exception):
    """Nobody (or no address) to send to; ``permanent`` unless a later try may find one."""

    def __init__(self, reason: str, *, permanent: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class Recipient:
    id: str  # a user id, mailbox:<unit>, requester, or webhook:<route audience>
    name: str
    address: str  # an email address, or the webhook URL
    channel: str
    target: str = ""  # the route's target (a Notify template id)
    digest: bool = False  # this person takes reminders as a daily digest
    person: bool = True  # False: a chat channel, not someone's inbox


@dataclass(frozen=True)
class Directory:
    units: dict[str, UnitSpec]
    users: list[UserSpec]
    digest: frozenset[str]
    routes: list[Route]

    @classmethod
    def load(cls, session: Session) -> Directory:
        return cls(
            units={u.id: u for u in refdata.list_units(session)},
            users=refdata.list_users(session),
            digest=frozenset(digest_users(session)),
            routes=list_routes(session),
        )

    def _with_role(self, role: Role, unit: str | None = None) -> list[UserSpec]:
        return [
            u
            for u in self.users
            if u.active and role in u.roles and (unit is None or unit in u.units)
        ]

    def people(self, audience: Audience) -> list[tuple[str, str, str]]:
        """(id, name, email) of the staff ``audience`` names, as the directory is now."""
        kind = audience.kind
        found: list[UserSpec]
        if kind == AudienceKind.UNIT:
            unit = self.units.get(audience.unit or "")
            if unit is None:
                raise ResolveError(f"unit {audience.unit!r} is not in the directory")
            found = self._with_role(Role.UNIT_CONTACT, unit.id)
            if not found and unit.email:
                return [(f"mailbox:{unit.id}", unit.name, unit.email)]
        elif kind == AudienceKind.UNIT_MANAGER:
            unit = self.units.get(audience.unit or "")
            if unit is None:
                raise ResolveError(f"unit {audience.unit!r} is not in the directory")
            named = [u for u in self.users if u.id == unit.manager and u.active]
            found = named or self._with_role(Role.UNIT_MANAGER, unit.id)
        elif kind == AudienceKind.FOI_OFFICER:
            found = self._with_role(Role.FOI_OFFICER)
        elif kind == AudienceKind.MANAGER:
            found = self._with_role(Role.MANAGER)
        elif kind == AudienceKind.ROLE:
            assert audience.role is not None
            found = self._with_role(audience.role)
        elif kind == AudienceKind.USER:
            found = [u for u in self.users if u.id == audience.user and u.active]
        else:
            raise ValueError(f"{audience.address} is not staff")
        return [(u.id, u.name, u.email) for u in found]

    def routes_for(self, audience: Audience) -> list[Route]:
        """The channels of the most specific routes matching ``audience``: its address, then its
        kind, then ``*``; email when none matches."""
        for pattern in (audience.address, audience.kind.value, "*"):
            matched = [r for r in self.routes if r.audience == pattern]
            if matched:
                return matched
        return [DEFAULT_ROUTE]

    def recipients(
        self, audience: Audience, reference: str, requester: RequesterLookup | None
    ) -> list[Recipient]:
        """Everyone ``audience`` reaches, on every channel its routes name."""
        routes = self.routes_for(audience)
        people: list[tuple[str, str, str]] = []
        if any(r.channel != "webhook" for r in routes):
            people = self._people_or_requester(audience, reference, requester)
        found: list[Recipient] = []
        for route in routes:
            if route.channel == "webhook":
                found.append(
                    Recipient(
                        id=f"webhook:{route.audience}",
                        name=audience.address,
                        address=route.target,
                        channel="webhook",
                        person=False,
                    )
                )
                continue
            for person_id, name, email in people:
                found.append(
                    Recipient(
                        id=person_id,
                        name=name,
                        address=email,
                        channel=route.channel,
                        target=route.target,
                        digest=person_id in self.digest,
                    )
                )
        if not found:
            raise ResolveError(f"nobody to send to: {_nobody(audience)}")
        return found

    def _people_or_requester(
        self, audience: Audience, reference: str, requester: RequesterLookup | None
    ) -> list[tuple[str, str, str]]:
        if audience.kind != AudienceKind.REQUESTER:
            return self.people(audience)
        if requester is None:
            raise ResolveError(
                "the requester's address is read from the case, and this dispatcher cannot "
                "reach Temporal",
                permanent=False,
            )
        who = requester(reference)
        if who is None:
            raise ResolveError(f"case {reference} could not be read", permanent=False)
        if not who.email:
            raise ResolveError("the requester gave no email address: write by post")
        return [("requester", who.name, who.email)]


def _nobody(audience: Audience) -> str:
    if audience.kind == AudienceKind.UNIT:
        return f"unit {audience.unit} has no active contacts and no team mailbox"
    if audience.kind == AudienceKind.UNIT_MANAGER:
        return f"unit {audience.unit} has no active manager"
    if audience.kind == AudienceKind.USER:
        return f"user {audience.user} is not an active user"
    role = audience.role.value if audience.role else audience.kind.value
    return f"no active user has the {role} role"
