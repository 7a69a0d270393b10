"""An intake form with several mistakes shows every one at once, each under its own field, whether the
form or the service found it; nothing is written until all are fixed."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ketacare.intake.models import BaselineScore, Consent, Intake, WeightMeasurement
from ketacare.intake.services import IntakeInputsRefused, record_consent
from ketacare.intake.tests.conftest import intake_url

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


def _field_errors(response) -> list[str]:
    """The error messages shown under fields and above forms, in page order."""
    text = html.unescape(response.content.decode())
    return [
        re.sub(r"<[^>]+>", "", found).strip()
        for found in re.findall(
            r'<(?:span class="field-error"[^>]*|ul class="errorlist[^"]*"[^>]*)>(.*?)</(?:span|ul)>',
            text,
            re.S,
        )
    ]


def _in_future(hours: int = 3) -> str:
    """A clinic-time (clinic A: New York) datetime-local value `hours` from now."""
    return (timezone.now() + dt.timedelta(hours=hours)).astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M")


def test_demographics_show_the_missing_sex_the_height_and_the_other_condition_together(personas, client_for):
    response = client_for("clinician_a").post(
        intake_url("demographics", personas.a1), {"height_cm": "300", "indications": ["other"]}
    )
    assert response.status_code == 422
    errors = " | ".join(_field_errors(response))
    assert "Required: choose Female, Male, Other or Unknown" in errors  # sex: the form's own check
    assert "300 is outside the allowed range 100–250 cm" in errors  # the service's, at the same time
    assert "Required when the indication is 'other'" in errors
    assert not Intake.objects.exists()


def test_a_weight_out_of_range_and_in_the_future_are_both_named(personas, client_for):
    response = client_for("clinician_a").post(
        intake_url("weight", personas.a1), {"weight_kg": "800", "measured_at": _in_future()}
    )
    assert response.status_code == 422
    errors = " | ".join(_field_errors(response))
    assert "800 is outside the allowed range 20–350 kg" in errors
    assert "is in the future; enter a time at or before now" in errors
    assert not WeightMeasurement.objects.exists()


def test_a_weight_that_is_not_a_number_and_a_future_time_are_both_named(personas, client_for):
    response = client_for("clinician_a").post(
        intake_url("weight", personas.a1), {"weight_kg": "seventy", "measured_at": _in_future()}
    )
    assert response.status_code == 422
    errors = " | ".join(_field_errors(response))
    assert "Enter a number" in errors and "is in the future" in errors
    assert not WeightMeasurement.objects.exists()


def test_a_consent_without_a_signer_and_signed_in_the_future_names_both(personas, client_for):
    response = client_for("clinician_a").post(
        intake_url("consent", personas.a1),
        {
            "document_version": "v1",
            "signed_on": "2999-01-01",
            "signer_name": "",
            "signer_relationship": "self",
            "signed_form_seen": "on",
        },
    )
    assert response.status_code == 422
    errors = " | ".join(_field_errors(response))
    assert "This field is required" in errors
    assert "1 Jan 2999 is outside the allowed range" in errors
    assert not Consent.objects.exists()


def test_a_childs_consent_signed_by_the_child_names_the_relationship_and_the_name_together(
    personas, client_for
):
    child = personas.a1
    child.date_of_birth = dt.date(2015, 5, 1)
    child.save(update_fields=["date_of_birth"])
    response = client_for("clinician_a").post(
        intake_url("consent", child),
        {
            "document_version": "v1",
            "signed_on": "2024-05-02",
            "signer_name": child.full_name,
            "signer_relationship": "self",
            "signed_form_seen": "on",
        },
    )
    assert response.status_code == 422
    errors = " | ".join(_field_errors(response))
    assert "Must be a parent or legal guardian" in errors
    assert "is the patient's own name" in errors
    with pytest.raises(IntakeInputsRefused) as caught:
        record_consent(
            patient=child,
            user=personas.clinician_a,
            document_version="v1",
            signed_on=dt.date(2024, 5, 2),
            signer_name=child.full_name,
            signer_relationship="self",
            signed_form_seen=True,
        )
    assert [e.field for e in caught.value.errors] == ["signer_relationship", "signer_name"]
    assert not Consent.objects.exists()


def test_a_baseline_with_a_missing_answer_and_a_future_time_names_both(personas, client_for):
    data = {"instrument": "phq9", **{f"phq9-phq9.q{n}": "1" for n in range(1, 9)}}  # item 9 left out
    data["phq9-completed_at"] = _in_future()
    response = client_for("clinician_a").post(intake_url("baseline", personas.a1), data)
    assert response.status_code == 422
    errors = " | ".join(_field_errors(response))
    assert "This field is required" in errors and "is in the future" in errors
    assert not BaselineScore.objects.exists()
