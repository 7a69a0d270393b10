"""Corrections mark a record entered in error; it stays, visibly, and another patient's record is a 404."""

from __future__ import annotations

import pytest

from ketacare.intake.models import WeightMeasurement
from ketacare.intake.services import record_weight
from ketacare.intake.tests.conftest import intake_url

pytestmark = pytest.mark.django_db


def test_a_wrong_weight_is_kept_and_shown_as_entered_in_error(personas, client_for):
    weight = record_weight(patient=personas.a1, user=personas.clinician_a, weight_kg=88)
    client = client_for("clinician_a")
    response = client.post(
        intake_url("entered_in_error", personas.a1),
        {"kind": "weight", "record": str(weight.public_id), "reason": "wrong scale"},
    )
    assert response.status_code == 302
    weight.refresh_from_db()
    assert weight.status == "entered_in_error" and weight.error_reason == "wrong scale"
    assert weight.error_marked_by == personas.clinician_a
    page = client.get(intake_url("page", personas.a1)).content.decode()
    assert "<s>88.0 kg</s>" in page and "wrong scale" in page


def test_another_patients_record_cannot_be_marked_through_this_patients_url(personas, client_for):
    weight = record_weight(patient=personas.a2, user=personas.clinician_a, weight_kg=88)
    response = client_for("clinician_a").post(
        intake_url("entered_in_error", personas.a1),
        {"kind": "weight", "record": str(weight.public_id), "reason": "x"},
    )
    assert response.status_code == 404
    assert WeightMeasurement.objects.get().status == "valid"


def test_a_correction_needs_a_reason(personas, client_for):
    weight = record_weight(patient=personas.a1, user=personas.clinician_a, weight_kg=88)
    response = client_for("clinician_a").post(
        intake_url("entered_in_error", personas.a1), {"kind": "weight", "record": str(weight.public_id)}
    )
    assert response.status_code == 422
    assert WeightMeasurement.objects.get().status == "valid"
