"""The patient summary shows the sex the current intake records, as the intake page and the FHIR export do.

Registration's sex is what the summary falls back to without an intake, and it is named beside the
intake's when the two disagree ("Correct details" edits the registered one).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ketacare.intake.services import record_intake
from ketacare.patients import facts
from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db


def _summary_sex(client, patient) -> str:
    page = client.get(reverse("patients:detail", kwargs={"patient_id": patient.public_id})).content.decode()
    match = re.search(r'<dd data-testid="sex">(.*?)</dd>', page, re.S)
    assert match, page
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_the_summary_shows_the_intakes_sex_when_registration_left_it_unknown(personas, client_for):
    assert personas.a1.sex == "unknown"
    record_intake(
        patient=personas.a1, user=personas.clinician_a, sex="female", height_cm=None, indications=[]
    )
    client = client_for("clinician_a")
    assert _summary_sex(client, personas.a1) == "Female"
    intake_page = client.get(reverse("intake:page", kwargs={"patient_id": personas.a1.public_id}))
    assert "<dt>Sex</dt><dd>Female</dd>" in intake_page.content.decode()


def test_the_summary_shows_registrations_sex_without_an_intake(personas, client_for):
    Patient.objects.filter(pk=personas.a1.pk).update(sex="male")
    assert _summary_sex(client_for("clinician_a"), personas.a1) == "Male"


def test_the_summary_names_a_registered_sex_the_intake_contradicts(personas, client_for):
    Patient.objects.filter(pk=personas.a1.pk).update(sex="male")
    record_intake(patient=personas.a1, user=personas.clinician_a, sex="other", height_cm=None, indications=[])
    assert _summary_sex(client_for("clinician_a"), personas.a1) == "Other (intake; registered as Male)"


def test_recorded_sex_is_the_current_intakes_value_as_recorded(personas):
    assert facts.recorded_sex(personas.a1) == ""
    record_intake(
        patient=personas.a1, user=personas.clinician_a, sex="female", height_cm=None, indications=[]
    )
    record_intake(patient=personas.a1, user=personas.clinician_a, sex="other", height_cm=None, indications=[])
    # "other" stays "other" here; only the dosing covariate reads it as "unknown".
    assert facts.recorded_sex(personas.a1) == "other"
    assert facts.patient_sex(personas.a1) == "unknown"
