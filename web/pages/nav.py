"""Navigation by role: one list, read by the header and by ``/`` (each person's home page).

A new page family adds one ``NavItem`` here; the header shows it to the roles named, and ``/``
sends each person to where their role starts (`START`), else the first item they see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.case import Actor
from domain.transitions import APPROVER_ROLES, REQUESTER_VISIBLE_ROLES, UNIT_ROLES
from statute.exemptions import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[Role]
    # Patterns of other paths under this item (a question's page belongs to "My tasks").
    also: tuple[str, ...] = ()

    def shown_to(self, actor: Actor) -> bool:
        return not self.roles.isdisjoint(actor.roles)

    def current_for(self, path: str) -> bool:
        return path == self.href or any(re.match(pattern, path) for pattern in self.also)


NAV: tuple[NavItem, ...] = (
    NavItem("My tasks", "/tasks", UNIT_ROLES, also=(r"/cases/[^/]+/questions/",)),
    NavItem("Sign-offs", "/sign-offs", APPROVER_ROLES, also=(r"/cases/[^/]+/sign-offs/",)),
    # Officers and managers; the case pages under it, but not the new request's own item.
    NavItem("Cases", "/cases", REQUESTER_VISIBLE_ROLES, also=(r"/cases/(?!new$)[^/]+$",)),
    NavItem("New request", "/cases/new", frozenset({Role.FOI_OFFICER})),
    NavItem("Dashboard", "/dashboard", frozenset({Role.MANAGER, Role.FOI_OFFICER})),
    NavItem("Statistics", "/statistics", frozenset({Role.MANAGER, Role.FOI_OFFICER})),
    NavItem(
        "Outbox",
        "/outbox",
        frozenset({Role.FOI_OFFICER, Role.MANAGER, Role.ADMIN}),
        also=(r"/outbox/",),
    ),
    NavItem("Admin", "/admin/units", frozenset({Role.ADMIN}), also=(r"/admin(/|$)",)),
)

# Where each role starts its day, most hands-on role first: a unit contact who also manages
# starts on their tasks; a manager who is not an officer starts on the dashboard, not the list.
START: tuple[tuple[Role, str], ...] = (
    *((role, "/tasks") for role in sorted(UNIT_ROLES)),
    *((role, "/sign-offs") for role in sorted(APPROVER_ROLES)),
    (Role.FOI_OFFICER, "/cases"),
    (Role.MANAGER, "/dashboard"),
    (Role.ADMIN, "/admin/units"),
)


def navigation_for(actor: Actor, path: str) -> list[dict[str, object]]:
    """``govukServiceNavigation`` items for ``actor`` on the page at ``path``."""
    return [
        {"text": item.label, "href": item.href, "current": item.current_for(path)}
        for item in NAV
        if item.shown_to(actor)
    ]


def home_for(actor: Actor) -> str | None:
    """Where ``actor`` starts (``START``), else the first page their roles see; None when none."""
    start = next((href for role, href in START if role in actor.roles), None)
    return start or next((item.href for item in NAV if item.shown_to(actor)), None)
