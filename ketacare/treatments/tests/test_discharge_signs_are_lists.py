"""The discharge sheet's "When to get help now": each level's instruction, then its signs as a list, one
sign a line, in the order and levels the sheet has always had (emergency first), with the call buttons
kept. One run-on sentence per level ("Chest pain; Difficulty breathing; …") was hard to read on a
phone."""

from __future__ import annotations

import datetime as dt
import html
import io
import zoneinfo
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from ketacare.clinics.selectors import clinic_contact
from ketacare.treatments.instructions import red_flag_groups
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")  # clinic A and its patients (conftest)
LEFT = dt.datetime(2026, 12, 5, 12, 0, tzinfo=NEW_YORK)
READ_AT = LEFT + dt.timedelta(minutes=10)


class _HelpBox(HTMLParser):
    """The help box's levels as the page builds them: each level's element, its instruction's text and
    call links, and the items of each list under it."""

    def __init__(self) -> None:
        super().__init__()
        self.in_box = False
        self.depth = 0
        self.levels: list[dict[str, Any]] = []
        self.loose_text: list[str] = []  # text in the box outside any level's <p> and <li>
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and found.get("data-testid") == "get-help-now":
            self.in_box, self.depth = True, 0
        if not self.in_box:
            return
        if tag == "section":
            self.depth += 1
        if found.get("data-level"):
            self.levels.append(
                {"tag": tag, "level": found["data-level"], "instruction": "", "calls": [], "lists": []}
            )
        elif tag == "p" and self.levels:
            self._in = "p"
        elif tag == "ul" and self.levels:
            self.levels[-1]["lists"].append([])
        elif tag == "li" and self.levels:
            self._in = "li"
            self.levels[-1]["lists"][-1].append("")
        elif tag == "a" and self._in == "p" and found.get("href", "").startswith("tel:"):
            self.levels[-1]["calls"].append(found["href"])

    def handle_endtag(self, tag: str) -> None:
        if not self.in_box:
            return
        if tag == "section":
            self.depth -= 1
            self.in_box = self.depth > 0
        elif tag in ("p", "li"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if not self.in_box or not self.levels:
            return
        if self._in == "p":
            self.levels[-1]["instruction"] += data
        elif self._in == "li":
            self.levels[-1]["lists"][-1][-1] += data
        elif data.strip():
            self.loose_text.append(data.strip())


def _box(page: str) -> _HelpBox:
    parser = _HelpBox()
    parser.feed(page)
    assert parser.levels, "no levels in the help box"
    return parser


def _expected(personas: Any) -> list[dict[str, Any]]:
    clinic = personas.a1.clinic
    return red_flag_groups(clinic, clinic_contact(clinic, READ_AT))


def _get(client: Any, url: str) -> str:
    with time_machine.travel(READ_AT, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("reader", ["patient", "staff"])
def test_each_level_lists_its_signs_one_per_item_in_order(
    personas: Any, client_for: Any, reader: str
) -> None:
    session = make_session(personas.a1, route="iv", state="discharged", now=LEFT)
    if reader == "patient":
        page = _get(client_for("a1"), reverse("companion:instructions"))
    else:
        page = _get(
            client_for("clinician_a"),
            reverse("treatments:instructions", kwargs={"session_id": session.public_id}),
        )
    box = _box(page)
    expected = _expected(personas)
    # The same levels in the same order (emergency first), each a block of its own with one list.
    assert [level["level"] for level in box.levels] == [group["level"] for group in expected]
    assert box.levels[0]["level"] == "emergency"
    for level, group in zip(box.levels, expected, strict=True):
        assert level["tag"] != "p", "a level is a block holding its instruction and its list"
        assert len(level["lists"]) == 1, level
        signs = [" ".join(html.unescape(item).split()) for item in level["lists"][0]]
        assert signs == group["names"]
        # The call buttons stay in the instruction.
        assert level["calls"], level
    assert not box.loose_text, box.loose_text
    assert box.levels[0]["calls"] == ["tel:911"]
    assert " ".join(box.levels[0]["instruction"].split()) == "Call 911 now."


def test_the_pdf_keeps_every_sign_and_two_pages(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="discharged", now=LEFT)
    with time_machine.travel(READ_AT, tick=False):
        response = client_for("clinician_a").get(
            reverse("treatments:instructions_pdf", kwargs={"session_id": session.public_id})
        )
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert len(pages) <= 2
    for group in _expected(personas):
        for name in group["names"]:
            assert " ".join(name.split()[:3]) in text, name
    assert "Chest pain; " not in text
