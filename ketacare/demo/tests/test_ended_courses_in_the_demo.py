"""The demo's patients listed as Completed or Discontinued see their ended course on the plan page, and
every demo patient with a course (maintenance, completed, discontinued as well as induction) has the
intake a plan needs, taken through the intake services before the course's first session.

Read through the pages of the demo seeded once for the session.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic
from ketacare.intake.models import BaselineScore, Consent, ScreeningAssessment
from ketacare.patients.models import Patient
from ketacare.treatments.models import Appointment, TreatmentPlan

pytestmark = pytest.mark.django_db

PRESCRIBERS = {"Harbor Ketamine Clinic": "prescriber", "Cascade Mood Center": "prescriber-b"}
ENDED_STAGES = (Patient.Stage.COMPLETED, Patient.Stage.DISCONTINUED)


def _dd(text: str, testid: str) -> str:
    found = re.search(rf'<dd data-testid="{testid}">(.*?)</dd>', text, re.S)
    assert found is not None, testid
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def test_completed_and_discontinued_patients_see_their_ended_course(demo: Any) -> None:
    checked = set()
    for clinic_name, prescriber in PRESCRIBERS.items():
        clinic = Clinic.objects.get(name=clinic_name)
        user = User.objects.get(email=f"{prescriber}@demo.ketacare.org")
        client = login(Client(), user)
        for patient in Patient.objects.filter(clinic=clinic, stage__in=ENDED_STAGES):
            who = f"{clinic_name}: {patient.full_name} ({patient.stage})"
            page = client.get(reverse("treatments:plan", kwargs={"patient_id": patient.public_id}))
            text = page.content.decode()
            assert page.status_code == 200, who
            assert "Before a plan" not in text, who
            assert _dd(text, "ended-status") == patient.get_stage_display(), who
            assert _dd(text, "ended-when").endswith(f"by {user.full_name}"), who
            held, planned = re.match(r"(\d+) of (\d+) planned", _dd(text, "ended-sessions")).groups()  # type: ignore[union-attr]
            if patient.stage == Patient.Stage.COMPLETED:
                assert held == planned, who
            else:
                assert int(held) < int(planned), who
            checked.add(patient.stage)
    assert checked == set(ENDED_STAGES)


def test_every_demo_patient_with_a_course_had_intake_before_its_first_session(demo: Any) -> None:
    planned = Patient.objects.filter(treatment_plans__isnull=False).distinct()
    stages = set()
    for patient in planned:
        first = Appointment.objects.filter(patient=patient).order_by("starts_at").first()
        screening = ScreeningAssessment.objects.get(patient=patient)
        assert first is not None and screening.decided_at is not None, patient
        assert screening.assessed_at < screening.decided_at < first.starts_at, patient
        consent = Consent.objects.get(patient=patient)
        assert consent.signed_on < first.starts_at.date(), patient
        assert BaselineScore.objects.get(patient=patient).completed_at < first.starts_at, patient
        stages.add(patient.stage)
    assert {"induction", "maintenance", "completed", "discontinued"} <= stages
    # Every ended demo course was ended through the plan service, with who ended it and when.
    ended = TreatmentPlan.objects.filter(status=TreatmentPlan.Status.ENDED)
    assert ended.exists()
    assert not ended.filter(ended_at__isnull=True).exists()
    assert not ended.filter(ended_by__isnull=True).exists()
