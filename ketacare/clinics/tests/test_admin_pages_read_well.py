"""What a clinic administrator reads: no role chosen in advance, expiry on the clinic's clock, why an
invitation link stopped working, refusals without internal field names, a time-zone list without aliases."""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.accounts.models import User
from ketacare.audit.models import AccessEvent
from ketacare.clinics.forms import canonical_time_zones
from ketacare.clinics.models import Clinic, StaffInvitation
from tests.support.mail import MAIL_SERVER

pytestmark = pytest.mark.django_db
PASSWORD = "nurse password twenty26"  # noqa: S105 - test data only


def _path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


def _field_errors(page: str) -> list[str]:
    return [
        html.unescape(e) for e in re.findall(r'<span class="field-error" role="alert">([^<]*)</span>', page)
    ]


def _invite(client: Client, capture: Any, **data: Any) -> Any:
    with capture(execute=True):
        return client.post(reverse("clinics:staff_invite"), data)


def _settings_data(**overrides: str) -> dict[str, str]:
    data = {
        "time_zone": "America/New_York",
        "phone": "+1 555 0100",
        "emergency_number": "911",
        "crisis_line": "988",
    }
    return data | overrides


# --- Defect 1: the role drop-down ----------------------------------------------------------------


def test_the_invite_form_chooses_no_role_in_advance_and_a_post_without_one_writes_nothing(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    admin = login(Client(), personas.admin_a)
    page = admin.get(reverse("clinics:staff_invite")).content.decode()
    select = re.search(r'<select name="role"[^>]*>(.*?)</select>', page, re.S)
    assert select, page
    options = re.findall(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select.group(1))
    assert options[0][0] == "" and options[0][2] == "Choose a role"
    assert not any("selected" in attributes for value, attributes, _ in options if value)
    writes = AccessEvent.objects.filter(action="write").count()
    for role in (None, ""):
        data = {
            "email": "quiet@example.org",
            "full_name": "Quinn",
            "clinics": [str(personas.clinic_a.public_id)],
        }
        if role is not None:
            data["role"] = role
        response = _invite(admin, django_capture_on_commit_callbacks, **data)
        assert response.status_code == 400
        assert _field_errors(response.content.decode()) == ["Choose the role this person will have."]
    assert StaffInvitation.objects.count() == 0 and mailoutbox == []
    assert AccessEvent.objects.filter(action="write").count() == writes


# --- Defect 2: the expiry on the clinic's clock ----------------------------------------------------


def test_the_invitation_expiry_is_told_on_the_clinics_clock_like_the_staff_list(
    personas, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = MAIL_SERVER  # e-mail set up: the message says "sent"
    # 03:00 UTC on 7 December: the link ends 48 hours later, 22:00 on 8 December in New York.
    with time_machine.travel(dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC), tick=False):
        admin = login(Client(), personas.admin_a)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(
                reverse("clinics:staff_invite"),
                {
                    "email": "clock@example.org",
                    "role": "nurse",
                    "clinics": [str(personas.clinic_a.public_id)],
                },
                follow=True,
            )
    page = response.content.decode()
    assert "Invitation sent to clock@example.org. The link works once, until Tue 8 Dec 2026, 22:00." in page
    assert "Pending until Tue 8 Dec 2026, 22:00" in page
    assert "UTC" not in page and "2026-12-09" not in page


# --- Defect 3: a link that was replaced or withdrawn -----------------------------------------------


def _two_invitations(personas: Any, mailoutbox: Any, capture: Any) -> tuple[str, str]:
    admin = login(Client(), personas.admin_a)
    for role in ("nurse", "prescriber"):
        _invite(
            admin, capture, email="twice@example.org", role=role, clinics=[str(personas.clinic_a.public_id)]
        )
    first, second = (_path(m.body) for m in mailoutbox)
    return first, second


def test_a_replaced_invitation_link_says_a_newer_one_was_sent_not_that_it_expired(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = _two_invitations(personas, mailoutbox, django_capture_on_commit_callbacks)
    refused = Client().post(first, {"full_name": "Twice", "password": PASSWORD, "confirm": PASSWORD})
    page = refused.content.decode()
    assert refused.status_code == 410
    assert "This invitation was replaced by a newer one" in page
    assert "Open the link in the latest invitation e-mail." in page
    assert "expired" not in page.lower() and "withdrawn" not in page.lower()
    assert "Nothing was changed." in page
    assert not User.objects.filter(email="twice@example.org").exists()
    assert Client().get(second).status_code == 200


def test_a_withdrawn_invitation_link_says_it_was_withdrawn(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    admin = login(Client(), personas.admin_a)
    _invite(
        admin,
        django_capture_on_commit_callbacks,
        email="gone@example.org",
        role="nurse",
        clinics=[str(personas.clinic_a.public_id)],
    )
    StaffInvitation.objects.update(revoked_at=timezone.now())  # taken back, no newer invitation
    refused = Client().get(_path(mailoutbox[0].body))
    page = refused.content.decode()
    assert refused.status_code == 410
    assert "This invitation was withdrawn" in page
    assert "expired" not in page.lower() and "replaced" not in page.lower()


# --- Defect 4: refusals worded for a person --------------------------------------------------------


def test_a_bad_emergency_number_is_refused_under_its_field_without_the_internal_name(personas):
    admin = login(Client(), personas.admin_a)
    response = admin.post(reverse("clinics:settings"), _settings_data(emergency_number="call 911!"))
    assert response.status_code == 400
    page = response.content.decode()
    assert _field_errors(page) == ["May hold digits, spaces and + - ( ) . / only (e.g. +1 555 0100)"]
    block = page.split('name="emergency_number"', 1)[1].split('<p class="field', 1)[0]
    assert "May hold digits" in block  # under the Emergency number field
    assert "emergency_number may" not in page
    assert Clinic.objects.get(pk=personas.clinic_a.pk).emergency_number == "911"


def test_an_emergency_number_longer_than_any_telephone_number_is_refused(personas):
    admin = login(Client(), personas.admin_a)
    response = admin.post(
        reverse("clinics:settings"), _settings_data(emergency_number="12345678901234567890")
    )
    assert response.status_code == 400
    assert _field_errors(response.content.decode()) == [
        "Has 20 digits: a telephone number has 2 to 15 (e.g. 911 or +1 555 0100)"
    ]
    assert Clinic.objects.get(pk=personas.clinic_a.pk).emergency_number == "911"
    fifteen = admin.post(reverse("clinics:settings"), _settings_data(emergency_number="+44 20 7946 0958 12"))
    assert fifteen.status_code == 302


def test_bad_e_mail_addresses_on_the_invite_form_read_without_the_field_name(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    admin = login(Client(), personas.admin_a)
    clinic_a = str(personas.clinic_a.public_id)
    cases = [
        ("not-an-address", "Enter an e-mail address, such as name@example.org."),
        (
            "patient.a1@example.org",
            "This address belongs to a patient's account; staff need their own address",
        ),
        (
            "clinician.a@example.org",
            "clinician.a@example.org is already staff at Clinic A; change the role or reactivate them on the "
            "staff page instead",
        ),
    ]
    for email, message in cases:
        response = _invite(
            admin, django_capture_on_commit_callbacks, email=email, role="nurse", clinics=[clinic_a]
        )
        assert response.status_code == 400
        assert _field_errors(response.content.decode()) == [message], email
    assert StaffInvitation.objects.count() == 0 and mailoutbox == []


def test_without_a_clinic_the_invite_form_says_so_in_words(personas, django_capture_on_commit_callbacks):
    admin = login(Client(), personas.admin_a)
    response = _invite(admin, django_capture_on_commit_callbacks, email="c@example.org", role="nurse")
    assert _field_errors(response.content.decode()) == ["Choose at least one clinic."]


# --- Defect 5: the time-zone list ------------------------------------------------------------------


def _zone_options(page: str) -> list[tuple[str, bool]]:
    select = re.search(r'<select name="time_zone"[^>]*>(.*?)</select>', page, re.S)
    assert select, page
    return [
        (value, "selected" in rest)
        for value, rest in re.findall(r'<option value="([^"]*)"([^>]*)>', select.group(1))
    ]


def test_the_time_zone_list_offers_canonical_zones_only_sorted(personas):
    page = login(Client(), personas.admin_a).get(reverse("clinics:settings")).content.decode()
    options = _zone_options(page)
    zones = [value for value, _ in options]
    assert zones == sorted(zones) and len(zones) == len(set(zones))
    assert ("America/New_York", True) in options
    for canonical in ("UTC", "Africa/Asmara", "Asia/Kolkata", "Europe/Kyiv", "Europe/Berlin", "Europe/Oslo"):
        assert canonical in zones
    for alias in (
        "Africa/Asmera",
        "Asia/Calcutta",
        "Europe/Kiev",
        "US/Eastern",
        "GMT+0",
        "Factory",
        "localtime",
    ):
        assert alias not in zones
    assert len(zones) < 500 and set(zones) <= zoneinfo.available_timezones()
    assert tuple(zones) == canonical_time_zones()


def test_a_clinic_on_a_legacy_zone_keeps_it_and_can_save(personas):
    Clinic.objects.filter(pk=personas.clinic_a.pk).update(time_zone="US/Eastern")
    admin = login(Client(), personas.admin_a)
    options = _zone_options(admin.get(reverse("clinics:settings")).content.decode())
    assert ("US/Eastern", True) in options and "US/Central" not in [value for value, _ in options]
    assert admin.post(reverse("clinics:settings"), _settings_data(time_zone="US/Eastern")).status_code == 302
    assert Clinic.objects.get(pk=personas.clinic_a.pk).time_zone == "US/Eastern"
    # Another alias is not offered, so it is refused.
    refused = admin.post(reverse("clinics:settings"), _settings_data(time_zone="Africa/Asmera"))
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    assert admin.post(reverse("clinics:settings"), _settings_data(time_zone="Europe/Oslo")).status_code == 302
    assert Clinic.objects.get(pk=personas.clinic_a.pk).time_zone == "Europe/Oslo"
