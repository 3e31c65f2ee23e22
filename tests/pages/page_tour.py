"""What page tests share besides fixtures: the browser ``Tour`` every page goes through, the
demo logins' password, and the seed case's document. (A module of its own, not ``conftest``:
``from conftest import`` finds whichever conftest was imported last.)"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from playwright.async_api import BrowserContext, ConsoleMessage, Page, Response

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts" / "pages"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_SEED = ROOT / "cli" / "demo" / "seed.yaml"
SEED_CASE = ROOT / "cli" / "demo" / "seed_case.yaml"
PASSWORD = "correct horse battery staple"
OFFICER = "aisha-rahman"
# What must never reach a unit's or an approver's page: the seed requester's identity.
REQUESTER_IDENTITY = ("A. Requester", "requester@example.org")
SERIOUS = ("serious", "critical")


# Pages checked whole in this process, by ``_page_key``.
_CHECKED: set[str] = set()
_CSRF_TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


def _page_key(html: str, javascript: bool) -> str:
    page = _CSRF_TOKEN.sub('name="csrf_token"', html)
    return hashlib.sha256(f"{javascript}:{page}".encode()).hexdigest()


@dataclass
class Tour:
    """One person's browser: visit pages, check each one, fill forms."""

    context: BrowserContext
    page: Page
    base_url: str
    prefix: str
    axe_source: str
    # Units and approvers never see who asked; officers and managers may (their pages: False).
    applicant_blind: bool = True
    javascript: bool = True  # off: the page as a browser without JavaScript gets it
    shots: list[Path] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        # A page answered 403/404/422 is logged as "Failed to load resource": that is the page
        # itself, tested by status; a failing stylesheet or script is caught by on_response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def on_response(self, response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.console_errors.append(f"{response.status} for {response.url}")

    def url(self, path: str) -> str:
        return self.base_url + path

    async def goto(self, path: str, name: str) -> str:
        response = await self.page.goto(self.url(path))
        assert response is not None
        return await self.check(name)

    async def check(self, name: str) -> str:
        """Screenshot, axe, console and requester checks on the page now shown; its HTML.

        A page this process has checked already, the same HTML but for its CSRF token, is not
        screenshotted or run through axe again: nearly every tour signs in through the same
        sign-in page, and those two steps are most of a check's time."""
        await self.page.wait_for_load_state("load")
        html = await self.page.content()
        for trace in REQUESTER_IDENTITY if self.applicant_blind else ():
            assert trace not in html, f"{name}: the requester's identity ({trace}) is on the page"
        seen = _page_key(html, self.javascript)
        if seen in _CHECKED:
            assert not self.console_errors, f"{name}: console errors: {self.console_errors}"
            return html
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTEFACTS / f"{self.prefix}-{len(self.shots) + 1:02d}-{name}.png"
        await self.page.screenshot(path=str(shot), full_page=True)
        self.shots.append(shot)
        if not self.javascript:
            # axe needs JavaScript; the same pages are checked in the tours that have it.
            _CHECKED.add(seen)
            return html
        await self.page.evaluate(self.axe_source)
        results: dict[str, Any] = await self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(str(n["target"]) for n in v["nodes"][:3])
            for v in results["violations"]
            if v["impact"] in SERIOUS
        ]
        assert not serious, f"{name}: axe found serious problems:\n" + "\n".join(serious)
        assert not self.console_errors, f"{name}: console errors: {self.console_errors}"
        _CHECKED.add(seen)
        return html

    async def submit(self, button: str, name: str) -> str:
        """Press the button named ``button`` and check the page it leads to."""
        async with self.page.expect_navigation():
            await self.page.get_by_role("button", name=button, exact=True).click()
        return await self.check(name)

    async def close(self) -> None:
        await self.context.close()


TourFactory = Callable[..., Awaitable[Tour]]


# References for the cases page tests start. Each page module has a store of its own, whose
# reference counter would start at 000001 again, while the Temporal server (the workflow ids) is
# the whole session's: references from 900001 up meet no other test's, nor each other.
_SEQUENCE = itertools.count(900_001)


def seed_document(received_at: datetime) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SEED_CASE.read_text())
    document["reference"] = f"01.FOI.{received_at.year % 100:02d}.{next(_SEQUENCE):06d}"
    document["received_at"] = received_at.isoformat()
    return document
