"""Baselines are scored by the core and stored with answers and version; PHQ-9 item 9 raises its alert."""

from __future__ import annotations

import pytest

from ketacare.alerts.models import Alert
from ketacare.intake.models import BaselineScore
from ketacare.intake.services import IntakeInputError, record_baseline_score
from ketacare.intake.tests.conftest import intake_url

pytestmark = pytest.mark.django_db


def test_a_phq9_is_stored_with_instrument_version_answers_total_and_band(personas):
    row = record_baseline_score(
        patient=personas.a1, user=personas.clinician_a, instrument_id="phq9", answers=[2] * 8 + [0]
    )
    assert (row.instrument_id, row.instrument_version) == ("phq9", "1.0")
    assert row.total == 16  # 8 items x 2 points
    assert row.band  # the core's band label for 16
    assert row.answers["phq9.q1"] == 2 and row.answers["phq9.q9"] == 0
    assert row.item_alerts == []
    assert not Alert.objects.exists()


def test_a_positive_item_9_raises_an_alert_for_the_patients_clinic(personas):
    row = record_baseline_score(
        patient=personas.a1, user=personas.clinician_a, instrument_id="phq9", answers=[0] * 8 + [1]
    )
    assert [alert["code"] for alert in row.item_alerts] == ["suicide_risk"]
    alert = Alert.objects.get()
    assert (alert.patient, alert.clinic, alert.source) == (personas.a1, personas.clinic_a, "phq9_item9")
    # Its title in words, as the patient's own item 9 alerts are titled (no "phq9.q9").
    assert alert.title == "Baseline PHQ-9: PHQ-9 question 9 scored 1: suicide-risk item"


def test_an_unknown_instrument_names_the_allowed_ones_and_writes_nothing(personas):
    with pytest.raises(IntakeInputError) as caught:
        record_baseline_score(patient=personas.a1, user=personas.clinician_a, instrument_id="bdi", answers=[])
    assert caught.value.field == "instrument_id" and "phq9" in str(caught.value)
    assert not BaselineScore.objects.exists()


def test_staff_enter_a_baseline_phq9_on_the_intake_page(personas, client_for):
    data = {"instrument": "phq9", **{f"phq9-phq9.q{n}": "3" for n in range(1, 9)}, "phq9-phq9.q9": "0"}
    response = client_for("clinician_a").post(
        intake_url("baseline", personas.a1), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "total 24" in response.content.decode()
    assert BaselineScore.objects.get().total == 24


def test_the_page_lists_baselines_sent_to_the_patients_app(personas, client_for):
    import datetime as dt

    from django.utils import timezone

    from ketacare.questionnaires.models import QuestionnaireAssignment

    QuestionnaireAssignment.objects.create(
        clinic=personas.clinic_a,
        patient=personas.a1,
        instrument_id="gad7",
        reason="baseline",
        due_at=timezone.now() - dt.timedelta(hours=1),
        schedule_key="baseline:gad7",
    )
    text = client_for("clinician_a").get(intake_url("page", personas.a1)).content.decode()
    assert "Sent to the patient&#x27;s app: GAD-7" in text or "Sent to the patient's app: GAD-7" in text
