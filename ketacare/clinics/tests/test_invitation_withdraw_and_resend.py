"""An administrator withdraws or sends again a staff invitation from the staff page: the old link stops
working at once and says why; both are audited and only for an administrator of that clinic. The
clinic's mail page lists the invitation e-mails (docs/decisions/0011, 0018)."""

from __future__ import annotations

import datetime as dt
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
from ketacare.clinics.models import StaffInvitation, StaffMembership
from ketacare.clinics.services import invite_staff
from ketacare.ops.models import OutboundEmail
from ketacare.patients.models import Patient
from tests.support.mail import MAIL_SERVER

pytestmark = pytest.mark.django_db
PASSWORD = "nurse password twenty26"  # noqa: S105 - test data only
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


def _invite(admin: Client, capture: Any, clinic: Any, email: str = "nina@example.org") -> StaffInvitation:
    with capture(execute=True):
        response = admin.post(
            reverse("clinics:staff_invite"),
            {"email": email, "role": "nurse", "clinics": [str(clinic.public_id)]},
        )
    assert response.status_code == 302
    return StaffInvitation.objects.filter(email=email).latest("id")


# What the withdraw button's confirmation sends ("Yes, withdraw ..."); sending again needs none.
CONFIRMED = {"confirm": "yes"}


def _post(
    client: Client, name: str, invitation: StaffInvitation, capture: Any = None, data: Any = None
) -> Any:
    url = reverse(name, kwargs={"invitation_id": invitation.public_id})
    if capture is None:
        return client.post(url, data or {}, follow=True)
    with capture(execute=True):
        return client.post(url, data or {}, follow=True)


def _row(page: str, email: str) -> str:
    found = re.search(
        rf'<tr data-testid="invitation-row" data-email="{re.escape(email)}">(.*?)</tr>', page, re.S
    )
    return found.group(1) if found else ""


def _accept(link: str) -> Any:
    return Client().post(link, {"full_name": "Nina New", "password": PASSWORD, "confirm": PASSWORD})


def test_a_withdrawn_invitation_stops_working_at_once_and_says_to_ask_the_clinic(
    personas: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = login(Client(), personas.admin_a)
    invitation = _invite(admin, django_capture_on_commit_callbacks, personas.clinic_a)
    link = _path(mailoutbox[0].body)
    staff_page = admin.get(reverse("clinics:staff")).content.decode()
    row = _row(staff_page, "nina@example.org")
    assert "Withdraw the invitation to nina@example.org" in row and "Send again" in row

    visitor = Client()
    assert visitor.get(link).status_code == 200  # the invitee has the page open
    done = _post(admin, "clinics:staff_invitation_withdraw", invitation, data=CONFIRMED)
    page = done.content.decode()
    assert done.redirect_chain == [(reverse("clinics:staff"), 302)]
    assert "The invitation to nina@example.org is withdrawn: its link no longer works" in page
    assert _row(page, "nina@example.org") == ""  # off the list of open invitations

    # The form they had open, and the link opened again: the withdrawn page, nobody created.
    for response in (
        visitor.post(link, {"full_name": "Nina", "password": PASSWORD, "confirm": PASSWORD}),
        Client().get(link),
    ):
        text = response.content.decode()
        assert response.status_code == 410 and "This invitation was withdrawn" in text
        assert "ask your clinic" in text and "replaced" not in text
    assert not User.objects.filter(email="nina@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None and invitation.accepted_at is None

    # Audited like the other staff changes: one row for the request, naming the invitation.
    [row_event] = AccessEvent.objects.filter(path__endswith="/withdraw/")
    assert (row_event.user_email, row_event.action, row_event.outcome, row_event.object_type) == (
        "admin.a@example.org",
        "write",
        "granted",
        "staff_invitation",
    )
    assert row_event.object_id == str(invitation.public_id)
    assert row_event.clinic_public_id == str(personas.clinic_a.public_id)


def test_sending_again_gives_a_new_link_with_a_fresh_expiry_and_the_old_link_stops_working(
    personas: Any, settings: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = MAIL_SERVER  # e-mail set up: the message says "sent"
    start = dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York
    with time_machine.travel(start, tick=False):
        admin = login(Client(), personas.admin_a)
        first = _invite(admin, django_capture_on_commit_callbacks, personas.clinic_a)
    old_link = _path(mailoutbox[0].body)
    # Two days later the first link has expired: the staff page offers to send it again.
    later = start + dt.timedelta(hours=49)
    with time_machine.travel(later, tick=False):
        admin = login(Client(), personas.admin_a)
        assert "Expired — send it again for a new link" in _row(
            admin.get(reverse("clinics:staff")).content.decode(), "nina@example.org"
        )
        done = _post(admin, "clinics:staff_invitation_resend", first, django_capture_on_commit_callbacks)
        page = done.content.decode()
        # 48 hours from now on the clinic's clock: Wed 4 Nov 15:00 UTC is 10:00 in New York, on Fri 6 Nov.
        assert (
            "Invitation sent again to nina@example.org. The earlier link no longer works; the new one "
            "works once, until Fri 6 Nov 2026, 10:00." in page
        )
        fresh = StaffInvitation.objects.exclude(pk=first.pk).get()
        assert fresh.expires_at == later + dt.timedelta(hours=48)
        assert (fresh.email, fresh.role, list(fresh.clinics.all())) == (
            "nina@example.org",
            "nurse",
            [personas.clinic_a],
        )
        assert "Pending until Fri 6 Nov 2026, 10:00" in _row(page, "nina@example.org")
        assert len(mailoutbox) == 2 and mailoutbox[1].to == ["nina@example.org"]
        new_link = _path(mailoutbox[1].body)
        assert new_link != old_link and "48 hours" in mailoutbox[1].body

        replaced = Client().post(old_link, {"full_name": "N", "password": PASSWORD, "confirm": PASSWORD})
        assert (
            replaced.status_code == 410 and b"This invitation was replaced by a newer one" in replaced.content
        )
        assert not User.objects.filter(email="nina@example.org").exists()
        assert _accept(new_link).status_code == 200
    assert StaffMembership.objects.get(user__email="nina@example.org").clinic == personas.clinic_a

    [row_event] = AccessEvent.objects.filter(path__endswith="/resend/")
    assert (row_event.user_email, row_event.action, row_event.outcome, row_event.object_id) == (
        "admin.a@example.org",
        "write",
        "granted",
        str(first.public_id),
    )


def test_sending_again_a_pending_invitation_replaces_its_link_too(
    personas: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = login(Client(), personas.admin_a)
    first = _invite(admin, django_capture_on_commit_callbacks, personas.clinic_a)
    old_link = _path(mailoutbox[0].body)
    _post(admin, "clinics:staff_invitation_resend", first, django_capture_on_commit_callbacks)
    assert Client().get(old_link).status_code == 410
    assert Client().get(_path(mailoutbox[1].body)).status_code == 200


def test_a_used_or_withdrawn_invitation_is_neither_sent_again_nor_withdrawn(
    personas: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = login(Client(), personas.admin_a)
    accepted = _invite(admin, django_capture_on_commit_callbacks, personas.clinic_a)
    assert _accept(_path(mailoutbox[0].body)).status_code == 200
    withdrawn = _invite(admin, django_capture_on_commit_callbacks, personas.clinic_a, "omar@example.org")
    _post(admin, "clinics:staff_invitation_withdraw", withdrawn, data=CONFIRMED)
    withdrawn.refresh_from_db()
    sent = len(mailoutbox)
    # A staff page left open: the buttons of an invitation that has since changed.
    cases = [
        (accepted, "nina@example.org already accepted it; they are on the staff list"),
        (withdrawn, "It was already withdrawn or replaced by a newer one; invite omar@example.org again"),
    ]
    for invitation, message in cases:
        for name in ("clinics:staff_invitation_resend", "clinics:staff_invitation_withdraw"):
            response = _post(admin, name, invitation, django_capture_on_commit_callbacks, CONFIRMED)
            assert response.status_code == 200 and message in response.content.decode(), name
    assert len(mailoutbox) == sent and StaffInvitation.objects.count() == 2
    assert StaffInvitation.objects.get(pk=withdrawn.pk).revoked_at == withdrawn.revoked_at is not None
    assert StaffInvitation.objects.get(pk=accepted.pk).revoked_at is None


@pytest.fixture
def people(personas: Any) -> dict[str, Any]:
    nurse_a = User.objects.create_user("nurse.a@example.org", None, full_name="Nora Nurse")
    StaffMembership.objects.create(user=nurse_a, clinic=personas.clinic_a, role="nurse")
    admin_b = User.objects.create_user("admin.b@example.org", None, full_name="Admin B")
    StaffMembership.objects.create(user=admin_b, clinic=personas.clinic_b, role="clinic_admin")
    return {
        "anonymous": None,
        "a1": personas.a1.user,
        "nurse_a": nurse_a,
        "clinician_a": personas.clinician_a,
        "clinician_b": personas.clinician_b,
        "admin_b": admin_b,
    }


@pytest.mark.parametrize("name", ["clinics:staff_invitation_resend", "clinics:staff_invitation_withdraw"])
def test_only_an_administrator_of_the_invitations_clinic_may_send_it_again_or_withdraw_it(
    personas: Any, people: dict[str, Any], mailoutbox: Any, django_capture_on_commit_callbacks: Any, name: str
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite_staff(
            by=personas.admin_a,
            clinics=[personas.clinic_a],
            email="nina@example.org",
            role="nurse",
            base_url="http://testserver",
        )
    link = _path(mailoutbox[0].body)
    url = reverse(name, kwargs={"invitation_id": invitation.public_id})
    for persona, user in people.items():
        client = Client() if user is None else login(Client(), user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, CONFIRMED)
        if persona == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            # The refusal every other staff action gives: not found, and audited as denied.
            assert response.status_code == 404, persona
            denied = AccessEvent.objects.filter(request_id=response["X-Request-ID"], outcome="denied")
            assert denied.count() == 1 and denied.get().object_type == "staff_invitation", persona
    assert login(Client(), personas.admin_a).get(url).status_code == 405  # a change is a POST
    # An unknown or malformed id is a 404 too.
    admin = login(Client(), personas.admin_a)
    for wrong in ("00000000-0000-0000-0000-000000000000", "not-an-id"):
        assert admin.post(reverse(name, kwargs={"invitation_id": wrong}), CONFIRMED).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and StaffInvitation.objects.count() == 1
    assert len(mailoutbox) == 1 and Client().get(link).status_code == 200


def test_an_invitation_to_two_clinics_keeps_the_clinic_its_withdrawer_does_not_run(
    personas: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Someone who runs both clinics invites to both; admin A runs clinic A only.
    both = User.objects.create_user("owner@example.org", None, full_name="Owner")
    for clinic in (personas.clinic_a, personas.clinic_b):
        StaffMembership.objects.create(user=both, clinic=clinic, role="clinic_admin")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite_staff(
            by=both,
            clinics=[personas.clinic_a, personas.clinic_b],
            email="nina@example.org",
            role="nurse",
            base_url="http://testserver",
        )
    link = _path(mailoutbox[0].body)
    admin = login(Client(), personas.admin_a)
    refused = _post(admin, "clinics:staff_invitation_resend", invitation, django_capture_on_commit_callbacks)
    assert (
        "It also invites nina@example.org to Clinic B, where you are not an administrator"
        in refused.content.decode()
    )
    assert len(mailoutbox) == 1
    done = _post(admin, "clinics:staff_invitation_withdraw", invitation, data=CONFIRMED).content.decode()
    assert (
        "nina@example.org is no longer invited to Clinic A. The invitation to Clinic B still stands" in done
    )
    page = Client().get(link)
    assert page.status_code == 200 and b"Join Clinic B" in page.content and b"Clinic A" not in page.content
    assert _accept(link).status_code == 200
    user = User.objects.get(email="nina@example.org")
    assert [m.clinic for m in StaffMembership.objects.filter(user=user)] == [personas.clinic_b]


# --- The clinic's mail page ----------------------------------------------------------------------


def test_invitation_emails_are_listed_with_the_clinics_other_mail(
    personas: Any, settings: Any, client_for: Any
) -> None:
    # The outbox backend every deployment uses (docs/decisions/0018): each e-mail is a row first.
    settings.EMAIL_BACKEND = "ketacare.ops.mail.QueuedEmailBackend"
    admin = client_for("admin_a")
    admin.post(
        reverse("clinics:staff_invite"),
        {"email": "nina@example.org", "role": "nurse", "clinics": [str(personas.clinic_a.public_id)]},
    )
    # Clinician B (staff of clinic B) invited to clinic A: that invitation is clinic A's mail, the
    # rest of their mail is not.
    admin.post(
        reverse("clinics:staff_invite"),
        {"email": "clinician.b@example.org", "role": "nurse", "clinics": [str(personas.clinic_a.public_id)]},
    )
    OutboundEmail.objects.create(
        subject="Reset your password",
        body="-",
        from_email="clinic@example.org",
        to=["clinician.b@example.org"],
        recipient="clinician.b@example.org",
        next_attempt_at=timezone.now(),
    )
    # A patient without an account yet, invited to the companion.
    patient = Patient.objects.create(
        clinic=personas.clinic_a,
        full_name="Paula Patient",
        date_of_birth=dt.date(1985, 3, 4),
        email="paula@example.org",
        time_zone="America/New_York",
    )
    admin.post(reverse("patients:invite", kwargs={"patient_id": patient.public_id}))

    page = admin.get(reverse("ops:mail")).content.decode()
    rows = re.findall(r'<tr data-testid="mail-row"[^>]*>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>', page)
    assert sorted(rows) == [
        ("clinician.b@example.org", "Your KetaCare staff invitation"),
        ("nina@example.org", "Your KetaCare staff invitation"),
        ("paula@example.org", "Clinic A: set up your KetaCare account"),
    ]
    # Another clinic's administrator sees none of them.
    admin_b = User.objects.create_user("admin.b@example.org", None, full_name="Admin B")
    StaffMembership.objects.create(user=admin_b, clinic=personas.clinic_b, role="clinic_admin")
    page_b = login(Client(), admin_b).get(reverse("ops:mail")).content.decode()
    assert "nina@example.org" not in page_b and "paula@example.org" not in page_b


def test_an_open_invitation_shows_the_name_the_administrator_typed(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = login(Client(), personas.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            reverse("clinics:staff_invite"),
            {
                "email": "pat@example.org",
                "full_name": "Pat Prescriber",
                "role": "prescriber",
                "clinics": [str(personas.clinic_a.public_id)],
            },
        )
    _invite(admin, django_capture_on_commit_callbacks, personas.clinic_a)  # no name typed
    page = admin.get(reverse("clinics:staff")).content.decode()
    assert re.search(r"<td>Pat Prescriber</td><td>pat@example.org</td>", _row(page, "pat@example.org"))
    assert re.search(r"<td>—</td><td>nina@example.org</td>", _row(page, "nina@example.org"))
