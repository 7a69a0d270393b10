"""The discharge instructions PDF renders and carries the red flags and the patient's own times."""

from __future__ import annotations

import io
import zoneinfo

import pytest
from django.urls import reverse
from pypdf import PdfReader

from ketacare.core import knowledge
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def test_the_pdf_has_the_red_flag_section_and_the_patients_own_times(personas, client_for):
    session = make_session(personas.b1, route="esketamine_in", state="discharged", minutes_since_dose_end=125)
    response = client_for("clinician_b").get(
        reverse("treatments:instructions_pdf", kwargs={"session_id": session.public_id})
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "When to get help now" in text
    assert knowledge.get_red_flag("chest_pain").name in text
    zone = zoneinfo.ZoneInfo(personas.b1.time_zone)  # Europe/Berlin
    assert session.dose_started_at.astimezone(zone).strftime("%H:%M") in text
    assert session.dose_ended_at.astimezone(zone).strftime("%H:%M") in text
    assert personas.clinic_b.crisis_line in text and "112" in text


def test_the_instructions_page_shows_the_driving_rule_with_its_end_date(personas, client_for):
    session = make_session(personas.a1, route="iv", state="discharged")
    response = client_for("clinician_a").get(
        reverse("treatments:instructions", kwargs={"session_id": session.public_id})
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "No driving and no machinery before" in body
    assert "What to expect" in body
