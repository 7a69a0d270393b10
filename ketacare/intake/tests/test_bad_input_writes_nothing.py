"""Bad intake input gets a message naming the field and the allowed range or values, and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ketacare.core.course import WEIGHT_KG_RANGE
from ketacare.intake.models import HEIGHT_CM_RANGE, BaselineScore, Consent, Intake, WeightMeasurement
from ketacare.intake.services import IntakeInputError, record_consent, record_intake, record_weight
from ketacare.intake.tests.conftest import intake_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("weight_kg", ["0", "700", "-5", "19.9", "350.1"])
def test_an_implausible_weight_is_refused_naming_weight_kg_and_the_range(personas, client_for, weight_kg):
    response = client_for("clinician_a").post(intake_url("weight", personas.a1), {"weight_kg": weight_kg})
    assert response.status_code == 422
    text = response.content.decode()
    assert "weight_kg" in text and f"{WEIGHT_KG_RANGE[0]:g}–{WEIGHT_KG_RANGE[1]:g} kg" in text
    assert not WeightMeasurement.objects.exists()


def test_the_weight_service_names_the_field_and_range(personas):
    with pytest.raises(IntakeInputError) as caught:
        record_weight(patient=personas.a1, user=personas.clinician_a, weight_kg=700)
    assert caught.value.field == "weight_kg"
    assert "20–350 kg" in str(caught.value)


def test_a_weight_at_the_edges_of_the_range_is_accepted(personas):
    for weight in WEIGHT_KG_RANGE:
        record_weight(patient=personas.a1, user=personas.clinician_a, weight_kg=weight)
    assert WeightMeasurement.objects.count() == 2


def test_a_weight_measured_in_the_future_is_refused(personas):
    with pytest.raises(IntakeInputError) as caught:
        record_weight(
            patient=personas.a1,
            user=personas.clinician_a,
            weight_kg=70,
            measured_at=timezone.now() + dt.timedelta(hours=2),
        )
    assert caught.value.field == "measured_at"
    assert not WeightMeasurement.objects.exists()


@pytest.mark.parametrize("height_cm", ["50", "300", "abc"])
def test_an_implausible_height_is_refused_naming_height_cm_and_the_range(personas, client_for, height_cm):
    response = client_for("clinician_a").post(
        intake_url("demographics", personas.a1),
        {"sex": "female", "height_cm": height_cm, "indications": ["major_depression"]},
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "height_cm" in text or "Height (cm)" in text
    if height_cm != "abc":
        assert f"{HEIGHT_CM_RANGE[0]:g}–{HEIGHT_CM_RANGE[1]:g} cm" in text
    assert not Intake.objects.exists()


def test_an_unknown_sex_or_indication_names_the_allowed_values(personas):
    with pytest.raises(IntakeInputError) as caught:
        record_intake(patient=personas.a1, user=personas.clinician_a, sex="x", height_cm=None, indications=[])
    assert caught.value.field == "sex" and "female" in str(caught.value)
    with pytest.raises(IntakeInputError) as caught:
        record_intake(
            patient=personas.a1, user=personas.clinician_a, sex="male", height_cm=None, indications=["flu"]
        )
    assert caught.value.field == "indications" and "treatment_resistant_depression" in str(caught.value)
    assert not Intake.objects.exists()


def test_other_as_an_indication_needs_its_text(personas):
    with pytest.raises(IntakeInputError) as caught:
        record_intake(
            patient=personas.a1, user=personas.clinician_a, sex="male", height_cm=None, indications=["other"]
        )
    assert caught.value.field == "indication_other"


def test_a_consent_signed_in_the_future_or_before_birth_is_refused(personas):
    for signed_on in (dt.date(2999, 1, 1), dt.date(1900, 1, 1)):
        with pytest.raises(IntakeInputError) as caught:
            record_consent(
                patient=personas.a1,
                user=personas.clinician_a,
                document_version="v1",
                signed_on=signed_on,
                signer_name="A",
                signer_relationship="self",
                signed_form_seen=True,
            )
        assert caught.value.field == "signed_on" and "allowed range" in str(caught.value)
    assert not Consent.objects.exists()


def test_a_malformed_consent_date_over_http_is_a_form_error(personas, client_for):
    response = client_for("clinician_a").post(
        intake_url("consent", personas.a1),
        {
            "document_version": "v1",
            "signed_on": "31/31/2020",
            "signer_name": "A",
            "signer_relationship": "self",
            "signed_form_seen": "on",
        },
    )
    assert response.status_code == 422
    assert not Consent.objects.exists()


def test_an_oversized_free_text_is_refused(personas, client_for):
    response = client_for("clinician_a").post(
        intake_url("demographics", personas.a1),
        {"sex": "female", "indications": ["anxiety"], "previous_treatments": "x" * 5000},
    )
    assert response.status_code == 422
    assert not Intake.objects.exists()


def test_a_baseline_with_an_answer_out_of_range_names_the_item_and_writes_nothing(personas, client_for):
    data = {"instrument": "phq9", **{f"phq9-phq9.q{n}": "1" for n in range(1, 10)}}
    data["phq9-phq9.q3"] = "7"
    response = client_for("clinician_a").post(intake_url("baseline", personas.a1), data)
    assert response.status_code == 422
    assert not BaselineScore.objects.exists()
