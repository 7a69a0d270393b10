"""The demographics form starts from the sex recorded at registration, never from a choice of its own.

A nurse who saves the rest of the box without touching Sex records what registration recorded; with
nothing recorded the select reads "Choose…" and saving without a choice is refused, naming the choices.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.intake.models import Intake
from ketacare.intake.tests.conftest import intake_url
from ketacare.patients.models import Patient
from tests.support.clinic_hours import page_text

pytestmark = pytest.mark.django_db


def _shown_option(page: str, name: str) -> tuple[str, str]:
    """The option a browser shows in the select ``name`` (the selected one, else the first): value, text."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select named {name!r} on the page"
    options = re.findall(r"<option value=\"([^\"]*)\"([^>]*)>(.*?)</option>", select.group(1), re.S)
    shown = next((o for o in options if "selected" in o[1]), options[0])
    return shown[0], html.unescape(shown[2]).strip()


def _register(client: Any, *, sex: str) -> Patient:
    response = client.post(
        reverse("patients:new"),
        {
            "full_name": "Sam Rivera",
            "date_of_birth": "1985-04-12",
            "sex": sex,
            "phone": "+1 555 0150",
            "time_zone": "America/New_York",
        },
    )
    patient = Patient.objects.get(full_name="Sam Rivera")
    assert response.status_code == 302 and response["Location"] == intake_url("page", patient)
    return patient


def _summary_sex(client: Any, patient: Patient) -> str:
    page = client.get(reverse("patients:detail", kwargs={"patient_id": patient.public_id})).content.decode()
    match = re.search(r'<dd data-testid="sex">(.*?)</dd>', page, re.S)
    assert match, page
    return page_text(match.group(1))


def test_a_patient_registered_as_male_stays_male_when_the_nurse_saves_the_rest_of_the_box(nurse_client):
    patient = _register(nurse_client, sex="male")
    page = nurse_client.get(intake_url("page", patient)).content.decode()
    sex_value, sex_text = _shown_option(page, "sex")
    assert sex_text == "Male"
    # The nurse fills height and conditions and saves; Sex goes as the browser shows it.
    saved = nurse_client.post(
        intake_url("demographics", patient),
        {"sex": sex_value, "height_cm": "178", "indications": ["treatment_resistant_depression"]},
    )
    assert saved.status_code == 302
    assert Intake.objects.get(patient=patient).sex == "male"
    summary = _summary_sex(nurse_client, patient)
    assert summary == "Male"
    assert "Female" not in summary and "registered as" not in summary
    intake_text = page_text(nurse_client.get(intake_url("page", patient)).content.decode())
    assert "Sex Male" in intake_text and "Sex Female" not in intake_text


def test_with_no_sex_registered_the_nurse_must_choose_one(nurse_client):
    patient = _register(nurse_client, sex="unknown")
    page = nurse_client.get(intake_url("page", patient)).content.decode()
    assert _shown_option(page, "sex") == ("", "Choose…")
    refused = nurse_client.post(
        intake_url("demographics", patient),
        {"sex": "", "height_cm": "178", "indications": ["treatment_resistant_depression"]},
    )
    assert refused.status_code == 422
    assert "Sex: Required: choose Female, Male, Other or Unknown." in page_text(refused.content.decode())
    assert not Intake.objects.filter(patient=patient).exists()
    # Unknown stays a choice the nurse can make on purpose.
    chosen = nurse_client.post(
        intake_url("demographics", patient),
        {"sex": "unknown", "height_cm": "178", "indications": ["treatment_resistant_depression"]},
    )
    assert chosen.status_code == 302 and Intake.objects.get(patient=patient).sex == "unknown"


def test_once_an_intake_is_recorded_the_form_starts_from_it(nurse_client):
    patient = _register(nurse_client, sex="male")
    nurse_client.post(
        intake_url("demographics", patient),
        {"sex": "other", "height_cm": "178", "indications": ["treatment_resistant_depression"]},
    )
    page = nurse_client.get(intake_url("page", patient)).content.decode()
    assert _shown_option(page, "sex") == ("other", "Other")
