"""A symptom's row in the downloads says when it began in the patient's own words and, apart from that,
when the check-in reported it: a headache that began about 2 hours after Friday's session and was
reported at Monday's check-in does not read as starting at the check-in's clock time."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.core.display import name_for
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")  # clinic A and its patients (conftest)
DOSE = dt.datetime(2026, 12, 4, 11, 0, tzinfo=NEW_YORK)  # Friday
CHECKIN = dt.datetime(2026, 12, 7, 13, 33, tzinfo=NEW_YORK)  # Monday
READ_AT = CHECKIN + dt.timedelta(hours=1)
HEADACHE = name_for("headache")


@pytest.fixture
def headache(personas: Any) -> Any:
    patient = personas.a1
    make_dose(patient, started_at=DOSE)
    with time_machine.travel(CHECKIN, tick=False):
        # A warning sign is asked no onset: the row says so rather than give the check-in as its start.
        submit_checkin(
            patient=patient,
            idempotency_key="chest",
            reports=[ReportIn("chest_pain")],
            mood=None,
            note="",
            now=CHECKIN - dt.timedelta(minutes=5),
        )
        submit_checkin(
            patient=patient,
            idempotency_key="late-headache",
            reports=[ReportIn("headache", "moderate", onset_min=120)],
            mood=6,
            note="",
            now=CHECKIN,
        )
    return patient


def _pdf_text(client_for: Any) -> str:
    """The downloaded PDF's text as pdftotext reads it in content order (pypdf where poppler is not
    installed), whitespace folded."""
    with time_machine.travel(READ_AT, tick=False):  # signed in then, so the session is fresh
        response = client_for("a1").get(reverse("interop:records_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    if shutil.which("pdftotext"):
        text = subprocess.run(  # noqa: S603 - a fixed tool reading the PDF from its standard input
            ["pdftotext", "-raw", "-", "-"], input=response.content, check=True, capture_output=True
        ).stdout.decode()
    else:
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text.split())


def test_the_pdf_says_when_the_headache_began_as_the_patient_said_and_when_it_was_reported(
    headache: Any, client_for: Any
) -> None:
    with time_machine.travel(READ_AT, tick=False):
        page = client_for("a1").get(reverse("checkins:episodes")).content.decode()
    # The patient's page, which the PDF must agree with.
    assert "since about 2 hours after your session" in page

    text = _pdf_text(client_for)
    assert "What you felt How strong When it began Reported End" in text
    assert (
        f"{HEADACHE} moderate about 2 hours after your session on Friday 4 December "
        "13:33 on Monday 7 December 2026 ongoing: still there when last asked, 13:33 on Monday 7 December 2026"
    ) in text
    assert "not asked 13:28 on Monday 7 December 2026" in text
    # In the symptom table the check-in's time is never given as when it started, nor as a timestamp.
    table = text.split("Side effects and warning signs you reported", 1)[1].split("Messages with", 1)[0]
    assert "2026-12-07" not in table and "Started" not in table


def test_the_csv_row_says_its_time_is_the_report_and_when_the_headache_began(
    headache: Any, client_for: Any
) -> None:
    with time_machine.travel(READ_AT, tick=False):
        response = client_for("a1").get(reverse("interop:records_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    symptoms = {row[2]: row for row in rows if row[0] == "symptom"}
    assert symptoms[HEADACHE][1] == "2026-12-07T13:33:00-05:00"
    assert symptoms[HEADACHE][4] == (
        "reported at this time; when it began: about 2 hours after your session on Friday 4 December; "
        "ongoing: still there when last asked, 2026-12-07T13:33:00-05:00"
    )
    assert symptoms[name_for("chest_pain")][4].startswith("reported at this time; when it began: not asked; ")


def test_a_day_the_patient_named_is_the_day_it_began(personas: Any, client_for: Any) -> None:
    patient = personas.a1
    make_dose(patient, started_at=DOSE)
    with time_machine.travel(CHECKIN, tick=False):
        submit_checkin(
            patient=patient,
            idempotency_key="sunday-headache",
            reports=[ReportIn("headache", "mild", onset_day=dt.date(2026, 12, 6))],
            mood=6,
            note="",
            now=CHECKIN,
        )
    text = _pdf_text(client_for)
    assert f"{HEADACHE} mild on Sunday 6 December 13:33 on Monday 7 December 2026" in text


def test_an_hour_after_the_session_reads_as_the_check_in_offered_it(personas: Any, client_for: Any) -> None:
    """The check-in offered "About 1 hour after the treatment", and the episodes page says it back so: the
    downloads say the same, not "about 60 minutes"."""
    patient = personas.a1
    make_dose(patient, started_at=DOSE)
    with time_machine.travel(CHECKIN, tick=False):
        submit_checkin(
            patient=patient,
            idempotency_key="hour-headache",
            reports=[ReportIn("headache", "mild", onset_min=60)],
            mood=6,
            note="",
            now=CHECKIN,
        )
    with time_machine.travel(READ_AT, tick=False):
        client = client_for("a1")
        page = client.get(reverse("checkins:episodes")).content.decode()
        response = client.get(reverse("interop:records_csv"))
    assert "since about 1 hour after your session" in page
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    began = next(row[4] for row in rows if row[0] == "symptom" and row[2] == HEADACHE)
    assert "when it began: about 1 hour after your session on Friday 4 December;" in began
    assert "60 minutes" not in response.content.decode()
    text = _pdf_text(client_for)
    assert f"{HEADACHE} mild about 1 hour after your session on Friday 4 December" in text
    assert "60 minutes" not in text
