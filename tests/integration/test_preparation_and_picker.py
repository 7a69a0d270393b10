"""The preparation checklist the patient ticks and the clinic sees; the symptom search without JavaScript."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.checkins.models import PreparationTick, SymptomCheckin
from ketacare.checkins.preparation import preparation_items
from ketacare.treatments.models import Appointment, TreatmentPlan
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db


def test_esketamine_preparation_carries_the_cores_fasting_and_nasal_spray_rules() -> None:
    ids = [item.id for item in preparation_items("esketamine_in")]
    assert ids[:3] == ["no_food", "no_liquids", "nasal_spray_timing"]
    assert {"ride_home", "medications", "support_person"} <= set(ids)
    iv = {item.id: item for item in preparation_items("iv")}
    assert iv["fasting_instruction"].basis == "clinic practice"  # no published IV rule in the core
    # The ride-home item says what the discharge sheet will say (core.dayrules), not a second wording.
    from ketacare.core.dayrules import driving_rule_words

    assert iv["ride_home"].text == driving_rule_words("iv")


def test_the_patient_ticks_items_and_their_clinic_sees_them(personas: Any, client_for: Any) -> None:
    # Ticks are for a booked session (docs/decisions/0026): without one the list is only read.
    make_planned_session(personas.a1, starts_at=timezone.now() + dt.timedelta(days=2))
    patient = client_for("a1")
    page = patient.get(reverse("checkins:preparation"))
    assert page.status_code == 200 and b"Prepare for your session" in page.content
    response = patient.post(reverse("checkins:preparation"), {"item": ["ride_home", "support_person"]})
    assert response.status_code == 302
    assert set(PreparationTick.objects.filter(done=True).values_list("item_id", flat=True)) == {
        "ride_home",
        "support_person",
    }
    staff = client_for("clinician_a").get(
        reverse("checkins:staff_checkins", kwargs={"patient_id": str(personas.a1.public_id)})
    )
    # One row per item: the patient's words, then whether they ticked it.
    rows = re.findall(r"<tr><td>(.*?)</td><td>(Yes|No)</td></tr>", html.unescape(staff.content.decode()))
    assert len([r for r in rows if r[1] == "Yes"]) == 2, rows
    assert any(text.startswith("A support person") and answer == "Yes" for text, answer in rows), rows
    assert any(answer == "No" for _, answer in rows), rows


def test_ticks_belong_to_the_next_booked_appointment(personas: Any, client_for: Any) -> None:
    now = timezone.now()
    plan = TreatmentPlan.objects.create(
        clinic=personas.clinic_a,
        patient=personas.a1,
        protocol_id="esketamine_trd",
        preset_id="label",
        route="esketamine_in",
        review_after_session=8,
        review_not_before=now + dt.timedelta(days=30),
        created_by=personas.clinician_a,
    )
    appointment = Appointment.objects.create(
        clinic=personas.clinic_a,
        patient=personas.a1,
        plan=plan,
        number=1,
        phase="induction",
        week=1,
        starts_at=now + dt.timedelta(days=2),
        duration_min=120,
    )
    page = client_for("a1").get(reverse("checkins:preparation"))
    assert b"No food for 2 hours" in page.content
    client_for("a1").post(reverse("checkins:preparation"), {"item": ["ride_home", "no_food"]})
    assert PreparationTick.objects.get(item_id="ride_home").session_key == str(appointment.public_id)
    # Two days ahead the fasting item waits for the session's day: a tick sent for it is not stored.
    assert not PreparationTick.objects.filter(item_id="no_food").exists()
    home = client_for("a1").get(reverse("companion:home"))
    assert b"1 of" in home.content and b"Next appointment" in home.content


def test_searching_without_javascript_keeps_ticked_symptoms_and_writes_nothing(
    personas: Any, client_for: Any
) -> None:
    response = client_for("a1").post(
        reverse("checkins:checkin"),
        {"idempotency_key": "k", "action": "search", "q": "dizzy", "symptom": "headache", "mood": "5"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="sym-dizziness"' in body and 'value="headache" id="sym-headache" checked' in body
    assert 'id="sym-nausea"' not in body
    assert not SymptomCheckin.objects.exists()


def test_the_htmx_search_answers_with_the_picker_partial_only(personas: Any, client_for: Any) -> None:
    response = client_for("a1").post(
        reverse("checkins:checkin"), {"action": "search", "q": "throw up"}, headers={"HX-Request": "true"}
    )
    assert response.content.lstrip().startswith(b'<fieldset id="symptom-picker"')
    assert b"sym-vomiting" in response.content
