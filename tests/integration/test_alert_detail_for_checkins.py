"""A check-in's alert, read by the clinician: what the patient was told (labelled as such), the check-in
it came from, and, while the patient is in the chair, that they are in the clinic now."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from ketacare.alerts.models import Alert
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def _text(page: str) -> str:
    return " ".join(html.unescape(strip_tags(page)).split())


def _chest_pain(client_for: Any) -> Alert:
    sent = client_for("a1").post(
        reverse("checkins:checkin"),
        {"idempotency_key": "chest-1", "symptom": "chest_pain", "severity_chest_pain": "moderate"},
    )
    assert sent.status_code == 303
    return Alert.objects.get(source="red_flag_checkin")


def test_the_alert_of_a_patient_in_the_chair_says_so_and_opens_the_check_ins(
    personas: Any, client_for: Any
) -> None:
    make_session(personas.a1, route="iv", state="observing")
    alert = _chest_pain(client_for)
    assert alert.detail.startswith("The patient was told: “")
    page = client_for("clinician_a").get(reverse("alerts:detail", args=[alert.public_id])).content.decode()
    text = _text(page)
    assert "In the clinic now: the patient has a session in the chair" in text
    assert reverse("checkins:staff_checkins", args=[personas.a1.public_id]) in page
    assert "The patient was told: “" in text


def test_the_alert_of_a_patient_at_home_does_not_place_them_in_the_clinic(
    personas: Any, client_for: Any
) -> None:
    make_session(personas.a1, route="iv", state="discharged")
    alert = _chest_pain(client_for)
    text = _text(
        client_for("clinician_a").get(reverse("alerts:detail", args=[alert.public_id])).content.decode()
    )
    assert "In the clinic now" not in text
    assert "the patient's check-ins" in text
