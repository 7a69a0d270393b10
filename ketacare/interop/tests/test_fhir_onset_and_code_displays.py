"""The FHIR files keep R4's times of an adverse event apart and show each LOINC code with its display.

A symptom the patient reported at a check-in is an AdverseEvent whose ``date`` is when it began, as the
patient gave it (a time after their session, or the day they named), and whose ``detected`` and
``recordedDate`` are the check-in that told the clinic; with no onset given there is no ``date`` at all,
never the check-in's time passed off as the start. The Questionnaires and the total-score Observations
carry the LOINC displays of their codes.

Each file is fetched as its reader fetches it (the patient's download, the clinician's Patient/$everything
and a FHIR search) and parsed with the fhir.resources R4B models the product validates with.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.core.display import name_for
from ketacare.questionnaires.services import submit_questionnaire
from tests.support.checkins import make_dose
from tests.support.fhir import make_history, strict_validate

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")  # clinic A and its patients (conftest)
DOSE = dt.datetime(2026, 12, 4, 11, 0, tzinfo=NEW_YORK)  # Friday
CHECKIN = dt.datetime(2026, 12, 7, 13, 33, tzinfo=NEW_YORK)  # Monday
RED_FLAG_CHECKIN = CHECKIN - dt.timedelta(minutes=5)
READ_AT = CHECKIN + dt.timedelta(hours=1)
LOINC = "http://loinc.org"
PHQ9_TOTAL_DISPLAY = "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"


@pytest.fixture
def reported(personas: Any) -> Any:
    """On Monday: a warning sign (asked no onset); then a headache that began about 2 hours after Friday's
    session, nausea the patient said began on Sunday, and fatigue sent with "not sure"."""
    patient = personas.a1
    make_dose(patient, started_at=DOSE)
    with time_machine.travel(CHECKIN, tick=False):
        submit_checkin(
            patient=patient,
            idempotency_key="chest",
            reports=[ReportIn("chest_pain")],
            mood=None,
            note="",
            now=RED_FLAG_CHECKIN,
        )
        submit_checkin(
            patient=patient,
            idempotency_key="monday",
            reports=[
                ReportIn("headache", "moderate", onset_min=120),
                ReportIn("nausea", "mild", onset_day=dt.date(2026, 12, 6)),
                ReportIn("fatigue", "mild"),
            ],
            mood=6,
            note="",
            now=CHECKIN,
        )
    return patient


def _parsed(response: Any) -> Any:
    assert response.status_code == 200
    body = json.loads(response.content)
    strict_validate(body)
    return body, Bundle.model_validate(body)


def _both_files(personas: Any, client_for: Any) -> list[tuple[dict[str, Any], Any]]:
    """The patient's download and the clinician's $everything for patient a1, as JSON and as parsed."""
    everything = reverse("fhir:everything", kwargs={"patient_id": str(personas.a1.public_id)})
    with time_machine.travel(READ_AT, tick=False):  # signed in then, so the session is fresh
        return [
            _parsed(client_for("a1").get(reverse("interop:records_fhir"))),
            _parsed(client_for("clinician_a").get(everything)),
        ]


def _events(bundle: Any) -> dict[str, Any]:
    return {
        e.resource.event.text: e.resource
        for e in bundle.entry
        if e.resource.get_resource_type() == "AdverseEvent"
    }


def _raw_events(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["resource"]["event"]["text"]: e["resource"]
        for e in body["entry"]
        if e["resource"]["resourceType"] == "AdverseEvent"
    }


def test_a_symptom_s_date_is_when_it_began_and_the_check_in_is_when_it_was_detected(
    reported: Any, personas: Any, client_for: Any
) -> None:
    for _body, bundle in _both_files(personas, client_for):
        headache = _events(bundle)[name_for("headache")]
        # About 2 hours after Friday's 11:00 session, not Monday 13:33 when the check-in told the clinic.
        assert headache.date == DOSE + dt.timedelta(hours=2)
        assert headache.detected == CHECKIN
        assert headache.recordedDate == CHECKIN


def test_a_day_the_patient_named_is_a_date_with_no_time(
    reported: Any, personas: Any, client_for: Any
) -> None:
    for body, bundle in _both_files(personas, client_for):
        # The day on the patient's clock is all they said: no time of day, no offset is made up.
        assert _raw_events(body)[name_for("nausea")]["date"] == "2026-12-06"
        nausea = _events(bundle)[name_for("nausea")]
        assert (nausea.detected, nausea.recordedDate) == (CHECKIN, CHECKIN)


def test_without_an_onset_there_is_no_date_only_when_it_was_reported(
    reported: Any, personas: Any, client_for: Any
) -> None:
    for body, bundle in _both_files(personas, client_for):
        raw, events = _raw_events(body), _events(bundle)
        # "Not sure", and a warning sign, which the check-in asks no onset.
        for name, told in ((name_for("fatigue"), CHECKIN), (name_for("chest_pain"), RED_FLAG_CHECKIN)):
            assert "date" not in raw[name], name
            assert (events[name].detected, events[name].recordedDate) == (told, told)


def test_an_in_session_event_keeps_when_it_happened(personas: Any, client_for: Any) -> None:
    session = make_history(personas.a1, personas.clinician_a)
    for _body, bundle in _both_files(personas, client_for):
        vomited = _events(bundle)["Vomited once"]
        assert vomited.date == session.dose_started_at
        assert vomited.recordedDate is not None and vomited.detected is None


def test_a_date_search_finds_a_symptom_on_the_day_it_began(
    reported: Any, personas: Any, client_for: Any
) -> None:
    url = reverse("fhir:search_AdverseEvent")
    subject = f"Patient/{personas.a1.public_id}"
    with time_machine.travel(READ_AT, tick=False):
        client = client_for("clinician_a")
        friday = _parsed(client.get(url, {"subject": subject, "date": "2026-12-04"}))[1]
    assert [e.resource.event.text for e in friday.entry] == [name_for("headache")]


def test_questionnaires_and_totals_carry_the_loinc_displays_of_their_codes(
    personas: Any, client_for: Any
) -> None:
    submit_questionnaire(
        patient=personas.a1,
        instrument_id="phq9",
        answers={f"phq9.q{i}": 1 for i in range(1, 10)},
        idempotency_key="displays",
        now=timezone.now(),
    )
    for _body, bundle in _both_files(personas, client_for):
        (questionnaire,) = [
            e.resource for e in bundle.entry if e.resource.get_resource_type() == "Questionnaire"
        ]
        codes = {c.code: c for item in questionnaire.item for c in item.code or []}
        assert len(codes) == 10  # nine items and the total
        assert codes["44250-9"].display == "Little interest or pleasure in doing things in last 2 weeks"
        assert codes["44259-0"].display == (
            "Trouble falling or staying asleep, or sleeping too much in last 2 weeks [Reported.PHQ]"
        )
        assert codes["44261-6"].display == PHQ9_TOTAL_DISPLAY
        assert all(c.system == LOINC and c.display for c in codes.values())
        (total,) = [
            c
            for e in bundle.entry
            if e.resource.get_resource_type() == "Observation"
            for c in e.resource.code.coding or []
            if c.code == "44261-6"
        ]
        assert total.display == PHQ9_TOTAL_DISPLAY
