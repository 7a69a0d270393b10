"""The patient's invitation e-mail: it names the clinic, KetaCare and the clinic's phone so that it is not
taken for phishing; staff are not told it was sent when e-mail is not set up; and an invitation
withdrawn (the address corrected, or the invitation sent again) takes its unsent e-mail with it."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from ketacare.ops.mail import deliver_pending_mail
from ketacare.ops.models import OutboundEmail
from ketacare.patients.forms import patient_initial
from ketacare.patients.models import Patient
from tests.support.mail import MAIL_SERVER

pytestmark = pytest.mark.django_db

QUEUED = "ketacare.ops.mail.QueuedEmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"
SUBJECT = "Clinic A: set up your KetaCare account"


@pytest.fixture
def outbox_to(settings: Any) -> Any:
    """The outbox every deployment writes, delivered by the worker through the given backend."""

    def configure(delivery_backend: str) -> None:
        settings.EMAIL_BACKEND = QUEUED
        settings.MAIL_DELIVERY_BACKEND = delivery_backend

    return configure


def _patient(personas: Any, email: str = "old.address@example.org") -> Patient:
    return Patient.objects.create(
        clinic=personas.clinic_a, full_name="Ines Invitee", date_of_birth=dt.date(1990, 1, 2), email=email
    )


def _invite(client: Any, patient: Patient) -> str:
    response = client.post(reverse("patients:invite", kwargs={"patient_id": patient.public_id}), follow=True)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _correct_email(client: Any, patient: Patient, email: str) -> None:
    form = {
        k: ("" if v is None else v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in patient_initial(patient).items()
    }
    form["email"] = email
    response = client.post(reverse("patients:edit", kwargs={"patient_id": patient.public_id}), form)
    assert response.status_code == 302, response.content.decode()


def _path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


def test_the_invitation_names_the_clinic_and_ketacare_with_the_clinics_phone(
    personas: Any, outbox_to: Any, client_for: Any
) -> None:
    outbox_to(MAIL_SERVER)
    patient = _patient(personas)
    _invite(client_for("clinician_a"), patient)
    assert deliver_pending_mail() == {"sent": 1}
    [message] = mail.outbox
    assert message.subject == SUBJECT
    assert "Clinic A has invited you to set up your account on KetaCare" in message.body
    assert (
        "To check that this message really comes from Clinic A, call the clinic on +1 555 0100."
        in message.body
    )
    # Still nothing about who the patient is or what they are treated for.
    for word in ("Ines", "Invitee", "1990", "ketamine", "treatment", "depress"):
        assert word not in message.body


def test_without_email_staff_are_told_the_invitation_was_printed_not_sent(
    personas: Any, outbox_to: Any, client_for: Any
) -> None:
    outbox_to(CONSOLE)
    patient = _patient(personas)
    client = client_for("clinician_a")
    page = _invite(client, patient)
    assert "Invitation sent" not in page
    assert (
        "Invitation to old.address@example.org made, but not sent: e-mail is not set up, so the message is "
        "printed in the worker's log instead. The link in it works once, until " in page
    )
    status = re.search(r'data-testid="invitation-status">(.*?)</dd>', page, re.S)
    assert status and status.group(1).startswith("Not sent, not yet accepted (made ")
    assert "printed in the worker's log" in status.group(1)


def test_correcting_the_email_cancels_the_invitation_email_not_yet_sent(
    personas: Any, outbox_to: Any, client_for: Any
) -> None:
    outbox_to(MAIL_SERVER)
    patient = _patient(personas)
    nurse = client_for("clinician_a")
    _invite(nurse, patient)  # written to the outbox; the worker has not sent it yet
    _correct_email(nurse, patient, "new.address@example.org")
    # The worker's sweep: nothing goes to the old address with a link that no longer works.
    assert deliver_pending_mail() == {}
    assert mail.outbox == []
    page = html.unescape(client_for("admin_a").get(reverse("ops:mail")).content.decode())
    row = re.search(
        r'<tr data-testid="mail-row"[^>]*>\s*<td>old.address@example.org</td>.*?</tr>', page, re.S
    )
    assert row and "Cancelled: will not be sent" in row.group(0)
    # Invited at the new address, the patient gets one e-mail, whose link works.
    _invite(nurse, patient)
    assert deliver_pending_mail() == {"sent": 1}
    [message] = mail.outbox
    assert message.to == ["new.address@example.org"]
    assert client_for("anonymous").get(_path(message.body)).status_code == 200


def test_sending_the_invitation_again_cancels_the_earlier_email_not_yet_sent(
    personas: Any, outbox_to: Any, client_for: Any
) -> None:
    outbox_to(MAIL_SERVER)
    patient = _patient(personas)
    nurse = client_for("clinician_a")
    _invite(nurse, patient)
    _invite(nurse, patient)
    assert deliver_pending_mail() == {"sent": 1}
    [message] = mail.outbox
    assert client_for("anonymous").get(_path(message.body)).status_code == 200
    states = sorted(
        OutboundEmail.objects.filter(recipient="old.address@example.org").values_list("state", flat=True)
    )
    assert states == ["cancelled", "sent"]


def test_another_clinics_invitation_to_the_same_address_is_left_alone(
    personas: Any, outbox_to: Any, client_for: Any
) -> None:
    outbox_to(MAIL_SERVER)
    ours = _patient(personas, "shared@example.org")
    theirs = Patient.objects.create(
        clinic=personas.clinic_b,
        full_name="Sam Shared",
        date_of_birth=dt.date(1980, 1, 1),
        email="shared@example.org",
    )
    _invite(client_for("clinician_a"), ours)
    _invite(client_for("clinician_b"), theirs)
    _correct_email(client_for("clinician_a"), ours, "ours.now@example.org")
    assert deliver_pending_mail() == {"sent": 1}
    [message] = mail.outbox
    assert message.to == ["shared@example.org"] and message.subject.startswith("Clinic B: ")
