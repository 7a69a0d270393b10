"""My records name each time for what it is and use the patient's words: the booked time beside the
medicine's own start and end, vital signs by where they fell against the medicine (not "in session"),
the zone as a place and whose time it is (not "your clock"), a warning sign as a warning sign (not a
"red flag" in a severity column), and a sign whose name does not spell it out with its signs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from ketacare.checkins.services import ReportIn, submit_checkin
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")  # clinic A and its patients (conftest)
# Home at 12:00 after an IV infusion that ended at 11:30 (make_session): booked for 10:00, the medicine
# 10:50 to 11:30, vital signs before it, during it and while watched after it.
LEFT = dt.datetime(2026, 12, 5, 12, 0, tzinfo=NEW_YORK)
READ_AT = LEFT + dt.timedelta(hours=2)
SIGNS = "a sudden severe headache, a sudden change in your vision, or weakness, numbness or slurred speech"


@pytest.fixture
def visit(personas: Any) -> Any:
    patient = personas.a1
    session = make_session(patient, route="iv", state="discharged", now=LEFT)
    submit_checkin(
        patient=patient,
        idempotency_key="crisis-signs",
        reports=[ReportIn("hypertensive_crisis_signs")],
        mood=None,
        note="",
        now=LEFT + dt.timedelta(hours=1),
    )
    return session


def _csv(client: Any) -> list[list[str]]:
    with time_machine.travel(READ_AT, tick=False):
        response = client.get(reverse("interop:records_csv"))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def _pdf_text(client: Any) -> str:
    with time_machine.travel(READ_AT, tick=False):
        response = client.get(reverse("interop:records_pdf"))
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text.split())


def test_the_csv_names_each_time_of_the_visit(visit: Any, client_for: Any) -> None:
    header, *rows = _csv(client_for("a1"))
    assert header[1] == "when (New York time, the clinic's time, with its offset from UTC)"
    (dose,) = [row for row in rows if row[0] == "dose"]
    assert dose[1] == "2026-12-05T10:50:00-05:00"
    assert dose[4] == (
        "medicine started at this time; booked for 2026-12-05T10:00:00-05:00; "
        "medicine ended 2026-12-05T11:30:00-05:00"
    )
    phases = {row[1]: row[2] for row in rows if row[0] == "vital signs"}
    assert set(phases.values()) == {
        "before the medicine",
        "while the medicine was given",
        "after the medicine, while you were watched at the clinic",
    }
    for when, phase in phases.items():
        at = dt.datetime.fromisoformat(when)
        if at < visit.dose_started_at:
            assert phase == "before the medicine", when
        elif at > visit.dose_ended_at:
            assert phase == "after the medicine, while you were watched at the clinic", when
    cells = [cell.lower() for row in [header, *rows] for cell in row]
    assert not [cell for cell in cells if "in session" in cell or "clock" in cell or "your time" in cell]


def test_the_csv_says_warning_sign_and_what_the_signs_are(visit: Any, client_for: Any) -> None:
    _, *rows = _csv(client_for("a1"))
    (symptom,) = [row for row in rows if row[0] == "symptom"]
    assert symptom[2] == f"Signs of a blood-pressure crisis ({SIGNS})"
    assert symptom[3] == "warning sign (strength not asked)"
    assert not [cell for row in rows for cell in row if "red flag" in cell.lower()]


def test_the_pdf_names_each_time_and_uses_plain_words(visit: Any, client_for: Any) -> None:
    text = _pdf_text(client_for("a1"))
    assert "Times are New York time (the clinic's time)." in text
    assert "clock" not in text
    assert "Booked for Medicine started Medicine ended Treatment" in text
    assert "2026-12-05 10:00 2026-12-05 10:50 2026-12-05 11:30 IV ketamine" in text
    assert f"Signs of a blood-pressure crisis ({SIGNS}) warning sign (strength not asked)" in text
    assert "red flag" not in text.lower()


def test_a_patient_on_another_zone_than_the_clinic_is_not_told_it_is_the_clinics_time(
    personas: Any, client_for: Any
) -> None:
    personas.a1.time_zone = "Europe/Berlin"
    personas.a1.save(update_fields=["time_zone"])
    make_session(personas.a1, route="iv", state="discharged", now=LEFT)
    header, *rows = _csv(client_for("a1"))
    assert header[1] == "when (Berlin time, the time zone your clinic set for you, with its offset from UTC)"
    (dose,) = [row for row in rows if row[0] == "dose"]
    assert dose[1] == "2026-12-05T16:50:00+01:00"
    assert "Times are Berlin time (the time zone your clinic set for you)." in _pdf_text(client_for("a1"))
