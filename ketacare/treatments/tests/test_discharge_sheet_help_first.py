"""The discharge sheet as a frightened patient reads it on a phone: when to get help comes first, every
number in it dials with one tap on a button-sized target, each sign is said in words the reader can
check against, each time of the visit says which time it is, and the time zone is named as a place
without claiming it is the phone's clock. The PDF has the same order."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils.html import strip_tags
from pypdf import PdfReader

from ketacare.core import knowledge
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")  # clinic A and its patients (conftest)
# Home at 12:00 on Saturday 5 December after an IV infusion ended 30 minutes before (make_session):
# booked for 10:00, checked in 10:30, the medicine 10:50-11:30.
LEFT = dt.datetime(2026, 12, 5, 12, 0, tzinfo=NEW_YORK)
READ_AT = LEFT + dt.timedelta(minutes=10)
TEL_LINK = re.compile(r'<a class="button call" href="tel:(\+?\d+)">([^<]+)</a>')


def _visible(page: str) -> str:
    return " ".join(html.unescape(strip_tags(page)).split())


def _page(client: Any) -> str:
    with time_machine.travel(READ_AT, tick=False):
        response = client.get(reverse("companion:instructions"))
    assert response.status_code == 200
    return response.content.decode()


def _pdf_text(client: Any, session: Any) -> tuple[str, int]:
    with time_machine.travel(READ_AT, tick=False):
        response = client.get(
            reverse("treatments:instructions_pdf", kwargs={"session_id": session.public_id})
        )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split()), len(pages)


def _help_now(page: str) -> str:
    found = re.search(r'<section class="help-now"[^>]*data-testid="get-help-now">(.*?)</section>', page, re.S)
    assert found is not None
    return found.group(1)


def test_when_to_get_help_comes_right_after_the_title(personas: Any, client_for: Any) -> None:
    make_session(personas.a1, route="iv", state="discharged", now=LEFT)
    page = _page(client_for("a1"))
    # Nothing between the title and the red box: not the "what is normal" table, not the model.
    assert re.search(r"</h1>\s*<section class=\"help-now\"", page), page[:2000]
    text = _visible(page)
    first = text.index("When to get help now")
    for later in (
        "What happened at the clinic",
        "Safety rules until they end",
        "What to expect",
        "computer model",
    ):
        assert first < text.index(later), later
    assert "Red flags" not in text  # a clinician's word; the heading says what to do


def test_every_number_in_the_red_box_and_the_sheet_dials_with_one_tap(personas: Any, client_for: Any) -> None:
    make_session(personas.a1, route="iv", state="discharged", now=LEFT)
    clinic = personas.a1.clinic
    page = _page(client_for("a1"))
    box = _help_now(page)
    dialled = {number: href for href, number in TEL_LINK.findall(box)}
    assert dialled[clinic.emergency_number] == "911"
    assert dialled[clinic.phone] == "+15550100"
    assert dialled[clinic.crisis_line] == clinic.crisis_line
    # No number left as plain text in the box: "Call 911 now." was bold text, not a link.
    plain = _visible(TEL_LINK.sub("", box))
    for number in (clinic.emergency_number, clinic.phone, clinic.crisis_line):
        assert number not in plain, number
    assert re.search(r'Call <a class="button call" href="tel:911">911</a> now\.', box)
    # The same on the rest of the sheet ("When to call the clinic", out of hours, how to reach it).
    rest = page[page.index("What happened at the clinic") :]
    for number in (clinic.emergency_number, clinic.phone, clinic.crisis_line):
        assert number not in _visible(TEL_LINK.sub("", rest)), number
    # Every dialling link is a button: at least 44 px high on a phone (2.75rem of 16 px).
    sheet = page[page.index('<article class="instructions"') : page.index("</article>")]
    links = re.findall(r'<a [^>]*href="tel:[^"]*"[^>]*>', sheet)
    assert links and all('class="button call"' in link for link in links), links
    css = (Path(settings.BASE_DIR) / "ketacare/static/ketacare/app.css").read_text()
    button = re.search(r"(?m)^button, \.button \{([^}]*)\}", css)
    assert button is not None and "min-height: 2.75rem" in button.group(1)


def test_a_sign_the_name_does_not_spell_out_is_said_in_words(personas: Any, client_for: Any) -> None:
    make_session(personas.a1, route="iv", state="discharged", now=LEFT)
    box = _visible(_help_now(_page(client_for("a1"))))
    assert (
        "Signs of a blood-pressure crisis (a sudden severe headache, a sudden change in your vision, or "
        "weakness, numbness or slurred speech)" in box
    )
    assert "Signs of mania (racing thoughts, feeling you do not need sleep" in box


def test_each_time_of_the_visit_says_which_time_it_is(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="discharged", now=LEFT)
    text = _visible(_page(client_for("a1")))
    booked = session.scheduled_at.astimezone(NEW_YORK)
    started = session.dose_started_at.astimezone(NEW_YORK)
    assert booked.strftime("%H:%M") != started.strftime("%H:%M")
    assert (
        f"was on Saturday 5 December, booked for {booked:%H:%M}. The medicine started at {started:%H:%M} "
        f"and ended at {session.dose_ended_at.astimezone(NEW_YORK):%H:%M}; you went home at 12:00." in text
    )


def test_the_time_zone_is_named_as_a_place_not_as_the_phones_clock(personas: Any, client_for: Any) -> None:
    make_session(personas.a1, route="iv", state="discharged", now=LEFT)
    text = _visible(_page(client_for("a1")))
    assert "Times are New York time (the clinic's time)." in text
    assert "clock" not in text
    # A patient whose clinic set another zone for them: their times, and not called the clinic's.
    personas.a2.time_zone = "Europe/Berlin"
    personas.a2.save(update_fields=["time_zone"])
    make_session(personas.a2, route="iv", state="discharged", now=LEFT)
    other = _visible(_page(client_for("a2")))
    assert "Times are Berlin time (the time zone your clinic set for you)." in other
    assert "you went home at 18:00" in other


def test_the_pdf_puts_when_to_get_help_first_and_still_fits_two_pages(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="discharged", now=LEFT)
    text, pages = _pdf_text(client_for("clinician_a"), session)
    first = text.index("When to get help now")
    assert first < text.index("What happened at the clinic") < text.index("What to expect")
    assert text.index(knowledge.get_red_flag("chest_pain").name) < text.index("What happened at the clinic")
    assert "Times are New York time (the clinic's time)." in text and "clock" not in text
    assert "booked for 10:00. The medicine started at 10:50" in text
    assert "a sudden severe headache, a sudden change in your vision" in text
    assert pages <= 2
