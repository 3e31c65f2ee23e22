"""Cases driven through the API alone, for the case-route tests: the demo request (with an
address, so all of the requester's identity can be looked for), a caller per user, and cases
brought to a given state — every step a request a user could send, checked as it goes.

The fixtures that build a ``CaseApi`` (an app on the time-skipping server with a store and a
worker of the test module's own) are in ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from httpx import AsyncClient, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col
from temporalio.testing import WorkflowEnvironment

from services.cases import case_view
from services.context import ServiceContext
from services.db import in_store
from services.identity import Identity, Principal
from store.models import CaseRow

ROOT = Path(__file__).resolve().parents[2]
SEED_CASE = ROOT / "cli" / "demo" / "seed_case.yaml"
EXEMPT: dict[str, Any] = yaml.safe_load((ROOT / "cli" / "demo" / "answer-exempt.yaml").read_text())
NOT_HELD = {"kind": "not_held", "searches": "VAWG panel files; the panel is being set up"}

REQUESTER = {
    "name": "A. Requester",
    "email": "requester@example.org",
    "address": "14 Petitioner Row, Lambeth, London SE1 7XX",
}
# Everything that identifies who asked: none of it may reach a unit or an approver.
REQUESTER_IDENTITY = tuple(REQUESTER.values())

# Who answers which questions of the seed request once the routing rules' suggestions are taken.
UNIT_CONTACTS = {"tom-oduya": (1, 2, 3), "priya-nair": (4, 5), "gareth-evans": (6, 7)}

Headers = dict[str, str]
_receipts = itertools.count(1)
# Every receipt this process has used: "a moment before now" is not enough on its own, since the
# time-skipping server's clock can move on by exactly as many seconds as the counter did, and
# the same receipt and text is the same request (the intake returns the case it already has).
_received: set[datetime] = set()


def _stored_version(reference: str) -> Callable[[Session], int | None]:
    def read(session: Session) -> int | None:
        return session.scalar(
            select(col(CaseRow.version)).where(col(CaseRow.reference) == reference)
        )

    return read


def request_document(received_at: datetime, **changes: Any) -> dict[str, Any]:
    """The seed request (01.FOI.23.031576's questions) received at ``received_at``."""
    document: dict[str, Any] = yaml.safe_load(SEED_CASE.read_text())
    document.pop("reference")
    document["received_at"] = received_at.isoformat()
    document["requester"] = dict(REQUESTER)
    document.update(changes)
    return document


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


@dataclass
class CaseApi:
    """The API as each user calls it, and cases brought to a state through it."""

    api: AsyncClient
    env: WorkflowEnvironment
    identity: Identity
    system: ServiceContext  # the module's store and the time-skipping server, for ``settle``
    started: list[str] = field(default_factory=list)  # every case started, to end them
    _tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user: str | None) -> Headers:
        """A bearer token for ``user`` (issued directly, no password); no header for None."""
        if user is None:
            return {}
        if user not in self._tokens:
            issued = self.identity.issue_token(Principal(user, "password"))
            self._tokens[user] = issued.access_token
        return {"Authorization": f"Bearer {self._tokens[user]}"}

    async def get(self, user: str | None, path: str, **kwargs: Any) -> Response:
        return await self.api.get(path, headers=self.headers(user), **kwargs)

    async def post(
        self, user: str | None, path: str, body: Any = None, key: str | None = None
    ) -> Response:
        headers = self.headers(user)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.api.post(path, json=body, headers=headers)

    async def settle(self, reference: str) -> None:
        """Until the read model holds the case's current version (lists read it). Polls,
        bounded: the workflow projects after every change, a racing update included."""
        version, stored = -1, None
        for _ in range(500):
            version = (await case_view(self.system, reference)).version
            stored = await in_store(self.system.engine, _stored_version(reference))
            if stored is not None and stored >= version:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{reference} v{version} never reached the read model (v{stored})")

    # --- cases in a given state --------------------------------------------------------------

    async def start(self, received_at: datetime | None = None, **changes: Any) -> str:
        """A new case (triage) for the seed request; each receipt a moment earlier than the
        last, so no two are the same request."""
        if received_at is None:
            now = await self.env.get_current_time()
            received_at = now.astimezone(UTC) - timedelta(seconds=next(_receipts))
            while received_at in _received:
                received_at -= timedelta(seconds=1)
        _received.add(received_at)
        started = ok(
            await self.post("aisha-rahman", "/api/cases", request_document(received_at, **changes)),
            201,
        )
        reference: str = started["reference"]
        self.started.append(reference)
        return reference

    async def routed(self, **changes: Any) -> str:
        """In progress: Q1–Q3 with vawg, Q4–Q5 with hate-crime, Q6–Q7 community-engagement."""
        reference = await self.start(**changes)
        body = {"accept_suggestions": True}
        routed = ok(await self.post("aisha-rahman", f"/api/cases/{reference}/routes", body))
        assert routed["status"] == "in_progress"
        assert {t["unit"] for t in routed["tasks"]} == {
            "vawg",
            "hate-crime",
            "community-engagement",
        }
        return reference

    async def answer_all(self, reference: str) -> dict[str, Any]:
        case: dict[str, Any] = {}
        for user, questions in UNIT_CONTACTS.items():
            for q in questions:
                answer = NOT_HELD if user == "tom-oduya" else EXEMPT
                path = f"/api/cases/{reference}/questions/{q}/answer"
                case = ok(await self.post(user, path, answer))
        return case

    async def signing(self) -> str:
        """Awaiting sign-off: s31 (senior officer) and s40 (data protection officer) pending;
        recommended by priya-nair and gareth-evans."""
        reference = await self.routed()
        case = await self.answer_all(reference)
        assert case["status"] == "sign_off"
        assert [(s["section"], s["status"]) for s in case["sign_offs"]] == [
            ("31", "pending"),
            ("40", "pending"),
        ]
        return reference

    async def composed(self) -> str:
        """Response review: s31 and s40 approved, the refusal notice composed."""
        reference = await self.signing()
        for user, section in (("david-hughes", "31"), ("sarah-bennett", "40")):
            path = f"/api/cases/{reference}/sign-offs/{section}"
            case = ok(await self.post(user, path, {"approve": True}))
        assert case["status"] == "response_review"
        return reference

    async def approved(self) -> str:
        reference = await self.composed()
        case = ok(await self.post("aisha-rahman", f"/api/cases/{reference}/approve"))
        assert case["status"] == "approved"
        return reference
