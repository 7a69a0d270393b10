"""The staff patient pages: an e-mail another account uses is refused, times are clinic time, archiving
asks why and refuses a patient in the chair, the "Now" block, and a new patient's record number.

The facts from the apps above (in the chair, a paused dose, alerts, appointments) are replaced here by
their answers, so these tests stay on the patients floor; alerts/tests checks the alert counts for real.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.patients import facts
from ketacare.patients.models import Patient, PatientChange, PatientInvitation
from tests.support.mail import MAIL_SERVER

pytestmark = pytest.mark.django_db

SAME_CLINIC = (
    "E-mail: this address already belongs to another patient&#x27;s account at this clinic; "
    "use the patient&#x27;s own address"
)
ELSEWHERE = "this address cannot be used for this patient; use the patient&#x27;s own address"


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "full_name": "Test Dup",
        "preferred_name": "",
        "date_of_birth": "1990-03-04",
        "sex": "male",
        "email": "test.dup@example.org",
        "phone": "",
        "time_zone": "America/New_York",
        "emergency_contact_name": "",
        "emergency_contact_phone": "",
        "medical_record_number": "",
    }
    return data | overrides


def _detail(patient: Patient) -> str:
    return reverse("patients:detail", kwargs={"patient_id": patient.public_id})


def _uninvited(personas: Any, email: str, name: str = "Test Dup") -> Patient:
    return Patient.objects.create(
        clinic=personas.clinic_a, full_name=name, date_of_birth=dt.date(1990, 3, 4), email=email
    )


# --- An e-mail another account uses --------------------------------------------------------------


def test_registering_with_another_patients_account_email_is_refused_on_the_field(personas, client_for):
    response = client_for("clinician_a").post(reverse("patients:new"), _form(email="Patient.A1@Example.org"))
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        "This address already belongs to another patient&#x27;s account at this clinic; "
        "use the patient&#x27;s own address" in page
    )
    assert not Patient.objects.filter(full_name="Test Dup").exists()


@pytest.mark.parametrize(
    "email", ["patient.b1@example.org", "clinician.b@example.org", "admin.a@example.org"]
)
def test_an_account_elsewhere_is_refused_without_saying_whose(personas, client_for, email):
    response = client_for("clinician_a").post(reverse("patients:new"), _form(email=email))
    assert response.status_code == 400
    page = response.content.decode()
    assert "This address cannot be used for this patient; use the patient&#x27;s own address" in page
    assert "another patient" not in page and "Clinic B" not in page and "CanaryB1" not in page
    assert not Patient.objects.filter(full_name="Test Dup").exists()


def test_the_api_refuses_the_same_address_naming_email(personas, client_for):
    body = {
        "full_name": "Api Dup",
        "date_of_birth": "1970-01-01",
        "sex": "male",
        "email": "patient.a2@example.org",
    }
    response = client_for("clinician_a").post(
        "/api/v1/patients", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["email"]
    assert not Patient.objects.filter(full_name="Api Dup").exists()


def test_inviting_with_a_taken_email_says_why_and_writes_nothing(personas, client_for, mailoutbox):
    patient = _uninvited(personas, "patient.a1@example.org")
    client = client_for("clinician_a")
    page = client.get(_detail(patient)).content.decode()
    # Said before anyone presses the button, and the button is off.
    assert 'data-testid="invite-refused">' + SAME_CLINIC in page
    assert 'disabled aria-describedby="invite-refused"' in page
    response = client.post(reverse("patients:invite", kwargs={"patient_id": patient.public_id}), follow=True)
    page = response.content.decode()
    assert f'<p class="message error">{SAME_CLINIC}</p>' in page
    assert "Not invited yet" in page
    assert not PatientInvitation.objects.exists() and not mailoutbox


def test_inviting_with_another_clinics_patients_email_says_only_that_it_cannot_be_used(personas, client_for):
    patient = _uninvited(personas, "patient.b1@example.org")
    response = client_for("clinician_a").post(
        reverse("patients:invite", kwargs={"patient_id": patient.public_id}), follow=True
    )
    page = response.content.decode()
    assert f'<p class="message error">E-mail: {ELSEWHERE}</p>' in page
    assert "another patient" not in page
    assert not PatientInvitation.objects.exists()


def test_correcting_to_a_taken_email_is_refused_and_the_own_address_stays_allowed(personas, client_for):
    client = client_for("clinician_a")
    a2 = personas.a2
    url = reverse("patients:edit", kwargs={"patient_id": a2.public_id})
    kept = {
        "full_name": a2.full_name,
        "date_of_birth": "1980-05-17",
        "sex": "unknown",
        "time_zone": a2.time_zone,
    }
    refused = client.post(url, _form(**kept, email="patient.a1@example.org"))
    assert refused.status_code == 400
    assert "already belongs to another patient&#x27;s account at this clinic" in refused.content.decode()
    assert not PatientChange.objects.exists()
    # The patient's own sign-in address is theirs to keep as the contact address.
    own = client.post(url, _form(**kept, email="patient.a2@example.org"))
    assert own.status_code == 302
    a2.refresh_from_db()
    assert a2.email == "patient.a2@example.org"


# --- Times in clinic time --------------------------------------------------------------------------


def test_the_invitation_times_are_clinic_time_with_the_place(personas, client_for, settings, mailoutbox):
    settings.INVITATION_TTL_HOURS = 48
    settings.EMAIL_BACKEND = MAIL_SERVER  # e-mail set up: the page says "sent"
    patient = _uninvited(personas, "new.patient@example.org")
    with time_machine.travel(dt.datetime(2026, 12, 7, 9, 38, tzinfo=dt.UTC), tick=False):
        client = client_for("clinician_a")
        sent = client.post(reverse("patients:invite", kwargs={"patient_id": patient.public_id}), follow=True)
        page = client.get(_detail(patient)).content.decode()
    assert "until 2026-12-09 04:38 (New York time)" in sent.content.decode()
    assert (
        'data-testid="invitation-status">Sent, not yet accepted '
        "(sent 2026-12-07 04:38, until 2026-12-09 04:38, New York time)</dd>" in page
    )
    assert "UTC" not in page


def test_corrections_and_the_archive_date_are_clinic_time(personas, client_for):
    a1 = personas.a1
    # 02:30 UTC on 8 December is still 7 December in New York.
    with time_machine.travel(dt.datetime(2026, 12, 8, 2, 30, tzinfo=dt.UTC), tick=False):
        client = client_for("clinician_a")
        kept = {"full_name": a1.full_name, "date_of_birth": "1980-05-17", "sex": "unknown"}
        client.post(
            reverse("patients:edit", kwargs={"patient_id": a1.public_id}), _form(**kept, phone="+1 555 0199")
        )
        client.post(
            reverse("patients:archive", kwargs={"patient_id": a1.public_id}), {"reason": "Moved away"}
        )
        page = client.get(_detail(a1)).content.decode()
    assert '<th scope="col">When (New York)</th>' in page and "<td>2026-12-07 21:30</td>" in page
    assert 'data-testid="archived">Archived 2026-12-07 (Moved away)' in page


# --- Archiving -------------------------------------------------------------------------------------


def test_archiving_asks_for_a_reason_first(personas, client_for):
    client = client_for("clinician_a")
    url = reverse("patients:archive", kwargs={"patient_id": personas.a2.public_id})
    detail = client.get(_detail(personas.a2)).content.decode()
    # The record's button leads to the confirmation, not straight to the archive.
    assert f'<a class="button danger-button" href="{url}">Archive…</a>' in detail
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Why is this patient archived?" in confirm.content.decode()
    for empty in ({}, {"reason": "   "}):
        refused = client.post(url, empty)
        assert refused.status_code == 400
        assert "Say why the patient is archived (1 to 500 characters)." in refused.content.decode()
    too_long = client.post(url, {"reason": "x" * 501})
    assert too_long.status_code == 400
    personas.a2.refresh_from_db()
    assert personas.a2.archived_at is None and personas.a2.archive_reason == ""
    done = client.post(url, {"reason": "  Treatment   finished "})
    assert done.status_code == 302 and done["Location"] == _detail(personas.a2)
    personas.a2.refresh_from_db()
    assert personas.a2.archived_at is not None and personas.a2.archive_reason == "Treatment finished"
    # Restoring needs no reason and clears it.
    client.post(reverse("patients:restore", kwargs={"patient_id": personas.a2.public_id}))
    personas.a2.refresh_from_db()
    assert personas.a2.archived_at is None and personas.a2.archive_reason == ""


def test_a_patient_in_the_chair_cannot_be_archived(personas, client_for, monkeypatch):
    a2 = personas.a2
    monkeypatch.setitem(facts._registry, "at_the_clinic", lambda patient: patient.pk == a2.pk)
    client = client_for("clinician_a")
    url = reverse("patients:archive", kwargs={"patient_id": a2.public_id})
    page = client.get(url).content.decode()
    assert 'data-testid="archive-refused"><strong>This patient is in the chair now.</strong>' in page
    assert 'name="reason"' not in page
    refused = client.post(url, {"reason": "Moved away"})
    assert refused.status_code == 400 and "This patient is in the chair now." in refused.content.decode()
    a2.refresh_from_db()
    assert a2.archived_at is None
    # Another patient of the clinic, not in the chair, is archived as usual.
    other = client.post(
        reverse("patients:archive", kwargs={"patient_id": personas.a1.public_id}), {"reason": "Moved"}
    )
    assert other.status_code == 302


def test_the_confirmation_names_open_alerts_that_stay_in_the_inbox(personas, client_for, monkeypatch):
    alerts = [facts.OpenAlerts("emergency", "Emergency", 4, 0)]
    monkeypatch.setitem(facts._registry, "open_alert_counts", lambda patient: alerts)
    page = client_for("clinician_a").get(
        reverse("patients:archive", kwargs={"patient_id": personas.a2.public_id})
    )
    body = page.content.decode()
    assert '<span class="sev sev-emergency">4 Emergency</span>' in body
    assert 'data-testid="archive-alerts-warning"' in body and 'name="reason"' in body


# --- "Now" on the record ---------------------------------------------------------------------------


def test_the_record_starts_with_what_is_happening_now(personas, client_for, monkeypatch):
    a1 = personas.a1
    starts_at = dt.datetime(2026, 12, 8, 14, 0, tzinfo=dt.UTC)
    monkeypatch.setitem(facts._registry, "at_the_clinic", lambda patient: True)
    monkeypatch.setitem(
        facts._registry,
        "next_dose_hold",
        lambda patient: (
            "Next dose paused until a prescriber reviews: bladder or urinary symptoms were reported."
        ),
    )
    monkeypatch.setitem(
        facts._registry,
        "open_alert_counts",
        lambda patient: [
            facts.OpenAlerts("emergency", "Emergency", 4, 1),
            facts.OpenAlerts("urgent", "Urgent", 2, 0),
        ],
    )
    monkeypatch.setitem(
        facts._registry,
        "next_appointment",
        lambda patient, now: facts.UpcomingAppointment(starts_at, "iv", "induction", "x"),
    )
    page = client_for("clinician_a").get(_detail(a1)).content.decode()
    now = page[page.index('data-testid="now"') : page.index("</section>", page.index('data-testid="now"'))]
    assert page.index('data-testid="now"') < page.index('<dl class="facts">')
    assert "<strong>In the chair now:</strong> a session is under way." in now
    assert reverse("treatments:day") in now  # the run-sheets of today, where the live session is
    assert "<strong>Next dose paused until a prescriber reviews: bladder or urinary symptoms" in now
    assert '<span class="sev sev-emergency">4 Emergency</span> (1 acknowledged), ' in now
    assert '<span class="sev sev-urgent">2 Urgent</span>' in now
    assert (
        f'<a href="{reverse("checkins:staff_checkins", kwargs={"patient_id": a1.public_id})}">See the alerts</a>'
        in now
    )
    assert "Next appointment: 2026-12-08 09:00 (New York), IV ketamine infusion</li>" in now


def test_a_quiet_record_says_so(personas, client_for):
    page = client_for("clinician_a").get(_detail(personas.a1)).content.decode()
    assert 'data-testid="now-alerts">No open alerts.</li>' in page
    assert 'data-testid="now-next-appointment">Next appointment: none booked</li>' in page
    assert 'data-testid="now-in-chair"' not in page and 'data-testid="now-dose-hold"' not in page


# --- Record numbers --------------------------------------------------------------------------------


def test_a_new_patient_gets_the_clinics_next_record_number(personas, client_for):
    client = client_for("clinician_a")
    client.post(reverse("patients:new"), _form(full_name="First Numbered", email="first@example.org"))
    first = Patient.objects.get(full_name="First Numbered")
    # The personas' "MRN-A1" is not a number the clinic counts on from.
    assert first.medical_record_number == "000001"
    Patient.objects.create(
        clinic=personas.clinic_a,
        full_name="Seeded",
        date_of_birth=dt.date(1970, 1, 1),
        medical_record_number="A-000036",
    )
    Patient.objects.create(
        clinic=personas.clinic_b,
        full_name="Elsewhere",
        date_of_birth=dt.date(1970, 1, 1),
        medical_record_number="B-000099",
    )
    client.post(reverse("patients:new"), _form(full_name="Next Numbered", email="next@example.org"))
    following = Patient.objects.get(full_name="Next Numbered")
    assert following.medical_record_number == "A-000037"
    assert "<dt>Record number</dt><dd>A-000037</dd>" in client.get(_detail(following)).content.decode()
    # A number staff type is kept as typed.
    client.post(
        reverse("patients:new"),
        _form(full_name="Typed Number", email="typed@example.org", medical_record_number="EHR-77"),
    )
    assert Patient.objects.get(full_name="Typed Number").medical_record_number == "EHR-77"


def test_the_record_names_the_patients_time_zone_as_a_place(personas, client_for):
    url = reverse("patients:detail", kwargs={"patient_id": personas.a1.public_id})
    page = client_for("clinician_a").get(url).content.decode()
    assert "New York time" in page and "America/New_York" not in page
