"""The letter as text, HTML and PDF through the API (content negotiation, who may read it, and
what unit contacts may not see), and the public disclosure log after issuing: the seed case
through the API on the time-skipping server, with the session's worker and store."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pypdf
import pytest
import yaml
from fastapi import FastAPI
from httpx import AsyncClient
from temporalio.testing import WorkflowEnvironment

from services.identity import Principal
from services.runtime import Runtime
from statute import calendar_for, local_date, packaged_calendar
from statute.regimes import REVIEW_WINDOW

from web_support import Headers

ROOT = Path(__file__).resolve().parents[2]
SEED_CASE = ROOT / "cli" / "demo" / "seed_case.yaml"
EXEMPT = yaml.safe_load((ROOT / "cli" / "demo" / "answer-exempt.yaml").read_text())
NOT_HELD = {"kind": "not_held", "searches": "VAWG panel files; the panel is being set up"}
REQUESTER_DATA = ("A. Requester", "requester@example.org")
ATOM = "{http://www.w3.org/2005/Atom}"
OFFICER = "aisha-rahman"

As = Callable[[str], Headers]


@pytest.fixture
def as_user(case_app: FastAPI) -> As:
    rt: Runtime = case_app.state.runtime

    def headers(user: str) -> Headers:
        token = rt.identity.issue_token(Principal(user, "password")).access_token
        return {"Authorization": f"Bearer {token}"}

    return headers


async def start(api: AsyncClient, env: WorkflowEnvironment, as_user: As, **changes: Any) -> str:
    document: dict[str, Any] = yaml.safe_load(SEED_CASE.read_text())
    document.pop("reference")
    document["received_at"] = (await env.get_current_time()).isoformat()
    document.update(changes)
    started = await api.post("/api/cases", json=document, headers=as_user(OFFICER))
    assert started.status_code == 201, started.text
    ref: str = started.json()["reference"]
    routed = await api.post(
        f"/api/cases/{ref}/routes", json={"accept_suggestions": True}, headers=as_user(OFFICER)
    )
    assert routed.status_code == 200, routed.text
    return ref


async def answer(api: AsyncClient, as_user: As, ref: str, user: str, q: int, body: Any) -> None:
    done = await api.post(
        f"/api/cases/{ref}/questions/{q}/answer", json=body, headers=as_user(user)
    )
    assert done.status_code == 200, done.text


async def seed_case_for_review(api: AsyncClient, env: WorkflowEnvironment, as_user: As) -> str:
    """The demo request answered as in the reference response and signed off: its letter is
    composed and awaits the officer's approval."""
    ref = await start(api, env, as_user)
    for user, questions, body in (
        ("tom-oduya", (1, 2, 3), NOT_HELD),
        ("priya-nair", (4, 5), EXEMPT),
        ("gareth-evans", (6, 7), EXEMPT),
    ):
        for q in questions:
            await answer(api, as_user, ref, user, q, body)
    for user, section in (("david-hughes", "31"), ("sarah-bennett", "40")):
        signed = await api.post(
            f"/api/cases/{ref}/sign-offs/{section}", json={"approve": True}, headers=as_user(user)
        )
        assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "response_review"
    return ref


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def forty_working_days_after(day: date) -> date:
    calendar = calendar_for(REVIEW_WINDOW, packaged_calendar())
    counted = 0
    while counted < 40:
        day += timedelta(days=1)
        counted += calendar.is_working_day(day)
    return day


def long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


async def test_the_letter_by_format_and_by_reader_then_the_disclosure_log(
    env: WorkflowEnvironment, api: AsyncClient, as_user: As
) -> None:
    ref = await seed_case_for_review(api, env, as_user)
    officer, unit = as_user(OFFICER), as_user("tom-oduya")
    url = f"/api/cases/{ref}/letter"

    # Content negotiation: text by default, HTML or PDF by Accept, ?format= over Accept.
    text = await api.get(url, headers=officer)
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    assert "Refusal Notice under Section 17" in text.text
    html = await api.get(url, headers={**officer, "Accept": "text/html,*/*;q=0.8"})
    assert html.headers["content-type"].startswith("text/html")
    assert "<h1>Freedom of information request reference no: " + ref in html.text
    assert all(d in html.text for d in REQUESTER_DATA)  # the officer's copy is addressed
    pdf = await api.get(url, headers={**officer, "Accept": "application/pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert f'filename="{ref}-response.pdf"' in pdf.headers["content-disposition"]
    assert "Refusal Notice under Section 17" in pdf_text(pdf.content)
    forced = await api.get(
        url, params={"format": "pdf"}, headers={**officer, "Accept": "text/html"}
    )
    assert forced.headers["content-type"] == "application/pdf"
    assert (await api.get(url, params={"format": "docx"}, headers=officer)).status_code == 422

    # A unit contact previews the letter with no trace of who asked, in every format.
    for params in ({}, {"format": "html"}, {"format": "pdf"}):
        seen = await api.get(url, params=params, headers=unit)
        assert seen.status_code == 200, seen.text
        body = pdf_text(seen.content) if params.get("format") == "pdf" else seen.text
        assert "Section 31" in body
        assert not any(d in body for d in REQUESTER_DATA), params
        assert "Dear Requester" in body or not params
    # Same visibility as the case: a unit with no question here may not know it exists.
    assert (await api.get(url, headers=as_user("lucy-chen"))).status_code == 404
    assert (await api.get(url)).status_code == 401

    approved = await api.post(f"/api/cases/{ref}/approve", headers=officer)
    assert approved.status_code == 200, approved.text
    unexplained = await api.post(
        f"/api/cases/{ref}/issue", json={"publish": False}, headers=officer
    )
    assert unexplained.status_code == 422
    assert unexplained.json()["detail"][0]["loc"][-1] == "withhold_reason"
    issued = await api.post(f"/api/cases/{ref}/issue", headers=officer)
    assert issued.status_code == 200, issued.text
    assert issued.json()["response"]["publish"] is True
    await env.client.get_workflow_handle(ref).result()  # the last projection has run

    # The issued letter is dated the day it went out; the review date is 40 working days on.
    issued_on = local_date(datetime.fromisoformat(issued.json()["issued_at"]), "Europe/London")
    review_by = forty_working_days_after(issued_on)
    letter = pdf_text((await api.get(url, params={"format": "pdf"}, headers=officer)).content)
    for expected in (
        f"Date {long_date(issued_on)}",
        f"Ask for an internal review by {long_date(review_by)}.",
        "Section 31(1)(a)(b) – Law enforcement",
        "Section 40(2)(3) – Personal information",
        "Likelihood: the prejudice would occur",
        "Public interest test – section 31",
        "Regarding questions 1, 2 and 3",
        "No information held (under section 1(1)(a) of the Act)",
        "complain to the Information Commissioner under section 50 of the Act",
    ):
        assert expected in letter, expected

    # Published to the disclosure log, without who asked; no login needed.
    logged = await api.get("/api/disclosure-log", params={"q": ref})
    assert logged.status_code == 200, logged.text
    [entry] = logged.json()["items"]
    assert entry["reference"] == ref and entry["issued_on"] == issued_on.isoformat()
    assert entry["outcome"] == "withheld_in_full"
    assert "Refusal Notice under Section 17" in entry["response_text"]
    assert logged.json()["publisher"] == "Metropolitan Police Service"
    one = await api.get(f"/api/disclosure-log/{ref}")
    assert one.status_code == 200 and one.json() == entry
    page = await api.get("/disclosure-log", params={"q": ref})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'href="/disclosure-log/{ref}"' in page.text
    shown = await api.get(f"/disclosure-log/{ref}")
    assert shown.status_code == 200 and "Section 31(1)(a)(b)" in shown.text
    feed = await api.get("/disclosure-log.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    for public in (logged, one, page, shown, feed):
        assert not any(d in public.text for d in REQUESTER_DATA)
    root = ET.fromstring(feed.content)
    assert root.tag == f"{ATOM}feed"
    [ours] = [e for e in root.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id", "").endswith(ref)]
    assert ours.findtext(f"{ATOM}title", "").startswith(f"{ref}: All organisations")
    assert "Refusal Notice" in ours.findtext(f"{ATOM}content", "")
    link = ours.find(f"{ATOM}link")
    assert link is not None and link.get("href", "").endswith(f"/disclosure-log/{ref}")

    # Searchable by words and by the date issued.
    async def found(**params: str) -> bool:
        got = await api.get("/api/disclosure-log", params={"per_page": "100", **params})
        assert got.status_code == 200, got.text
        return ref in [i["reference"] for i in got.json()["items"]]

    day = issued_on.isoformat()
    after, before = (
        (issued_on + timedelta(days=1)).isoformat(),
        (issued_on - timedelta(days=1)).isoformat(),
    )
    assert await found(q=f"hate crime advisory {ref}")
    assert not await found(q=f"{ref} nothing-of-the-kind")
    assert await found(q=ref, **{"from": day, "to": day})
    assert not await found(q=ref, **{"from": after})
    assert not await found(q=ref, to=before)
    dated = await api.get("/disclosure-log.atom", params={"from": after, "q": ref})
    assert list(ET.fromstring(dated.content).iter(f"{ATOM}entry")) == []
    backwards = await api.get("/api/disclosure-log", params={"from": day, "to": before})
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["loc"][-1] == "to"
    assert (await api.get("/api/disclosure-log", params={"from": "soon"})).status_code == 422


async def test_a_response_not_for_publication_stays_out_of_the_log(
    env: WorkflowEnvironment, api: AsyncClient, as_user: As
) -> None:
    ref = await start(
        api, env, as_user, request_text="Please send the minutes of VAWG panel meetings in 2022."
    )
    await answer(api, as_user, ref, "tom-oduya", 1, NOT_HELD)
    officer = as_user(OFFICER)
    edited = (
        "Dear A. Requester,\n\nWe hold no minutes of VAWG panel meetings: the panel is still "
        "being set up.\n\nYou may ask for an internal review."
    )
    approved = await api.post(f"/api/cases/{ref}/approve", json={"text": edited}, headers=officer)
    assert approved.status_code == 200, approved.text

    # The officer's text, word for word; a unit contact's copy does not name the requester.
    html = await api.get(f"/api/cases/{ref}/letter", params={"format": "html"}, headers=officer)
    assert "<p>Dear A. Requester,</p>" in html.text and '<section class="edited">' in html.text
    for params in ({}, {"format": "html"}):
        seen = await api.get(
            f"/api/cases/{ref}/letter", params=params, headers=as_user("tom-oduya")
        )
        assert "We hold no minutes of VAWG panel meetings" in seen.text
        assert not any(d in seen.text for d in REQUESTER_DATA)

    issued = await api.post(
        f"/api/cases/{ref}/issue",
        json={"publish": False, "withhold_reason": "Concerns a panel member's safety"},
        headers=officer,
    )
    assert issued.status_code == 200, issued.text
    response = issued.json()["response"]
    assert response["publish"] is False
    assert response["withhold_reason"] == "Concerns a panel member's safety"
    assert (
        "not for publication: Concerns a panel member's safety"
        in (issued.json()["timeline"][-1]["text"])
    )
    await env.client.get_workflow_handle(ref).result()

    listed = await api.get("/api/disclosure-log", params={"q": ref})
    assert listed.json()["items"] == [] and listed.json()["total"] == 0
    assert (await api.get(f"/api/disclosure-log/{ref}")).status_code == 404
    missing = await api.get(f"/disclosure-log/{ref}")
    assert missing.status_code == 404 and "No response is published" in missing.text
    assert ref not in (await api.get("/disclosure-log.atom")).text
    assert ref not in (await api.get("/disclosure-log", params={"per_page": "100"})).text
