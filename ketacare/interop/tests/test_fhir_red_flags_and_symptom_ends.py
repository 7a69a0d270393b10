"""The FHIR download says what the patient told: a red flag is a red flag with no severity (the check-in
asks it none), a side effect keeps the severity the patient gave, and a symptom's end is what is known
of it, coded with R4's adverse-event-outcome and worded on the patient's clock (the zone named, no ISO
timestamps), never "resolved by" a time."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.core.display import name_for
from ketacare.interop.exports import validate_bundle
from tests.support.checkins import make_dose
from tests.support.fhir import strict_validate

pytestmark = pytest.mark.django_db

# 10:00 in New York (EST, UTC-05:00), patient a1's zone.
NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"


@pytest.fixture
def events(personas: Any, client_for: Any) -> dict[str, dict[str, Any]]:
    patient = personas.a1
    make_dose(patient, started_at=NOW - dt.timedelta(hours=3))
    with time_machine.travel(NOW, tick=False):
        submit_checkin(
            patient=patient,
            idempotency_key="side-effect",
            reports=[ReportIn("nausea", "moderate")],
            mood=6,
            note="",
            now=NOW - dt.timedelta(hours=2),
        )
        # The form sends a red flag with no severity: the stored one is the default.
        submit_checkin(
            patient=patient,
            idempotency_key="red-flag",
            reports=[ReportIn("chest_pain")],
            mood=3,
            note="",
            now=NOW - dt.timedelta(hours=1),
        )
        response = client_for("a1").get(reverse("interop:records_fhir"))
    assert response.status_code == 200
    bundle = json.loads(response.content)
    validate_bundle(bundle)
    strict_validate(bundle)
    return {
        e["resource"]["event"]["text"]: e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "AdverseEvent"
    }


def test_a_red_flag_has_no_severity_and_its_category_says_red_flag(events: dict[str, dict[str, Any]]) -> None:
    red_flag = events[name_for("chest_pain")]
    assert "severity" not in red_flag
    (category,) = red_flag["category"]
    assert category["coding"][0]["code"] == "patient-reported-red-flag"
    assert category["text"].startswith("Red flag reported by the patient")
    assert "mild" not in json.dumps(red_flag).lower()


def test_a_side_effect_keeps_the_severity_the_patient_gave(events: dict[str, dict[str, Any]]) -> None:
    nausea = events[name_for("nausea")]
    assert nausea["severity"]["coding"] == [
        {"system": SEVERITY_SYSTEM, "code": "moderate", "display": "Moderate"}
    ]
    assert nausea["category"][0]["coding"][0]["code"] == "patient-reported-side-effect"


def test_the_end_of_a_symptom_is_what_is_known_of_it_on_the_patients_clock(
    events: dict[str, dict[str, Any]],
) -> None:
    # Not ticked at the 09:00 check-in: gone by then, last there at 08:00 (New York time).
    nausea = events[name_for("nausea")]["outcome"]
    assert nausea["coding"] == [{"system": OUTCOME_SYSTEM, "code": "resolved", "display": "Resolved"}]
    assert nausea["text"] == (
        "Gone by 09:00 on Monday 7 December 2026 (last there 08:00 on Monday 7 December 2026). "
        "Times are New York time."
    )
    # A red flag stays open until the patient or a clinician closes it.
    chest_pain = events[name_for("chest_pain")]["outcome"]
    assert chest_pain["coding"] == [{"system": OUTCOME_SYSTEM, "code": "ongoing", "display": "Ongoing"}]
    assert chest_pain["text"] == (
        "Ongoing: still there when last asked, 09:00 on Monday 7 December 2026. Times are New York time."
    )
    assert not [e for e in events.values() if "resolved by" in json.dumps(e)]
