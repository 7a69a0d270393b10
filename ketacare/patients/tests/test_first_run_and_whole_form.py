"""A new clinic as its first administrator finds it, the new-patient form's errors all at once, and a
patient who opens their own used invitation link while signed in."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.accounts.models import User
from ketacare.clinics.hours import parse_opening_hours
from ketacare.clinics.models import StaffMembership
from ketacare.clinics.services import set_up_installation
from ketacare.patients.models import Patient, PatientInvitation
from ketacare.patients.services import accept_patient_invitation, invite_patient, register_patient

pytestmark = pytest.mark.django_db
PATIENTS = "/clinic/patients/"
PATIENT_PASSWORD = "my own password"  # noqa: S105 - test data only


def _text(response: Any) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


def _new_installation() -> Any:
    """What `ketacare setup` leaves: one clinic, its administrator, no patients."""
    return set_up_installation(
        organisation_name="Bright Path Health",
        clinic_name="Bright Path Boston",
        time_zone="America/New_York",
        phone="+1 617 555 0100",
        opening_hours=parse_opening_hours("Mon-Fri 08:00-18:00"),
        admin_email="ada@brightpath.example",
        admin_name="Ada Admin",
        admin_password="first admin password 2026",  # noqa: S106 - test data only
    )


# --- The first administrator's empty patient list --------------------------------------------------


def test_the_first_administrator_is_told_what_to_do_first_with_links():
    setup = _new_installation()
    page = login(Client(), setup.admin).get(PATIENTS)
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-testid="first-run"' in content
    text = _text(page)
    assert "No patients yet at this clinic. First steps for Bright Path Boston:" in text
    assert "Check the opening hours and the numbers patients see (Clinic settings)" in text
    assert "Invite your team (Staff): each prescriber and nurse gets an e-mail" in text
    assert "Register the first patient : intake comes next" in text
    section = content[content.index('data-testid="first-run"') :]
    links = re.findall(r'href="([^"]+)"', section[: section.index("</section>")])
    assert links == [reverse("clinics:settings"), reverse("clinics:staff"), reverse("patients:new")]


def test_once_the_clinic_has_a_patient_archived_or_not_the_guidance_is_gone():
    setup = _new_installation()
    client = login(Client(), setup.admin)
    patient = register_patient(
        clinic=setup.clinic, by=setup.admin, full_name="First Patient", date_of_birth="1990-01-01",
        sex="female", phone="+1 617 555 0111",
    )  # fmt: skip
    assert 'data-testid="first-run"' not in client.get(PATIENTS).content.decode()
    Patient.objects.filter(pk=patient.pk).update(archived_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    page = client.get(PATIENTS)
    assert 'data-testid="first-run"' not in page.content.decode()
    assert "No patients yet at this clinic." in _text(page)


def test_a_clinician_at_a_clinic_with_no_patients_is_asked_to_add_the_first():
    setup = _new_installation()
    nurse = User.objects.create_user("nora@brightpath.example", None, full_name="Nora Nurse")
    StaffMembership.objects.create(user=nurse, clinic=setup.clinic, role="nurse")
    page = login(Client(), nurse).get(PATIENTS)
    assert 'data-testid="first-run"' not in page.content.decode()
    assert "No patients yet at this clinic. Register the first one" in _text(page)
    assert f'href="{reverse("patients:new")}">Register the first one' in page.content.decode()


def test_a_search_with_no_match_is_not_taken_for_a_new_clinic():
    setup = _new_installation()
    page = login(Client(), setup.admin).get(PATIENTS + "?q=zzz")
    assert 'data-testid="first-run"' not in page.content.decode() and "No patients match" in _text(page)


# --- The new-patient form: every problem at once ---------------------------------------------------


def _errors(response: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    content = response.content.decode()
    for block in re.findall(r'<p class="field has-error">(.*?)</p>', content, flags=re.S):
        name = re.search(r'name="([^"]+)"', block).group(1)  # type: ignore[union-attr]
        found[name] = [html.unescape(e) for e in re.findall(r'role="alert">(.*?)</span>', block)]
    return found


def test_a_future_birth_date_and_no_contact_details_are_both_shown_at_once(personas):
    form = {
        "full_name": "Maria Lopez",
        "date_of_birth": "2031-04-01",
        "sex": "female",
        "email": "",
        "phone": "",
        "time_zone": "America/New_York",
        "emergency_contact_phone": "call my sister",
    }
    response = login(Client(), personas.clinician_a).post(reverse("patients:new"), form)
    assert response.status_code == 400
    errors = _errors(response)
    assert set(errors) == {"date_of_birth", "email", "emergency_contact_phone"}
    assert errors["email"] == ["Give an e-mail address or a phone number (or both)."]
    assert errors["date_of_birth"][0].startswith("Must be from 1900-01-01 to today (")
    assert errors["emergency_contact_phone"][0].startswith("May hold digits, spaces")
    assert not Patient.objects.filter(full_name="Maria Lopez").exists()


def test_a_correction_shows_its_problems_at_once_too(personas):
    patient = personas.a1
    form = {
        "full_name": patient.full_name,
        "date_of_birth": "2031-04-01",
        "sex": "female",
        "email": patient.email,
        "phone": "not a phone",
        "time_zone": patient.time_zone,
    }
    url = reverse("patients:edit", kwargs={"patient_id": patient.public_id})
    response = login(Client(), personas.clinician_a).post(url, form)
    assert response.status_code == 400
    assert {"date_of_birth", "phone"} <= set(_errors(response))


# --- A used invitation opened by its own patient -----------------------------------------------------


def _invited(personas: Any, mailoutbox: Any, capture: Any) -> tuple[Patient, str]:
    patient = register_patient(
        clinic=personas.clinic_a, by=personas.clinician_a, full_name="Maria Lopez",
        date_of_birth="1984-06-01", sex="female", email="maria.lopez@example.org",
    )  # fmt: skip
    with capture(execute=True):
        invite_patient(patient=patient, by=personas.clinician_a, base_url="http://testserver")
    link = re.search(r"https?://[^/\s]+(/\S+)", mailoutbox[-1].body).group(1)  # type: ignore[union-attr]
    return patient, link


def test_the_patient_who_used_the_link_is_told_so_and_sent_home(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    patient, link = _invited(personas, mailoutbox, django_capture_on_commit_callbacks)
    invitation = PatientInvitation.objects.get(patient=patient)
    user = accept_patient_invitation(
        invitation=invitation, password=PATIENT_PASSWORD, confirm=PATIENT_PASSWORD
    )
    response = login(Client(), user).get(link)
    assert response.status_code == 200
    text = _text(response)
    assert "This invitation has been used" in text
    assert "You accepted it and chose your password" in text and "Nothing was changed." in text
    assert "Log out, then open the link again" not in text
    assert f'href="{reverse("home")}"' in response.content.decode() and "Go to your home page" in text


def test_an_older_link_of_a_patient_with_an_account_says_they_have_it(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    patient, first = _invited(personas, mailoutbox, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        invite_patient(patient=patient, by=personas.clinician_a, base_url="http://testserver")
    invitation = PatientInvitation.objects.get(patient=patient, revoked_at__isnull=True)
    user = accept_patient_invitation(
        invitation=invitation, password=PATIENT_PASSWORD, confirm=PATIENT_PASSWORD
    )
    text = _text(login(Client(), user).get(first))
    assert "You already have your account" in text and "Go to your home page" in text


def test_someone_else_signed_in_is_still_asked_to_log_out(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    patient, link = _invited(personas, mailoutbox, django_capture_on_commit_callbacks)
    invitation = PatientInvitation.objects.get(patient=patient)
    accept_patient_invitation(invitation=invitation, password=PATIENT_PASSWORD, confirm=PATIENT_PASSWORD)
    for other in (personas.a1.user, personas.clinician_a):
        response = login(Client(), other).get(link)
        assert response.status_code == 403
        assert "is for the person it was sent to. Log out, then open the link again." in _text(response)
