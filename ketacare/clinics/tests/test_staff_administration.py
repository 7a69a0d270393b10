"""Staff administration: invitations (e-mail, expiry, single use), roles, deactivation, second-factor
reset, the last-administrator rule, and the clinic settings page (docs/decisions/0011)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import login
from ketacare.accounts.models import User
from ketacare.accounts.services import issue_recovery_codes
from ketacare.audit.models import AccessEvent
from ketacare.clinics.hours import Interval
from ketacare.clinics.models import Clinic, StaffInvitation, StaffMembership
from ketacare.clinics.selectors import clinic_contact, escalation_recipient
from ketacare.clinics.services import deactivate_staff, invite_staff
from ketacare.lib.errors import ConflictError, NotPermitted

pytestmark = pytest.mark.django_db
PASSWORD = "nurse password twenty26"  # noqa: S105 - test data only


def _path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


def _invite(client: Client, capture: Any, **data: Any) -> Any:
    with capture(execute=True):
        return client.post(reverse("clinics:staff_invite"), data)


def _nurse(personas: Any, email: str = "nurse.a@example.org") -> User:
    user = User.objects.create_user(email, None, full_name="Nora Nurse")
    StaffMembership.objects.create(user=user, clinic=personas.clinic_a, role="nurse")
    return user


def test_an_admin_invites_a_nurse_who_sets_a_password_then_must_enrol_totp(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    admin = login(Client(), personas.admin_a)
    response = _invite(
        admin,
        django_capture_on_commit_callbacks,
        email="New.Nurse@Example.org",
        full_name="Nina New",
        role="nurse",
        clinics=[str(personas.clinic_a.public_id)],
    )
    assert response.status_code == 302
    [message] = mailoutbox
    assert message.to == ["new.nurse@example.org"] and message.subject == "Your KetaCare staff invitation"
    assert "Clinic A" in message.body and "as nurse" in message.body and "48 hours" in message.body
    assert not message.alternatives and len(message.body) < 700
    assert "Canary" not in message.body  # no patient in a staff invitation either
    link = _path(message.body)
    invitation = StaffInvitation.objects.get()
    assert invitation.token_digest not in link  # only the digest is stored

    staff_page = admin.get(reverse("clinics:staff"))
    assert b"new.nurse@example.org" in staff_page.content and b"Pending" in staff_page.content

    visitor = Client()
    page = visitor.get(link)
    assert page.status_code == 200 and b"Join Clinic A" in page.content
    short = visitor.post(link, {"full_name": "Nina New", "password": "eleven char", "confirm": "eleven char"})
    assert short.status_code == 400 and b"at least 12 are required" in short.content
    assert not User.objects.filter(email="new.nurse@example.org").exists()
    done = visitor.post(link, {"full_name": "Nina New", "password": PASSWORD, "confirm": PASSWORD})
    assert done.status_code == 200 and b"Set up my authenticator app" in done.content
    user = User.objects.get(email="new.nurse@example.org")
    assert user.check_password(PASSWORD) and user.full_name == "Nina New"
    assert StaffMembership.objects.get(user=user).role == "nurse"
    # Signed in, but nothing before the second factor: every page leads to enrolment.
    blocked = visitor.get(reverse("patients:list"))
    assert blocked.status_code == 302 and blocked["Location"] == reverse("accounts:mfa")
    assert b"Set up your authenticator app" in visitor.get(reverse("accounts:mfa")).content
    # The link worked once.
    reused = Client().post(link, {"full_name": "X", "password": PASSWORD, "confirm": PASSWORD})
    assert reused.status_code == 410 and b"already been used" in reused.content
    assert User.objects.filter(email="new.nurse@example.org").count() == 1


def test_an_expired_invitation_gets_its_own_page_and_creates_nobody(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    admin = login(Client(), personas.admin_a)
    _invite(
        admin,
        django_capture_on_commit_callbacks,
        email="late@example.org",
        role="prescriber",
        clinics=[str(personas.clinic_a.public_id)],
    )
    link = _path(mailoutbox[0].body)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=48, minutes=1)):
        response = Client().post(link, {"full_name": "Late", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 410 and b"This link has expired" in response.content
    assert not User.objects.filter(email="late@example.org").exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t[:20],
        lambda t: t + "x",
        lambda t: "x" * 43,
    ],
    ids=["one-character", "truncated", "extended", "made-up"],
)
def test_a_tampered_invitation_link_is_not_valid_and_creates_nobody(
    personas, mailoutbox, django_capture_on_commit_callbacks, tamper
):
    admin = login(Client(), personas.admin_a)
    _invite(
        admin,
        django_capture_on_commit_callbacks,
        email="t@example.org",
        role="nurse",
        clinics=[str(personas.clinic_a.public_id)],
    )
    token = _path(mailoutbox[0].body).rstrip("/").rsplit("/", 1)[1]
    url = reverse("accounts:staff_invitation", kwargs={"token": tamper(token)})
    response = Client().post(url, {"full_name": "T", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 404 and b"This link is not valid" in response.content
    assert not User.objects.filter(email="t@example.org").exists()
    assert StaffInvitation.objects.get().accepted_at is None


def test_a_newer_invitation_replaces_the_pending_one(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    admin = login(Client(), personas.admin_a)
    for role in ("nurse", "prescriber"):
        _invite(
            admin,
            django_capture_on_commit_callbacks,
            email="twice@example.org",
            role=role,
            clinics=[str(personas.clinic_a.public_id)],
        )
    first, second = (_path(m.body) for m in mailoutbox)
    refused = Client().get(first)
    assert refused.status_code == 410 and b"This invitation was replaced by a newer one" in refused.content
    assert b"expired" not in refused.content
    assert Client().get(second).status_code == 200


def test_a_signed_in_visitor_cannot_use_an_invitation(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    admin = login(Client(), personas.admin_a)
    _invite(
        admin,
        django_capture_on_commit_callbacks,
        email="x@example.org",
        role="nurse",
        clinics=[str(personas.clinic_a.public_id)],
    )
    response = admin.post(
        _path(mailoutbox[0].body), {"full_name": "X", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 403 and b"Log out, then open the link again" in response.content
    assert StaffInvitation.objects.get().accepted_at is None


def test_an_existing_staff_account_joins_another_clinic_with_its_own_password(
    personas, django_capture_on_commit_callbacks
):
    # Clinician B (clinic B) invited to clinic A by admin A.
    personas.clinician_b.set_password("clinician b password 1")
    personas.clinician_b.save()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite_staff(
            by=personas.admin_a,
            clinics=[personas.clinic_a],
            email="clinician.b@example.org",
            role="prescriber",
            base_url="http://testserver",
        )
    from ketacare.accounts.tokens import new_token

    token, digest = new_token()
    StaffInvitation.objects.filter(pk=invitation.pk).update(token_digest=digest)
    url = reverse("accounts:staff_invitation", kwargs={"token": token})
    page = Client().get(url)
    assert b"already has a KetaCare account" in page.content
    wrong = Client().post(url, {"password": "not the password 1"})
    assert (
        wrong.status_code == 400 and b"Type the password of your existing KetaCare account" in wrong.content
    )
    assert not StaffMembership.objects.filter(user=personas.clinician_b, clinic=personas.clinic_a).exists()
    done = Client().post(url, {"password": "clinician b password 1"})
    assert done.status_code == 200
    assert (
        StaffMembership.objects.get(user=personas.clinician_b, clinic=personas.clinic_a).role == "prescriber"
    )


def test_invitations_refuse_bad_input_and_change_nothing(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    admin = login(Client(), personas.admin_a)
    clinic_a = str(personas.clinic_a.public_id)
    cases = [
        (
            {"email": "not-an-address", "role": "nurse", "clinics": [clinic_a]},
            b"Enter an e-mail address, such as name@example.org.",
        ),
        ({"email": "r@example.org", "role": "surgeon", "clinics": [clinic_a]}, b"Select a valid choice"),
        (
            {"email": "r@example.org", "role": "nurse", "clinics": [str(personas.clinic_b.public_id)]},
            b"Select a valid choice",
        ),
        ({"email": "r@example.org", "role": "nurse"}, b"Choose at least one clinic."),
        (
            {"email": "clinician.a@example.org", "role": "nurse", "clinics": [clinic_a]},
            b"is already staff at Clinic A",
        ),
        (
            {"email": "patient.a1@example.org", "role": "nurse", "clinics": [clinic_a]},
            b"belongs to a patient",
        ),
    ]
    for data, message in cases:
        response = _invite(admin, django_capture_on_commit_callbacks, **data)
        assert response.status_code == 400 and message in response.content, data
    assert StaffInvitation.objects.count() == 0 and mailoutbox == []


def test_only_an_administrator_of_every_chosen_clinic_may_invite(personas):
    with pytest.raises(NotPermitted, match="clinics: you can invite only"):
        invite_staff(
            by=personas.admin_a,
            clinics=[personas.clinic_b],
            email="z@example.org",
            role="nurse",
            base_url="http://testserver",
        )
    with pytest.raises(NotPermitted):
        invite_staff(
            by=personas.clinician_a,
            clinics=[personas.clinic_a],
            email="z@example.org",
            role="clinic_admin",
            base_url="http://testserver",
        )
    assert StaffInvitation.objects.count() == 0


def test_the_staff_page_shows_role_last_login_and_status(personas):
    nurse = _nurse(personas)
    nurse.last_login = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    nurse.save()
    TOTPDevice.objects.create(user=personas.clinician_a, name="app", confirmed=True)
    page = login(Client(), personas.admin_a).get(reverse("clinics:staff")).content.decode()
    rows = re.findall(r'<tr data-testid="staff-row" data-email="([^"]+)">(.*?)</tr>', page, re.S)
    by_email = dict(rows)
    assert set(by_email) == {"admin.a@example.org", "clinician.a@example.org", "nurse.a@example.org"}
    # 09:30 UTC on the clinic's clock (America/New_York, UTC-5 after the 1 November DST change).
    assert "<td>Mon 2 Nov 2026, 04:30</td>" in by_email["nurse.a@example.org"]
    assert "UTC" not in page and "Times are clinic time (New York)." in page
    assert "second factor not set up" in by_email["nurse.a@example.org"]
    assert "second factor not set up" not in by_email["clinician.a@example.org"]
    assert 'value="nurse" selected' in by_email["nurse.a@example.org"]
    assert "clinician.b" not in page  # another clinic's staff never appear


def test_changing_a_role_is_audited_and_bad_roles_change_nothing(personas):
    nurse = _nurse(personas)
    membership = StaffMembership.objects.get(user=nurse)
    admin = login(Client(), personas.admin_a)
    url = reverse("clinics:staff_role", kwargs={"membership_id": membership.public_id})
    assert admin.post(url, {"role": "prescriber"}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == "prescriber"
    row = AccessEvent.objects.filter(object_type="staff_membership").latest("id")
    assert (row.user_email, row.object_id, row.outcome) == (
        "admin.a@example.org",
        str(membership.public_id),
        "granted",
    )
    response = admin.post(url, {"role": "owner"}, follow=True)
    assert b"Choose one of the roles: Clinic admin, Prescriber, Nurse." in response.content
    membership.refresh_from_db()
    assert membership.role == "prescriber"


def test_deactivating_ends_sessions_at_once_and_reactivating_restores_access(personas):
    nurse = _nurse(personas)
    nurse_client = login(Client(), nurse)
    assert nurse_client.get(reverse("patients:list")).status_code == 200
    membership = StaffMembership.objects.get(user=nurse)
    admin = login(Client(), personas.admin_a)
    url = reverse("clinics:staff_deactivate", kwargs={"membership_id": membership.public_id})
    # Without the confirmation nothing happens, and the page says how to confirm.
    asked = admin.post(url, follow=True)
    assert "confirm with “Yes, deactivate”" in asked.content.decode()
    membership.refresh_from_db()
    assert membership.is_active and nurse_client.get(reverse("patients:list")).status_code == 200
    assert "Yes, deactivate" in admin.get(reverse("clinics:staff")).content.decode()
    admin.post(url, {"confirm": "yes"})
    nurse.refresh_from_db()
    membership.refresh_from_db()
    assert not membership.is_active and not nurse.is_active
    assert nurse_client.get(reverse("patients:list")).status_code == 302  # the session is gone
    assert b"Deactivated" in admin.get(reverse("clinics:staff")).content
    admin.post(reverse("clinics:staff_reactivate", kwargs={"membership_id": membership.public_id}))
    nurse.refresh_from_db()
    assert nurse.is_active and StaffMembership.objects.get(user=nurse).is_active
    assert login(Client(), nurse).get(reverse("patients:list")).status_code == 200


def test_deactivating_at_one_clinic_keeps_the_account_for_the_other(personas):
    personas.clinician_b.memberships.create(clinic=personas.clinic_a, role="nurse")
    membership = StaffMembership.objects.get(user=personas.clinician_b, clinic=personas.clinic_a)
    deactivate_staff(membership=membership, by=personas.admin_a)
    personas.clinician_b.refresh_from_db()
    assert personas.clinician_b.is_active
    client = login(Client(), personas.clinician_b)
    assert (
        client.get(reverse("patients:detail", kwargs={"patient_id": personas.b1.public_id})).status_code
        == 200
    )
    assert (
        client.get(reverse("patients:detail", kwargs={"patient_id": personas.a1.public_id})).status_code
        == 404
    )


def test_the_last_active_administrator_can_be_neither_deactivated_nor_demoted(personas):
    membership = StaffMembership.objects.get(user=personas.admin_a)
    admin = login(Client(), personas.admin_a)
    for name, data in (
        ("clinics:staff_deactivate", {"confirm": "yes"}),
        ("clinics:staff_role", {"role": "nurse"}),
    ):
        response = admin.post(
            reverse(name, kwargs={"membership_id": membership.public_id}), data, follow=True
        )
        assert b"is the last active administrator of Clinic A" in response.content
    membership.refresh_from_db()
    personas.admin_a.refresh_from_db()
    assert membership.is_active and membership.role == "clinic_admin" and personas.admin_a.is_active
    # With a second administrator, the first may step down.
    StaffMembership.objects.filter(user=personas.clinician_a).update(role="clinic_admin")
    admin.post(
        reverse("clinics:staff_role", kwargs={"membership_id": membership.public_id}), {"role": "prescriber"}
    )
    membership.refresh_from_db()
    assert membership.role == "prescriber"
    second = StaffMembership.objects.get(user=personas.clinician_a)
    with pytest.raises(ConflictError, match="last active administrator"):
        deactivate_staff(membership=second, by=personas.clinician_a)


def test_an_admin_resets_a_staff_members_second_factor_who_then_enrols_again(personas):
    user = personas.clinician_a
    user.set_password("clinician password 2026")
    user.save()
    clinician = login(Client(), user)
    issue_recovery_codes(user=user)
    membership = StaffMembership.objects.get(user=user)
    admin = login(Client(), personas.admin_a)
    response = admin.post(
        reverse("clinics:staff_reset_second_factor", kwargs={"membership_id": membership.public_id})
    )
    assert response.status_code == 302
    assert (
        not TOTPDevice.objects.filter(user=user).exists()
        and not StaticDevice.objects.filter(user=user).exists()
    )
    assert clinician.get(reverse("patients:list")).status_code == 302  # their session ended
    row = AccessEvent.objects.filter(
        object_type="staff_membership", object_id=str(membership.public_id)
    ).get()
    assert row.user_email == "admin.a@example.org" and row.path.endswith("/reset-second-factor/")
    again = Client()
    again.post(reverse("accounts:login"), {"username": user.email, "password": "clinician password 2026"})
    assert b"Set up your authenticator app" in again.get(reverse("accounts:mfa")).content
    # Not for oneself: the own security page does that.
    own = StaffMembership.objects.get(user=personas.admin_a)
    refused = admin.post(
        reverse("clinics:staff_reset_second_factor", kwargs={"membership_id": own.public_id}), follow=True
    )
    assert b"Use your own security page" in refused.content
    assert TOTPDevice.objects.filter(user=personas.admin_a).exists()


def test_a_nurse_cannot_grant_roles_invite_or_see_staff(personas):
    nurse = login(Client(), _nurse(personas))
    target = StaffMembership.objects.get(user=personas.clinician_a)
    for name, method, kwargs, data in (
        ("clinics:staff", "get", {}, {}),
        (
            "clinics:staff_invite",
            "post",
            {},
            {"email": "x@example.org", "role": "clinic_admin", "clinics": [str(personas.clinic_a.public_id)]},
        ),
        ("clinics:staff_role", "post", {"membership_id": target.public_id}, {"role": "clinic_admin"}),
        ("clinics:staff_deactivate", "post", {"membership_id": target.public_id}, {"confirm": "yes"}),
        ("clinics:staff_reset_second_factor", "post", {"membership_id": target.public_id}, {}),
        ("clinics:settings", "post", {}, {"phone": "1"}),
    ):
        response = getattr(nurse, method)(reverse(name, kwargs=kwargs or None), data)
        assert response.status_code == 404, name
    target.refresh_from_db()
    assert target.role == "prescriber" and target.is_active
    assert StaffInvitation.objects.count() == 0


def test_an_admin_reaches_no_other_clinics_staff_member(personas):
    other = StaffMembership.objects.get(user=personas.clinician_b)
    admin = login(Client(), personas.admin_a)
    for name, data in (
        ("clinics:staff_role", {"role": "nurse"}),
        ("clinics:staff_deactivate", {"confirm": "yes"}),
        ("clinics:staff_reset_second_factor", {}),
    ):
        response = admin.post(reverse(name, kwargs={"membership_id": other.public_id}), data)
        assert response.status_code == 404, name
    other.refresh_from_db()
    assert other.role == "prescriber" and other.is_active
    assert AccessEvent.objects.filter(object_id=str(other.public_id), outcome="denied").count() == 3


# --- Clinic settings ---------------------------------------------------------------------------------


def _settings_data(**overrides: str) -> dict[str, str]:
    data = {
        "time_zone": "America/Chicago",
        "phone": "+1 312 555 0100",
        "emergency_number": "911",
        "crisis_line": "988",
        "after_hours_phone": "+1 312 555 0199",
        "after_hours_instructions": "",
        "fasting_instructions": "No food for 6 hours; clear fluids until 2 hours before.",
        "mon_opens": "08:00",
        "mon_closes": "18:00",
        "sat_opens": "09:00",
        "sat_closes": "12:00",
    }
    return data | overrides


def test_the_admin_sets_hours_numbers_and_fasting_which_patients_then_see(personas):
    admin = login(Client(), personas.admin_a)
    response = admin.post(reverse("clinics:settings"), _settings_data())
    assert response.status_code == 302
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert clinic.time_zone == "America/Chicago" and clinic.after_hours_phone == "+1 312 555 0199"
    assert [str(h) for h in clinic.opening_hours.all()] == ["Monday 08:00-18:00", "Saturday 09:00-12:00"]
    page = admin.get(reverse("clinics:settings")).content.decode()
    assert 'value="08:00"' in page and "Mon 08:00-18:00; Sat 09:00-12:00" in page
    assert "escalate to <strong>Admin A</strong>" in page
    # A Monday at 10:00 in Chicago is open; a Sunday is not.
    patient = login(Client(), personas.a1.user)
    with time_machine.travel(dt.datetime(2026, 11, 2, 16, 0, tzinfo=dt.UTC)):
        open_page = patient.get(reverse("patients:my_clinic")).content.decode()
    assert 'data-testid="clinic-open"' in open_page and "+1 312 555 0100" in open_page
    with time_machine.travel(dt.datetime(2026, 11, 1, 16, 0, tzinfo=dt.UTC)):
        closed_page = patient.get(reverse("patients:my_clinic")).content.decode()
    assert 'data-testid="clinic-closed"' in closed_page and "call +1 312 555 0199" in closed_page
    assert "No food for 6 hours" in closed_page


def test_the_admin_sets_the_clinics_own_home_blood_pressure_limits(personas):
    admin = login(Client(), personas.admin_a)
    data = _settings_data() | {"home_bp_hold_systolic_mmhg": "150", "home_bp_hold_diastolic_mmhg": "95"}
    assert admin.post(reverse("clinics:settings"), data).status_code == 302
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert (clinic.home_bp_hold_systolic_mmhg, clinic.home_bp_hold_diastolic_mmhg) == (150, 95)
    cleared = _settings_data() | {"home_bp_hold_systolic_mmhg": "", "home_bp_hold_diastolic_mmhg": ""}
    assert admin.post(reverse("clinics:settings"), cleared).status_code == 302
    clinic.refresh_from_db()
    assert clinic.home_bp_hold_systolic_mmhg is None and clinic.home_bp_hold_diastolic_mmhg is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mon_closes": "07:00"}, "Monday: closing time must be after opening time (08:00)"),
        ({"mon_closes": ""}, "Monday: give both the opening and the closing time, or neither"),
        ({"sat_opens": "25:00"}, "Saturday opens: a time of day as HH:MM"),
        ({"phone": "call us"}, "May hold digits, spaces and + - ( ) . / only"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"emergency_number": ""}, "This field is required"),
        ({"fasting_instructions": "x" * 2001}, "at most 2000 characters"),
        ({"home_bp_hold_systolic_mmhg": "150"}, "Set both home blood pressure limits, or neither"),
        (
            {"home_bp_hold_systolic_mmhg": "250", "home_bp_hold_diastolic_mmhg": "90"},
            "250 mmHg is outside the allowed range 100–220 mmHg",
        ),
    ],
)
def test_bad_settings_name_the_field_and_change_nothing(personas, overrides, message):
    admin = login(Client(), personas.admin_a)
    response = admin.post(reverse("clinics:settings"), _settings_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert clinic.time_zone == "America/New_York" and clinic.phone == "+1 555 0100"
    assert not clinic.opening_hours.exists()


def test_outside_hours_without_an_after_hours_line_patients_are_told_the_crisis_and_emergency_numbers(
    personas,
):
    clinic = personas.clinic_b  # Berlin, 112 and its crisis line
    clinic.opening_hours.create(weekday=0, opens_at=dt.time(8), closes_at=dt.time(17))
    monday_night = dt.datetime(2026, 11, 2, 21, 0, tzinfo=dt.UTC)  # 22:00 in Berlin
    contact = clinic_contact(clinic, monday_night)
    assert not contact.open_now and contact.call == ""
    assert "0800 1110111" in contact.instead and "112" in contact.instead
    monday_morning = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)  # 09:00 in Berlin
    assert clinic_contact(clinic, monday_morning).call == clinic.phone
    clinic.after_hours_instructions = "Call the on-call nurse through the hospital switchboard."
    assert clinic_contact(clinic, monday_night).instead == clinic.after_hours_instructions


def test_escalations_name_the_longest_standing_active_admin(personas):
    assert escalation_recipient(personas.clinic_a) == personas.admin_a
    assert escalation_recipient(personas.clinic_b) is None
    assert Interval(0, dt.time(8), dt.time(9)).weekday == 0


def test_the_call_clinic_tag_gives_any_patient_page_the_line_for_now(personas):
    from django.template import Context, Template

    clinic = personas.clinic_a
    clinic.opening_hours.create(weekday=0, opens_at=dt.time(8), closes_at=dt.time(18))
    clinic.after_hours_phone = "+1 555 0111"
    template = Template("{% load clinic_contact %}{% call_clinic clinic %}")
    with time_machine.travel(dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)):  # Monday 10:00 in New York
        open_now = template.render(Context({"clinic": clinic}))
    with time_machine.travel(dt.datetime(2026, 11, 3, 3, 0, tzinfo=dt.UTC)):  # Monday 22:00
        closed = template.render(Context({"clinic": clinic}))
    assert "The clinic is open now" in open_now and "tel:+1 555 0100" in open_now
    assert "The clinic is closed now" in closed and "Call +1 555 0111" in closed


def test_a_clinic_without_hours_is_not_called_closed_and_its_phone_is_offered(personas):
    from django.template import Context, Template

    clinic = personas.clinic_a  # New York, no opening hours entered
    assert not clinic.opening_hours.exists()
    contact = clinic_contact(clinic, dt.datetime(2026, 11, 3, 3, 0, tzinfo=dt.UTC))
    assert "closed" not in contact.instead
    assert "988" in contact.instead and "911" in contact.instead and contact.call == clinic.phone
    page = Template("{% load clinic_contact %}{% call_clinic clinic %}").render(Context({"clinic": clinic}))
    assert "Opening hours: not listed here; ask your clinic." in page
    assert "During opening hours" not in page and "America/New_York" not in page
    clinic.opening_hours.create(weekday=0, opens_at=dt.time(8), closes_at=dt.time(18))
    page = Template("{% load clinic_contact %}{% call_clinic clinic %}").render(Context({"clinic": clinic}))
    assert "(New York time)" in page and "America/New_York" not in page


def test_the_settings_page_names_both_escalation_times(personas):
    admin = login(Client(), personas.admin_a)
    page = " ".join(admin.get(reverse("clinics:settings")).content.decode().split())
    assert "emergency and suicide-risk alerts after" in page and "to every prescriber as well" in page
    assert "change the escalation times" in page
