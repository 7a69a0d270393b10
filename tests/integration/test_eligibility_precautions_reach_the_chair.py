"""The prescriber's eligibility note and the screening's precautions reach the people who plan and dose.

At a new clinic the prescriber decided "eligible with precautions" with the note "Hold lorazepam 24 h
before each session; monitor sedation", and screening found a benzodiazepine; neither the plan page nor
the run-sheet showed either, so the nurse dosing never saw them. Now both pages show the note and each
precaution in words (intake's fact `patients.facts.eligibility_precautions`), on the run-sheet next to the
go/no-go before the dose and in view while the patient is in the chair.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.intake import services as intake
from tests.support.pathway import medicines_on_file, screened
from tests.support.treatments import make_session, run_sheet, words

pytestmark = pytest.mark.django_db

NOTE = "Hold lorazepam 24 h before each session; monitor sedation"


def _decided_with_precautions(patient: Any) -> None:
    """Screened taking lorazepam; the prescriber's decision "eligible with precautions" with their note."""
    prescriber = patient.primary_clinician
    medicines_on_file(patient, prescriber, ["lorazepam 1 mg at night"])
    screening = screened(patient=patient, user=prescriber)
    assert screening.eligibility == "eligible_with_precautions"
    intake.record_eligibility_decision(
        assessment=screening, user=prescriber, decision="eligible_with_precautions", note=NOTE
    )


def _said(page: str) -> None:
    assert "Clinician A (eligible with precautions, " in page and f"): {NOTE}" in page
    assert "Benzodiazepines (lorazepam 1 mg at night) · precaution" in page
    assert "monitor sedation closely" in page  # what the screening says to do, in its words
    assert "eligible_with_precautions" not in page and "benzodiazepines ·" not in page  # no codes


def test_the_run_sheet_shows_them_next_to_the_go_no_go_before_the_dose(personas: Any) -> None:
    _decided_with_precautions(personas.a1)
    client = login(Client(), personas.clinician_a)
    session = make_session(personas.a1, state="scheduled")
    _said(words(run_sheet(client, session)))  # at the check-in
    checked = client.post(
        reverse("treatments:check_in", kwargs={"session_id": session.public_id}),
        {"weight_kg": "70", "fasting_confirmed": "on", "ride_home_confirmed": "on"},
    )
    assert checked.status_code == 302
    body = run_sheet(client, session).content.decode()
    page = words(run_sheet(client, session))
    _said(page)
    # In the Pre-dose card, before what it says about dosing (not ready yet: no vital signs, no questionnaires).
    card = page[page.index("Pre-dose Checked in") :]
    assert card.index("Precautions from the eligibility decision") < card.index("Hold: do not dose")
    assert body.count('data-testid="eligibility-precautions"') == 1
    assert 'class="precautions" role="note"' in body  # prominent, not a hold's red


def test_they_stay_in_view_while_the_patient_is_in_the_chair(personas: Any) -> None:
    _decided_with_precautions(personas.a1)
    session = make_session(personas.a1, state="observing")
    body = run_sheet(login(Client(), personas.clinician_a), session).content.decode()
    assert (
        'data-testid="precautions-card"' in body and body.count('data-testid="eligibility-precautions"') == 1
    )
    _said(words(run_sheet(login(Client(), personas.clinician_a), session)))


def test_the_plan_page_shows_them(personas: Any) -> None:
    _decided_with_precautions(personas.a1)
    client = login(Client(), personas.clinician_a)
    plan_url = reverse("treatments:plan", kwargs={"patient_id": personas.a1.public_id})
    _said(words(client.get(plan_url)))  # before a plan: the prescriber plans with them in view
    make_session(personas.a1, state="scheduled")
    page = client.get(plan_url)
    assert page.status_code == 200
    _said(words(page))


def test_nothing_is_shown_without_a_note_or_a_precaution(personas: Any) -> None:
    screening = screened(patient=personas.a1, user=personas.clinician_a)
    intake.record_eligibility_decision(assessment=screening, user=personas.clinician_a, decision="eligible")
    session = make_session(personas.a1, state="scheduled")
    body = run_sheet(login(Client(), personas.clinician_a), session).content.decode()
    assert 'data-testid="eligibility-precautions"' not in body
