"""The FHIR files tell a visit as it went and in words a reader knows (docs/fhir.md): a session still under
way is an Encounter in progress, each Encounter spans the visit from check-in to discharge, the dose
names who recorded it and its lot, appointments say what they are, and codes carry their displays.

Each file is fetched as its reader fetches it, the patient's download and the clinician's
Patient/$everything, and parsed with the fhir.resources R4B models the product validates with.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from ketacare.interop.fhir_common import derived_id
from tests.support.fhir import make_care_records, make_history, strict_validate
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# The PHQ-9 items' LOINC long common names (fhir_common.LOINC_DISPLAY gives where each was read).
PHQ9_ITEM_DISPLAYS = {
    "44250-9": "Little interest or pleasure in doing things in last 2 weeks",
    "44255-8": "Feeling down, depressed, or hopeless in last 2 weeks",
    "44259-0": "Trouble falling or staying asleep, or sleeping too much in last 2 weeks [Reported.PHQ]",
    "44254-1": "Feeling tired or having little energy in last 2 weeks [Reported.PHQ]",
    "44251-7": "Poor appetite or overeating in last 2 weeks [Reported.PHQ]",
    "44258-2": "Feeling bad about yourself - or that you are a failure or have let yourself or your family "
    "down in last 2 weeks [Reported.PHQ]",
    "44252-5": "Trouble concentrating on things, such as reading the newspaper or watching television in "
    "last 2 weeks [Reported.PHQ]",
    "44253-3": "Moving or speaking so slowly that other people could have noticed. Or the opposite - being "
    "so fidgety or restless that you have been moving around a lot more than usual in last 2 weeks "
    "[Reported.PHQ]",
    "44260-8": "Thoughts that you would be better off dead, or of hurting yourself in some way in last 2 "
    "weeks [Reported.PHQ]",
}


def _parsed(response: Any) -> Any:
    assert response.status_code == 200
    body = json.loads(response.content)
    strict_validate(body)
    return Bundle.model_validate(body)


def _both_files(personas: Any, client_for: Any) -> list[Any]:
    """The patient's download and the clinician's $everything for patient a1."""
    everything = reverse("fhir:everything", kwargs={"patient_id": str(personas.a1.public_id)})
    return [
        _parsed(client_for("a1").get(reverse("interop:records_fhir"))),
        _parsed(client_for("clinician_a").get(everything)),
    ]


def _of(bundle: Any, kind: str) -> list[Any]:
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == kind]


def _one(bundle: Any, kind: str, rid: str) -> Any:
    (found,) = [r for r in _of(bundle, kind) if r.id == rid]
    return found


def test_a_session_under_way_is_an_encounter_in_progress_from_its_check_in(
    personas: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, state="observing")
    checked_in, dose_start = session.checked_in_at, session.dose_started_at
    assert session.state == "observing" and checked_in and dose_start and checked_in < dose_start
    for bundle in _both_files(personas, client_for):
        encounter = _one(bundle, "Encounter", str(session.public_id))
        assert encounter.status == "in-progress"
        assert encounter.period.start == session.checked_in_at  # arrival, not the dose's start
        assert encounter.period.end is None  # still at the clinic


def test_a_visit_checked_in_and_not_yet_dosed_is_an_encounter_its_vital_signs_point_to(
    personas: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, state="checked_in")
    for bundle in _both_files(personas, client_for):
        encounter = _one(bundle, "Encounter", str(session.public_id))
        assert encounter.status == "in-progress" and encounter.period.start == session.checked_in_at
        vitals = [o for o in _of(bundle, "Observation") if o.encounter is not None]
        assert vitals and {
            o.encounter.reference.rsplit("/", 1)[-1].removeprefix("urn:uuid:") for o in vitals
        } == {str(session.public_id)}
        assert not _of(bundle, "MedicationAdministration")  # nothing given yet


def test_a_discharged_visit_spans_check_in_to_discharge(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, state="discharged")
    discharged, dose_end = session.discharged_at, session.dose_ended_at
    assert discharged and dose_end and discharged > dose_end
    for bundle in _both_files(personas, client_for):
        encounter = _one(bundle, "Encounter", str(session.public_id))
        assert encounter.status == "finished"
        assert (encounter.period.start, encounter.period.end) == (
            session.checked_in_at,
            session.discharged_at,
        )


def test_the_administration_names_who_recorded_the_dose_and_its_lot(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, state="observing")
    recorder = personas.a1.primary_clinician
    for bundle in _both_files(personas, client_for):
        administration = _one(
            bundle, "MedicationAdministration", derived_id(str(session.public_id), "medadmin")
        )
        assert [p.actor.display for p in administration.performer] == [f"{recorder.full_name} (Clinic A)"]
        assert [n.text for n in administration.note] == ["Lot number LOT-1"]


def test_appointments_say_what_they_are_in_words(personas: Any, client_for: Any) -> None:
    make_care_records(personas.a1, personas.clinician_a)
    for bundle in _both_files(personas, client_for):
        descriptions = {a.description for a in _of(bundle, "Appointment")}
        assert descriptions == {"Induction session (IV ketamine infusion)"}


def test_phq9_items_and_adverse_events_carry_the_displays_of_their_codes(
    personas: Any, client_for: Any
) -> None:
    make_history(personas.a1, personas.clinician_a)
    for bundle in _both_files(personas, client_for):
        items = {
            c.code: c.display
            for o in _of(bundle, "Observation")
            for c in o.code.coding
            if c.code in PHQ9_ITEM_DISPLAYS
        }
        assert items == PHQ9_ITEM_DISPLAYS
        events = {e.event.text: e for e in _of(bundle, "AdverseEvent")}
        (severity,) = events["Vomited once"].severity.coding  # in the session
        assert (severity.code, severity.display) == ("mild", "Mild")
        nausea = events["Feeling sick (nausea)"]  # from a check-in
        assert [(c.code, c.display) for c in nausea.severity.coding] == [("mild", "Mild")]
        (outcome,) = nausea.outcome.coding
        assert outcome.system == "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
        assert (outcome.code, outcome.display) == ("ongoing", "Ongoing")
        assert nausea.outcome.text.startswith("Ongoing: still there when last asked, ")
        assert nausea.outcome.text.endswith("Times are New York time.")
        assert not ISO_TIMESTAMP.search(nausea.outcome.text)
