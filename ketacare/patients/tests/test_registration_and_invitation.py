"""Registering a patient (duplicate warning), corrections kept with their old value, archiving, and the
invitation to the patient app (e-mail, expiry, single use, re-send), by page and by API."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.accounts.models import User
from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffMembership
from ketacare.patients.models import Patient, PatientChange, PatientInvitation
from ketacare.patients.services import invite_patient, register_patient
from tests.support.mail import MAIL_SERVER

pytestmark = pytest.mark.django_db
PATIENT_PASSWORD = "my own password"  # noqa: S105 - test data only


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "full_name": "Maria Lopez",
        "preferred_name": "Mari",
        "date_of_birth": "1984-06-01",
        "sex": "female",
        "email": "maria.lopez@example.org",
        "phone": "+1 555 0142",
        "time_zone": "America/New_York",
        "emergency_contact_name": "Luis Lopez",
        "emergency_contact_phone": "+1 555 0143",
        "medical_record_number": "",
    }
    return data | overrides


def _path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


def _nurse(personas: Any) -> Any:
    user = User.objects.create_user("nurse.a@example.org", None, full_name="Nora Nurse")
    StaffMembership.objects.create(user=user, clinic=personas.clinic_a, role="nurse")
    return user


def test_a_nurse_registers_a_patient_who_lands_in_intake(personas):
    nurse = _nurse(personas)
    client = login(Client(), nurse)
    page = client.get(reverse("patients:new"))
    assert page.status_code == 200 and b'value="America/New_York" selected' in page.content
    response = client.post(reverse("patients:new"), _form())
    patient = Patient.objects.get(full_name="Maria Lopez")
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:page", kwargs={"patient_id": patient.public_id})
    assert (patient.clinic, patient.created_by, patient.stage, patient.sex) == (
        personas.clinic_a,
        nurse,
        "screening",
        "female",
    )
    assert (patient.preferred_name, patient.emergency_contact_name) == ("Mari", "Luis Lopez")
    row = AccessEvent.objects.filter(patient_public_id=str(patient.public_id)).get()
    assert (row.action, row.outcome, row.user_email) == ("write", "granted", "nurse.a@example.org")


def test_the_time_zone_defaults_to_the_clinics(personas):
    patient = register_patient(
        clinic=personas.clinic_b,
        by=personas.clinician_b,
        full_name="Jonas",
        date_of_birth="1990-01-01",
        sex="male",
        phone="+49 30 1234",
    )
    assert patient.time_zone == "Europe/Berlin"


def test_a_same_name_same_birthday_patient_is_a_warning_that_must_be_confirmed(personas):
    client = login(Client(), personas.clinician_a)
    data = _form(full_name="alice  canarya1", date_of_birth="1980-05-17")
    warned = client.post(reverse("patients:new"), data)
    assert warned.status_code == 400
    assert b'data-testid="duplicate-warning"' in warned.content and b"Alice CanaryA1" in warned.content
    assert b"register anyway" in warned.content
    assert Patient.objects.filter(clinic=personas.clinic_a).count() == 2
    confirmed = client.post(reverse("patients:new"), data | {"confirm_duplicate": "on"})
    assert confirmed.status_code == 302
    assert Patient.objects.filter(clinic=personas.clinic_a).count() == 3


def test_a_namesake_in_another_clinic_is_not_a_duplicate(personas):
    client = login(Client(), personas.clinician_a)
    response = client.post(
        reverse("patients:new"), _form(full_name="Berta CanaryB1", date_of_birth="1980-05-17")
    )
    assert response.status_code == 302  # no warning: clinic B's patient is not looked at, nor shown
    assert Patient.objects.filter(full_name="Berta CanaryB1").count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"full_name": ""}, "This field is required"),
        ({"date_of_birth": "1984-13-01"}, "Enter a real date: day, month and year."),
        ({"date_of_birth": "2999-01-01"}, "Must be from 1900-01-01 to today"),
        ({"date_of_birth": "1850-01-01"}, "Must be from 1900-01-01 to today"),
        ({"sex": "x"}, "Select a valid choice"),
        ({"email": "", "phone": ""}, "Give an e-mail address or a phone number (or both)."),
        ({"email": "maria@"}, "Enter an e-mail address, such as name@example.org."),
        ({"phone": "call me maybe"}, "May hold digits, spaces"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"full_name": "x" * 201}, "at most 200 characters"),
    ],
)
def test_bad_input_names_the_field_and_registers_nobody(personas, overrides, message):
    client = login(Client(), personas.clinician_a)
    response = client.post(reverse("patients:new"), _form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Patient.objects.count() == 3


def test_corrections_keep_the_old_value_and_are_audited(personas):
    patient = personas.a1
    client = login(Client(), personas.clinician_a)
    form = _form(full_name="Alice CanaryA1", date_of_birth="1980-05-17", email="alice.new@example.org")
    response = client.post(reverse("patients:edit", kwargs={"patient_id": patient.public_id}), form)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.email == "alice.new@example.org" and patient.preferred_name == "Mari"
    changes = {c.field: (c.old_value, c.new_value) for c in PatientChange.objects.filter(patient=patient)}
    assert changes["email"] == ("", "alice.new@example.org")
    assert changes["sex"] == ("unknown", "female")
    assert "full_name" not in changes and "date_of_birth" not in changes  # unchanged
    [row] = AccessEvent.objects.filter(patient_public_id=str(patient.public_id), action="write")
    assert {c.request_id for c in PatientChange.objects.filter(patient=patient)} == {row.request_id}
    page = client.get(reverse("patients:detail", kwargs={"patient_id": patient.public_id})).content.decode()
    assert "Corrections" in page and "alice.new@example.org" in page
    # The patient's own account follows a corrected preferred name.
    patient.user.refresh_from_db()
    assert patient.user.full_name == "Mari"


def test_a_bad_correction_changes_nothing(personas):
    patient = personas.a1
    client = login(Client(), personas.clinician_a)
    response = client.post(
        reverse("patients:edit", kwargs={"patient_id": patient.public_id}),
        _form(full_name="Alice CanaryA1", date_of_birth="not a date"),
    )
    assert response.status_code == 400
    assert not PatientChange.objects.exists()
    patient.refresh_from_db()
    assert patient.email == ""


def test_archived_patients_leave_the_list_keep_their_data_and_come_back(personas):
    client = login(Client(), personas.clinician_a)
    url = reverse("patients:archive", kwargs={"patient_id": personas.a2.public_id})
    archived_page = client.post(url, {"reason": "Treatment finished"}, follow=True)
    # The redirect shows (and uses up) the confirmation message.
    assert b"Arthur CanaryA2 is archived: off the lists" in archived_page.content
    listing = client.get(reverse("patients:list")).content
    assert b"CanaryA2" not in listing and b"CanaryA1" in listing
    archived = client.get(reverse("patients:list"), {"archived": "1"}).content
    assert b"CanaryA2" in archived and b"CanaryA1" not in archived
    detail = client.get(reverse("patients:detail", kwargs={"patient_id": personas.a2.public_id}))
    assert detail.status_code == 200 and b'data-testid="archived"' in detail.content
    api = client.get("/api/v1/patients").json()
    assert [p["full_name"] for p in api["results"]] == ["Alice CanaryA1"]
    client.post(reverse("patients:restore", kwargs={"patient_id": personas.a2.public_id}))
    assert b"CanaryA2" in client.get(reverse("patients:list")).content


def test_the_patient_invitation_is_sent_accepted_once_and_staff_see_it(
    personas, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = MAIL_SERVER  # e-mail set up: the page says "sent"
    nurse = login(Client(), _nurse(personas))
    nurse.post(reverse("patients:new"), _form())
    patient = Patient.objects.get(full_name="Maria Lopez")
    detail_url = reverse("patients:detail", kwargs={"patient_id": patient.public_id})
    assert b"Not invited yet" in nurse.get(detail_url).content
    with django_capture_on_commit_callbacks(execute=True):
        nurse.post(reverse("patients:invite", kwargs={"patient_id": patient.public_id}))
    [message] = mailoutbox
    assert message.to == ["maria.lopez@example.org"]
    # The clinic and the service are named, with the clinic's phone to check the message is genuine.
    assert message.subject == "Clinic A: set up your KetaCare account"
    assert "Clinic A has invited you to set up your account on KetaCare" in message.body
    assert "call the clinic on +1 555 0100" in message.body
    # No health information: not the name, the treatment or a date of birth.
    for word in (
        "Maria",
        "Lopez",
        "ketamine",
        "Ketamine",
        "1984",
        "therapy",
        "depress",
    ):
        assert word not in message.body
    assert not message.alternatives and len(message.body) < 500
    assert b"Sent, not yet accepted" in nurse.get(detail_url).content

    link = _path(message.body)
    phone = Client()
    page = phone.get(link)
    assert page.status_code == 200 and b"maria.lopez@example.org" in page.content
    mismatch = phone.post(link, {"password": PATIENT_PASSWORD, "confirm": "something else"})
    assert mismatch.status_code == 400 and b"The two passwords differ" in mismatch.content
    done = phone.post(link, {"password": PATIENT_PASSWORD, "confirm": PATIENT_PASSWORD})
    assert done.status_code == 200 and b"Your account is ready" in done.content
    patient.refresh_from_db()
    assert patient.user is not None and patient.user.check_password(PATIENT_PASSWORD)
    assert patient.user.full_name == "Mari"
    assert phone.get(reverse("companion:home")).status_code == 200
    assert b"Account active" in nurse.get(detail_url).content
    reused = Client().post(link, {"password": "another password", "confirm": "another password"})
    assert reused.status_code == 410 and b"already been used" in reused.content
    assert User.objects.filter(email="maria.lopez@example.org").count() == 1


def test_sending_again_replaces_the_first_link(personas, mailoutbox, django_capture_on_commit_callbacks):
    patient = register_patient(
        clinic=personas.clinic_a,
        by=personas.clinician_a,
        full_name="Re Sent",
        date_of_birth="1990-02-02",
        sex="other",
        email="re.sent@example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        invite_patient(patient=patient, by=personas.clinician_a, base_url="http://testserver")
        invite_patient(patient=patient, by=personas.clinician_a, base_url="http://testserver")
    first, second = (_path(m.body) for m in mailoutbox)
    refused = Client().post(first, {"password": PATIENT_PASSWORD, "confirm": PATIENT_PASSWORD})
    # Said as it is: replaced by the newer e-mail, not "expired".
    assert refused.status_code == 410 and b"This invitation was replaced by a newer one" in refused.content
    assert b"expired" not in refused.content
    assert Client().get(second).status_code == 200
    assert PatientInvitation.objects.filter(patient=patient, revoked_at__isnull=False).count() == 1


def test_an_expired_or_tampered_patient_link_changes_nothing(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    patient = register_patient(
        clinic=personas.clinic_a,
        by=personas.clinician_a,
        full_name="Late Comer",
        date_of_birth="1990-02-02",
        sex="other",
        email="late@example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        invite_patient(patient=patient, by=personas.clinician_a, base_url="http://testserver")
    link = _path(mailoutbox[0].body)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=49)):
        expired = Client().post(link, {"password": PATIENT_PASSWORD, "confirm": PATIENT_PASSWORD})
    assert expired.status_code == 410 and b"This link has expired" in expired.content
    tampered = Client().post(link[:-3] + "zz/", {"password": PATIENT_PASSWORD, "confirm": PATIENT_PASSWORD})
    assert tampered.status_code == 404 and b"This link is not valid" in tampered.content
    patient.refresh_from_db()
    assert patient.user is None and not User.objects.filter(email="late@example.org").exists()


def test_an_invitation_needs_an_email_and_no_account_yet(personas):
    client = login(Client(), personas.clinician_a)
    no_email = register_patient(
        clinic=personas.clinic_a,
        by=personas.clinician_a,
        full_name="Phone Only",
        date_of_birth="1990-02-02",
        sex="other",
        phone="+1 555 0100",
    )
    response = client.post(reverse("patients:invite", kwargs={"patient_id": no_email.public_id}), follow=True)
    assert b"E-mail: the patient has no e-mail address" in response.content
    response = client.post(
        reverse("patients:invite", kwargs={"patient_id": personas.a1.public_id}), follow=True
    )
    assert b"already has an account" in response.content
    assert not PatientInvitation.objects.exists()


def test_a_patient_cannot_reach_staff_patient_routes_even_for_themself(personas):
    client = login(Client(), personas.a1.user)
    for name in ("patients:edit", "patients:archive", "patients:restore", "patients:invite"):
        url = reverse(name, kwargs={"patient_id": personas.a1.public_id})
        assert client.post(url, _form()).status_code == 404, name
    assert client.get(reverse("patients:new")).status_code == 404
    personas.a1.refresh_from_db()
    assert personas.a1.archived_at is None and personas.a1.email == ""


# --- API -----------------------------------------------------------------------------------------------


def _json(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_the_api_registers_a_patient_with_the_same_duplicate_rule(personas):
    client = login(Client(), personas.clinician_a)
    body = {
        "full_name": "Api Patient",
        "date_of_birth": "1970-01-01",
        "sex": "male",
        "email": "api@example.org",
    }
    created = _json(client, "/api/v1/patients", body)
    assert created.status_code == 201
    data = created.json()
    assert data["stage"] == "screening" and data["clinic_public_id"] == str(personas.clinic_a.public_id)
    assert data["time_zone"] == "America/New_York" and data["archived"] is False
    again = _json(client, "/api/v1/patients", body)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "full_name"
    assert _json(client, "/api/v1/patients", body | {"confirm_duplicate": True}).status_code == 201
    bad = _json(client, "/api/v1/patients", body | {"date_of_birth": "1899-12-31"})
    assert bad.status_code == 422 and "date_of_birth must be from 1900-01-01" in bad.json()["detail"]
    assert Patient.objects.filter(full_name="Api Patient").count() == 2


def test_the_api_invites_a_patient_and_refuses_other_clinics_and_patients(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    patient = register_patient(
        clinic=personas.clinic_a,
        by=personas.clinician_a,
        full_name="Api Invitee",
        date_of_birth="1990-02-02",
        sex="other",
        email="invitee@example.org",
    )
    path = f"/api/v1/patients/{patient.public_id}/invitation"
    assert _json(login(Client(), personas.clinician_b), path, {}).status_code == 404
    assert _json(login(Client(), personas.a1.user), path, {}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = _json(login(Client(), personas.clinician_a), path, {})
    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert "token" not in json.dumps(response.json()) and len(mailoutbox) == 1


def test_the_api_lists_staff_and_invites_for_administrators_only(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    admin = login(Client(), personas.admin_a)
    staff = admin.get("/api/v1/staff").json()["results"]
    assert {(s["email"], s["role"]) for s in staff} == {
        ("admin.a@example.org", "clinic_admin"),
        ("clinician.a@example.org", "prescriber"),
    }
    assert login(Client(), personas.clinician_a).get("/api/v1/staff").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        invited = _json(
            admin, "/api/v1/staff/invitations", {"email": "api.nurse@example.org", "role": "nurse"}
        )
    assert invited.status_code == 201
    assert invited.json()["clinics"] == [str(personas.clinic_a.public_id)] and len(mailoutbox) == 1
    other_clinic = _json(
        admin,
        "/api/v1/staff/invitations",
        {"email": "b@example.org", "role": "nurse", "clinics": [str(personas.clinic_b.public_id)]},
    )
    assert other_clinic.status_code == 403 and other_clinic.json()["errors"][0]["field"] == "clinics"
    bad_role = _json(admin, "/api/v1/staff/invitations", {"email": "c@example.org", "role": "owner"})
    assert bad_role.status_code == 422 and "role 'owner' is not one of" in bad_role.json()["detail"]
    clinician = _json(
        login(Client(), personas.clinician_a),
        "/api/v1/staff/invitations",
        {"email": "d@example.org", "role": "clinic_admin"},
    )
    assert clinician.status_code == 404
    assert len(mailoutbox) == 1


def test_the_summary_shows_the_sign_in_e_mail_of_a_patient_without_a_contact_address(personas):
    patient = personas.a1
    assert patient.email == "" and patient.user.email == "patient.a1@example.org"
    client = login(Client(), personas.clinician_a)
    url = reverse("patients:detail", kwargs={"patient_id": patient.public_id})
    page = client.get(url).content.decode()
    assert re.search(
        r'data-testid="email">patient\.a1@example\.org <span class="muted">\(patient app sign-in\)', page
    )
    Patient.objects.filter(pk=patient.pk).update(email="alice@example.org")
    assert 'data-testid="email">alice@example.org</dd>' in client.get(url).content.decode()
    Patient.objects.filter(pk=patient.pk).update(user=None)
    assert 'data-testid="email">alice@example.org</dd>' in client.get(url).content.decode()
    Patient.objects.filter(pk=patient.pk).update(email="", phone="+1 555 0142")
    assert 'data-testid="email">—</dd>' in client.get(url).content.decode()
