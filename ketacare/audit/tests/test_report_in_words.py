"""The audit report says what each request did, and its patient filter takes a name or a record number.

A discharge, an archived patient and an overridden hold each check the patient record the same way
("Write · Granted · Patient record"); the report names the deed from the address the row recorded.
The filter finds a patient as staff know them, never asking for an internal id.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.audit.services import record_access_event
from tests.support.register import add_nurse
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db
READY = {"ride_present": "on", "instructions_given": "on"}


def _rows(page: str) -> list[str]:
    return re.findall(r"<tr[ >].*?</tr>", page.split("<tbody>", 1)[1], flags=re.S)


def _report(client: Any, query: str = "") -> Any:
    return client.get(reverse("audit:report") + query)


def test_a_discharge_an_archive_and_a_hold_override_each_say_what_was_done(
    personas: Any, client_for: Any
) -> None:
    prescriber = client_for("clinician_a")
    held = make_session(personas.a1, state="checked_in", hold=True)
    overridden = prescriber.post(
        reverse("treatments:hold_override", kwargs={"session_id": held.public_id}),
        {"hold_override_reason": "Repeat reading lower; benefit outweighs risk"},
    )
    assert overridden.status_code == 302
    observing = make_session(personas.a2, route="iv", state="observing", minutes_since_dose_end=45)
    discharged = prescriber.post(
        reverse("treatments:discharge", kwargs={"session_id": observing.public_id}),
        {**READY, "override_reason": "Stable, observed 45 min"},
    )
    assert discharged.status_code == 302
    nurse = login(Client(), add_nurse(personas.clinic_a))
    archived = nurse.post(
        reverse("patients:archive", kwargs={"patient_id": personas.a2.public_id}),
        {"reason": "Moved to another clinic"},
    )
    assert archived.status_code == 302

    page = _report(client_for("admin_a")).content.decode()
    assert '<th scope="col">What was done</th>' in page
    rows = _rows(page)
    hold = [r for r in rows if "<td>Override dose hold</td>" in r]
    assert hold and all("<td>Prescriber</td><td>Write</td><td>Granted</td>" in r for r in hold)
    assert any("<td>Discharge</td>" in r and personas.a2.full_name in r for r in rows)
    archive = [r for r in rows if "<td>Archive patient</td>" in r]
    assert archive and all("<td>Nurse</td><td>Write</td><td>Granted</td>" in r for r in archive)
    # Reads say which page was opened; the report's own read too.
    assert any("<td>Open audit report</td>" in r for r in rows)
    # Never the view's code name.
    for code in ("hold_override", "patients:archive", "treatments:discharge"):
        assert code not in page


def test_a_refused_write_reads_as_tried_not_done(personas: Any, client_for: Any) -> None:
    # Clinic B's prescriber tries to archive clinic A's patient: refused, and the report says so.
    refused = client_for("clinician_b").post(
        reverse("patients:archive", kwargs={"patient_id": personas.a1.public_id}), {"reason": "Moved"}
    )
    assert refused.status_code == 404
    rows = _rows(_report(client_for("admin_a")).content.decode())
    denied = [r for r in rows if "clinician.b@example.org" in r]
    assert denied and all("<strong>Denied</strong>" in r for r in denied)
    assert any("<td>Tried: Archive patient</td>" in r for r in denied)


def test_a_row_whose_kind_names_an_override_says_so(personas: Any, client_for: Any) -> None:
    # What a discharge with criteria overridden records once its service names it in the audit chain.
    record_access_event(
        action="write",
        outcome="granted",
        user=personas.clinician_a,
        patient=personas.a1,
        object_type="discharge_override",
        object_id="session",
    )
    rows = _rows(_report(client_for("admin_a")).content.decode())
    assert any("<td>Discharge (override)</td>" in r and personas.a1.full_name in r for r in rows)


def _read_both(personas: Any, client_for: Any) -> None:
    nurse = client_for("clinician_a")
    for patient in (personas.a1, personas.a2):
        assert nurse.get(reverse("patients:detail", args=[patient.public_id])).status_code == 200


def test_the_patient_filter_takes_part_of_a_name(personas: Any, client_for: Any) -> None:
    _read_both(personas, client_for)
    response = _report(client_for("admin_a"), "?patient=canarya2")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="patient-filter">Only the events of <strong>Arthur CanaryA2</strong>' in page
    rows = _rows(page)
    assert rows and all("Arthur CanaryA2" in r for r in rows)
    assert not any("Alice CanaryA1" in r for r in rows)


def test_the_patient_filter_takes_a_record_number(personas: Any, client_for: Any) -> None:
    personas.a2.medical_record_number = "MRN-0042"
    personas.a2.save(update_fields=["medical_record_number"])
    _read_both(personas, client_for)
    page = _report(client_for("admin_a"), "?patient=+mrn-0042+").content.decode()
    assert "Only the events of <strong>Arthur CanaryA2</strong> (record MRN-0042)" in page
    box = re.search(r'<input type="text" name="patient"[^>]*>', page)
    assert box is not None and 'value=" mrn-0042 "' in box.group(0)  # what was typed stays
    assert all("Arthur CanaryA2" in r for r in _rows(page))


def test_the_patient_filter_searches_as_the_patient_list_does(personas: Any, client_for: Any) -> None:
    personas.a2.medical_record_number = "MRN-0042"
    personas.a2.save()
    _read_both(personas, client_for)
    for typed in ("canarya2 arthur", "0042", "ARTHUR"):
        page = _report(client_for("admin_a"), f"?patient={typed}").content.decode()
        assert "Only the events of <strong>Arthur CanaryA2</strong>" in page, typed


def test_the_reports_own_patient_link_filters_and_the_box_shows_the_name(
    personas: Any, client_for: Any
) -> None:
    _read_both(personas, client_for)
    page = _report(client_for("admin_a"), f"?patient={personas.a1.public_id}").content.decode()
    assert "Only the events of <strong>Alice CanaryA1</strong>" in page
    assert all("Alice CanaryA1" in r for r in _rows(page))
    box = re.search(r'<input type="text" name="patient"[^>]*>', page)
    assert box is not None and 'value="Alice CanaryA1"' in box.group(0)
    assert str(personas.a1.public_id) not in box.group(0)


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (
            "Canary",
            "Patient: “Canary” matches more than one patient: Alice CanaryA1 (record MRN-A1), "
            "Arthur CanaryA2 (record MRN-A2). Type more of the name, or the record number.",
        ),
        (
            "Nobody Here",
            "Patient: no patient of this clinic has the name or record number “Nobody Here”.",
        ),
        # Another clinic's patient is not this clinic's to find.
        ("Berta CanaryB1", "no patient of this clinic has the name or record number “Berta CanaryB1”"),
    ],
)
def test_a_patient_the_filter_cannot_pin_down_is_a_clear_error(
    personas: Any, client_for: Any, words: str, says: str
) -> None:
    _read_both(personas, client_for)
    response = _report(client_for("admin_a"), "?" + f"patient={words}".replace(" ", "+"))
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert says in page
    assert "UUID" not in page and "Patient id" not in page
    assert "No events match" in page


def test_the_csv_filters_by_name_and_names_a_bad_filter_in_words(personas: Any, client_for: Any) -> None:
    _read_both(personas, client_for)
    admin = client_for("admin_a")
    response = admin.get(reverse("audit:csv") + "?patient=Arthur+CanaryA2")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows and {r["patient_public_id"] for r in rows} == {str(personas.a2.public_id)}
    refused = admin.get(reverse("audit:csv") + "?patient=Canary")
    assert refused.status_code == 400
    assert refused.content.decode().startswith("Patient: “Canary” matches more than one patient")


def test_a_patients_own_check_in_says_what_was_sent(personas: Any, client_for: Any) -> None:
    patient = client_for("a1")
    sent = patient.post(
        reverse("checkins:checkin"),
        {
            "idempotency_key": "2b1f9a3e-8c1d-4b5e-9f00-5a2c7d3e1b11",
            "symptom": ["nausea"],
            "severity_nausea": "mild",
            "mood": "6",
            "note": "",
        },
    )
    assert sent.status_code in (302, 303)
    page = _report(
        client_for("admin_a"), "?patient=" + personas.a1.full_name.replace(" ", "+")
    ).content.decode()
    assert "Send a check-in" in page


def test_the_csv_gives_the_clinic_time_and_each_row_in_words(personas: Any, client_for: Any) -> None:
    nurse = login(Client(), add_nurse(personas.clinic_a))
    nurse.post(
        reverse("patients:archive", kwargs={"patient_id": personas.a2.public_id}),
        {"reason": "Moved to another clinic"},
    )
    response = client_for("admin_a").get(reverse("audit:csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    archive = next(r for r in rows if r["path"].endswith("/archive/"))
    # Clinic A keeps New York time: the same instant, on the clinic's clock, with its offset.
    assert archive["occurred_at"].endswith("+00:00") and archive["clinic_time"][-6:] in ("-05:00", "-04:00")
    assert archive["role_in_words"] == "Nurse"
    assert archive["in_words"] == "Write · Granted · Patient record · Archive patient"
