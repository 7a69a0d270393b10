"""Withdrawing a staff invitation asks first (who, which role, which clinics), cancels its e-mails not
yet sent with it, and an invitation to several clinics is in each clinic's audit (docs/decisions/0011,
0018)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.accounts.models import User
from ketacare.clinics.models import StaffInvitation, StaffMembership
from ketacare.clinics.services import invite_staff
from ketacare.lib.errors import ConflictError
from ketacare.ops.mail import deliver_email
from ketacare.ops.models import OutboundEmail

pytestmark = pytest.mark.django_db
PASSWORD = "nurse password twenty26"  # noqa: S105 - test data only
SUBJECT = "Your KetaCare staff invitation"
CONFIRMED = {"confirm": "yes"}


@pytest.fixture
def queued(settings: Any) -> None:
    # The outbox backend every deployment uses (docs/decisions/0018): each e-mail is a row first.
    settings.EMAIL_BACKEND = "ketacare.ops.mail.QueuedEmailBackend"


def _invite_on_the_page(
    admin: Client, clinics: list[Any], email: str = "nina@example.org"
) -> StaffInvitation:
    response = admin.post(
        reverse("clinics:staff_invite"),
        {
            "email": email,
            "full_name": "Nina New",
            "role": "nurse",
            "clinics": [str(c.public_id) for c in clinics],
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return StaffInvitation.objects.filter(email=email).latest("id")


def _withdraw(admin: Client, invitation: StaffInvitation, data: dict[str, str] | None = None) -> str:
    url = reverse("clinics:staff_invitation_withdraw", kwargs={"invitation_id": invitation.public_id})
    response = admin.post(url, data or {}, follow=True)
    assert response.redirect_chain == [(reverse("clinics:staff"), 302)]
    return str(response.content.decode())


def _row(page: str, email: str) -> str:
    found = re.search(
        rf'<tr data-testid="invitation-row" data-email="{re.escape(email)}">(.*?)</tr>', page, re.S
    )
    return found.group(1) if found else ""


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _owner(personas: Any) -> User:
    """Someone who runs clinics A and B (admin A runs clinic A only)."""
    owner = User.objects.create_user("owner@example.org", None, full_name="Olive Owner")
    for clinic in (personas.clinic_a, personas.clinic_b):
        StaffMembership.objects.create(user=owner, clinic=clinic, role="clinic_admin")
    return owner


def _mail_page_state(admin: Client, recipient: str) -> list[tuple[str, str]]:
    """(data-state, the status cell in words) of each row of the E-mail page to ``recipient``."""
    page = admin.get(reverse("ops:mail")).content.decode()
    rows = re.findall(
        r'<tr data-testid="mail-row" data-state="([^"]*)">\s*<td>([^<]*)</td>\s*<td>[^<]*</td>\s*'
        r"<td>[^<]*</td>\s*<td>(.*?)</td>",
        page,
        re.S,
    )
    return [(state, _text(status)) for state, to, status in rows if to == recipient]


# --- Withdrawing asks first ----------------------------------------------------------------------


def test_withdrawing_asks_first_naming_who_the_role_and_the_clinic(personas: Any) -> None:
    admin = login(Client(), personas.admin_a)
    invitation = _invite_on_the_page(admin, [personas.clinic_a])

    row = _row(admin.get(reverse("clinics:staff")).content.decode(), "nina@example.org")
    # The same pattern as "Deactivate": a disclosure that says what happens, then a red "Yes, ..." button.
    confirm = re.search(r'<details class="confirm-action">(.*?)</details>', row, re.S)
    assert confirm is not None, row
    assert 'aria-label="Withdraw the invitation to nina@example.org">Withdraw</summary>' in confirm.group(1)
    assert (
        "Nina New (nina@example.org) can no longer join Clinic A as nurse: the link in their invitation "
        "stops working at once and an invitation e-mail not yet sent is cancelled. You can invite them "
        "again later." in _text(confirm.group(1))
    )
    assert '<input type="hidden" name="confirm" value="yes">' in confirm.group(1)
    assert (
        '<button type="submit" class="danger">Yes, withdraw the invitation to nina@example.org</button>'
        in (confirm.group(1))
    )

    # One click without the confirmation (a stale form, a script): nothing is withdrawn, the page asks.
    page = _withdraw(admin, invitation)
    assert (
        "The invitation to nina@example.org (nurse at Clinic A) still stands: confirm with “Yes, withdraw” "
        "to withdraw it." in page
    )
    assert "is withdrawn" not in page
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and invitation.status == "pending"
    assert _row(page, "nina@example.org") != ""  # still on the list of open invitations

    page = _withdraw(admin, invitation, CONFIRMED)
    assert "The invitation to nina@example.org is withdrawn: its link no longer works" in page
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert _row(page, "nina@example.org") == ""


def test_the_confirmation_says_which_clinics_keep_an_invitation_the_administrator_does_not_run(
    personas: Any,
) -> None:
    invitation = invite_staff(
        by=_owner(personas),
        clinics=[personas.clinic_a, personas.clinic_b],
        email="nina@example.org",
        role="prescriber",
        base_url="http://testserver",
    )
    admin = login(Client(), personas.admin_a)
    row = _text(_row(admin.get(reverse("clinics:staff")).content.decode(), "nina@example.org"))
    assert (
        "nina@example.org can no longer join Clinic A as prescriber: the link in their invitation stops "
        "working at once. The invitation to Clinic B still stands. You can invite them again later." in row
    )
    page = _withdraw(admin, invitation)
    assert "The invitation to nina@example.org (prescriber at Clinic A) still stands: confirm" in page
    assert list(invitation.clinics.all()) == [personas.clinic_a, personas.clinic_b]


def test_withdrawing_twice_says_it_is_already_withdrawn_and_changes_nothing(personas: Any) -> None:
    admin = login(Client(), personas.admin_a)
    invitation = _invite_on_the_page(admin, [personas.clinic_a])
    _withdraw(admin, invitation, CONFIRMED)
    invitation.refresh_from_db()
    # A staff page left open: its confirmation sent again, or its one-click form.
    for data in (CONFIRMED, None):
        page = _withdraw(admin, invitation, data)
        assert "It was already withdrawn or replaced by a newer one; invite nina@example.org again" in page
        assert "still stands" not in page
    assert StaffInvitation.objects.get(pk=invitation.pk).revoked_at == invitation.revoked_at


# --- Its e-mails not yet sent are cancelled with it --------------------------------------------


def test_withdrawing_cancels_its_unsent_e_mail_which_the_mail_page_shows_in_words(
    personas: Any, queued: None, mailoutbox: Any
) -> None:
    admin = login(Client(), personas.admin_a)
    invitation = _invite_on_the_page(admin, [personas.clinic_a])
    other = _invite_on_the_page(admin, [personas.clinic_a], "omar@example.org")
    reset = OutboundEmail.objects.create(
        subject="Reset your password",
        body="-",
        from_email="clinic@example.org",
        to=["nina@example.org"],
        recipient="nina@example.org",
        next_attempt_at=timezone.now(),
    )
    mail = OutboundEmail.objects.get(recipient="nina@example.org", subject=SUBJECT)
    assert mail.state == "pending"
    assert _mail_page_state(admin, "nina@example.org")[0] == ("pending", "Waiting to be sent")

    page = _withdraw(admin, invitation, CONFIRMED)
    assert (
        "The invitation to nina@example.org is withdrawn: its link no longer works, and whoever opens it is "
        "told to ask the clinic. Its e-mail, not yet sent, is cancelled." in page
    )
    mail.refresh_from_db()
    assert mail.state == OutboundEmail.State.CANCELLED
    # Only that invitation's e-mail: another message to the address and another invitation stay.
    assert OutboundEmail.objects.get(pk=reset.pk).state == "pending"
    assert OutboundEmail.objects.get(recipient="omar@example.org").state == "pending"
    assert StaffInvitation.objects.get(pk=other.pk).revoked_at is None

    assert ("cancelled", "Cancelled: will not be sent") in _mail_page_state(admin, "nina@example.org")
    summary = admin.get(reverse("ops:mail")).content.decode()
    # Omar's invitation waits; nina's reset is not the clinic's mail (she is only invited here).
    assert '<p data-testid="mail-summary">0 failed · 1 waiting</p>' in summary

    # The queue's job finds it cancelled and sends nothing; "send again" does not revive it.
    assert deliver_email(mail.pk) == "skipped"
    assert mailoutbox == []
    retry = admin.post(reverse("ops:mail_retry", kwargs={"message_id": mail.public_id}))
    assert retry.status_code == 302
    assert OutboundEmail.objects.get(pk=mail.pk).state == OutboundEmail.State.CANCELLED


def test_a_failed_invitation_e_mail_is_cancelled_too_so_it_cannot_be_sent_again(
    personas: Any, queued: None
) -> None:
    admin = login(Client(), personas.admin_a)
    invitation = _invite_on_the_page(admin, [personas.clinic_a])
    OutboundEmail.objects.filter(recipient="nina@example.org").update(
        state=OutboundEmail.State.FAILED, attempts=8, last_error="SMTPServerDisconnected: gone"
    )
    assert "Its e-mail, not yet sent, is cancelled." in _withdraw(admin, invitation, CONFIRMED)
    state, status = _mail_page_state(admin, "nina@example.org")[0]
    assert (state, status) == ("cancelled", "Cancelled: will not be sent")


def test_the_cancellation_is_part_of_the_withdrawal_and_rolls_back_with_it(
    personas: Any, queued: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ketacare.clinics.services import staff

    admin = login(Client(), personas.admin_a)
    invitation = _invite_on_the_page(admin, [personas.clinic_a])
    cancel = staff.cancel_unsent_email

    def cancel_then_fail(**kwargs: Any) -> int:
        cancel(**kwargs)
        raise ConflictError("invitation", "invitation: the withdrawal could not finish; try again")

    monkeypatch.setattr(staff, "cancel_unsent_email", cancel_then_fail)
    page = _withdraw(admin, invitation, CONFIRMED)
    assert "The withdrawal could not finish; try again" in page
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert OutboundEmail.objects.get(recipient="nina@example.org").state == "pending"


def test_an_invitation_that_still_invites_elsewhere_keeps_its_e_mail(personas: Any, queued: None) -> None:
    invitation = invite_staff(
        by=_owner(personas),
        clinics=[personas.clinic_a, personas.clinic_b],
        email="nina@example.org",
        role="nurse",
        base_url="http://testserver",
    )
    admin = login(Client(), personas.admin_a)
    page = _withdraw(admin, invitation, CONFIRMED)
    assert "The invitation to Clinic B still stands" in page and "cancelled" not in page
    # Its link still works for clinic B, so the e-mail that carries it still goes.
    assert OutboundEmail.objects.get(recipient="nina@example.org").state == "pending"


def test_sending_again_cancels_the_earlier_e_mail_not_yet_sent(personas: Any, queued: None) -> None:
    admin = login(Client(), personas.admin_a)
    invitation = _invite_on_the_page(admin, [personas.clinic_a])
    url = reverse("clinics:staff_invitation_resend", kwargs={"invitation_id": invitation.public_id})
    assert admin.post(url).status_code == 302
    earlier, fresh = OutboundEmail.objects.filter(recipient="nina@example.org").order_by("id")
    assert (earlier.state, fresh.state) == ("cancelled", "pending")
    assert earlier.body != fresh.body  # the new e-mail holds the new link
    assert _mail_page_state(admin, "nina@example.org") == [
        ("pending", "Waiting to be sent"),
        ("cancelled", "Cancelled: will not be sent"),
    ]


# --- An invitation to several clinics is in each clinic's audit ---------------------------------


def _audit_csv(client: Client) -> list[dict[str, str]]:
    response = client.get(reverse("audit:csv"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def _switch(client: Client, clinic: Any) -> None:
    assert client.post(reverse("clinics:switch"), {"clinic": str(clinic.public_id)}).status_code == 302


def test_an_invitation_to_two_clinics_is_in_each_clinics_audit(personas: Any, mailoutbox: Any) -> None:
    owner = login(Client(), _owner(personas))
    _switch(owner, personas.clinic_a)
    invitation = _invite_on_the_page(owner, [personas.clinic_a, personas.clinic_b])
    for clinic in (personas.clinic_a, personas.clinic_b):
        _switch(owner, clinic)
        rows = [r for r in _audit_csv(owner) if r["object_id"] == str(invitation.public_id)]
        assert [(r["user_email"], r["action"], r["outcome"], r["object_type"], r["path"]) for r in rows] == [
            ("owner@example.org", "write", "granted", "staff_invitation", reverse("clinics:staff_invite"))
        ], clinic.name
        assert rows[0]["clinic_public_id"] == str(clinic.public_id)


def test_accepting_an_invitation_to_two_clinics_is_in_each_clinics_audit(
    personas: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite_staff(
            by=_owner(personas),
            clinics=[personas.clinic_a, personas.clinic_b],
            email="nina@example.org",
            role="nurse",
            base_url="http://testserver",
        )
    link = re.search(r"https?://[^/\s]+(/\S+)", mailoutbox[0].body)
    assert link is not None
    done = Client().post(link.group(1), {"full_name": "Nina New", "password": PASSWORD, "confirm": PASSWORD})
    assert done.status_code == 200
    owner = login(Client(), User.objects.get(email="owner@example.org"))
    for clinic in (personas.clinic_a, personas.clinic_b):
        _switch(owner, clinic)
        accepted = [
            r
            for r in _audit_csv(owner)
            if r["object_id"] == str(invitation.public_id) and r["object_type"] == "staff_invitation_accepted"
        ]
        assert [(r["user_email"], r["clinic_public_id"]) for r in accepted] == [
            ("nina@example.org", str(clinic.public_id))
        ], clinic.name
