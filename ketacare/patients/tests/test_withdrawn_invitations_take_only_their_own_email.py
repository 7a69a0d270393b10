"""Archiving a patient withdraws their open invitation to the patient app: its link refuses, saying the
clinic took it back, its e-mail not yet sent is never sent, and restoring the patient does not bring it
back. A withdrawn invitation takes only its own e-mail: two patients of one clinic may share an address
(a parent and child, a couple), and the other one's invitation e-mail still goes out."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from ketacare.accounts.models import User
from ketacare.ops.mail import deliver_pending_mail
from ketacare.ops.models import OutboundEmail
from ketacare.patients.forms import patient_initial
from ketacare.patients.models import Patient
from tests.support.mail import MAIL_SERVER

pytestmark = pytest.mark.django_db

QUEUED = "ketacare.ops.mail.QueuedEmailBackend"
PASSWORD = "my own password"  # noqa: S105 - test data only
SHARED = "family@example.org"


@pytest.fixture(autouse=True)
def mail_server(settings: Any) -> None:
    """The outbox every deployment writes, delivered by the worker to a mail server."""
    settings.EMAIL_BACKEND = QUEUED
    settings.MAIL_DELIVERY_BACKEND = MAIL_SERVER


def _patient(personas: Any, name: str, email: str = SHARED) -> Patient:
    return Patient.objects.create(
        clinic=personas.clinic_a, full_name=name, date_of_birth=dt.date(1990, 1, 2), email=email
    )


def _invite(client: Any, patient: Patient) -> OutboundEmail:
    """Invite through the patient's page; the invitation's e-mail, written to the outbox, not yet sent."""
    before = set(OutboundEmail.objects.values_list("pk", flat=True))
    response = client.post(reverse("patients:invite", kwargs={"patient_id": patient.public_id}))
    assert response.status_code == 302
    [row] = OutboundEmail.objects.exclude(pk__in=before)
    assert row.state == OutboundEmail.State.PENDING
    return row


def _link(row: OutboundEmail) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", row.body)
    assert match, row.body
    return match.group(1)


def _archive(client: Any, patient: Patient) -> None:
    url = reverse("patients:archive", kwargs={"patient_id": patient.public_id})
    response = client.post(url, {"reason": "Moved to another clinic"})
    assert response.status_code == 302, response.content.decode()


def _correct_email(client: Any, patient: Patient, email: str) -> None:
    form = {
        k: ("" if v is None else v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in patient_initial(patient).items()
    }
    form["email"] = email
    response = client.post(reverse("patients:edit", kwargs={"patient_id": patient.public_id}), form)
    assert response.status_code == 302, response.content.decode()


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _status(client: Any, patient: Patient) -> str:
    page = _text(client.get(reverse("patients:detail", kwargs={"patient_id": patient.public_id})))
    found = re.search(r'data-testid="invitation-status">(.*?)</dd>', page, re.S)
    assert found, page
    return found.group(1)


def _state(row: OutboundEmail) -> str:
    row.refresh_from_db()
    return row.state


def test_archiving_withdraws_the_invitation_and_its_unsent_email(personas: Any, client_for: Any) -> None:
    nurse = client_for("clinician_a")
    patient = _patient(personas, "Ines Invitee", "ines@example.org")
    row = _invite(nurse, patient)
    link = _link(row)

    _archive(nurse, patient)
    # The e-mail was cancelled with the archiving: the worker sends nothing.
    assert _state(row) == OutboundEmail.State.CANCELLED
    assert deliver_pending_mail() == {}
    assert mail.outbox == []
    # Whoever opens the link is told the clinic took it back, and nothing is created.
    opened = client_for("anonymous").get(link)
    assert opened.status_code == 410
    assert "This invitation was withdrawn" in _text(opened) and "expired" not in _text(opened)
    used = client_for("anonymous").post(link, {"password": PASSWORD, "confirm": PASSWORD})
    assert used.status_code == 410 and "This invitation was withdrawn" in _text(used)
    assert not User.objects.filter(email="ines@example.org").exists()

    # Restoring the patient does not bring the invitation back: staff send a new one.
    restored = nurse.post(reverse("patients:restore", kwargs={"patient_id": patient.public_id}))
    assert restored.status_code == 302
    assert _status(nurse, patient) == "Withdrawn"
    again = client_for("anonymous").get(link)
    assert again.status_code == 410 and "This invitation was withdrawn" in _text(again)
    assert _state(row) == OutboundEmail.State.CANCELLED
    assert deliver_pending_mail() == {}

    # A new invitation works, and the old link now says it was replaced.
    new_row = _invite(nurse, patient)
    assert deliver_pending_mail() == {"sent": 1}
    assert client_for("anonymous").get(_link(new_row)).status_code == 200
    assert "replaced by a newer one" in _text(client_for("anonymous").get(link))


def test_archiving_one_of_two_patients_sharing_an_address_leaves_the_others_email(
    personas: Any, client_for: Any
) -> None:
    nurse = client_for("clinician_a")
    parent, child = _patient(personas, "Pat Parent"), _patient(personas, "Kim Child")
    parent_row, child_row = _invite(nurse, parent), _invite(nurse, child)

    _archive(nurse, child)
    assert _state(child_row) == OutboundEmail.State.CANCELLED
    assert _state(parent_row) == OutboundEmail.State.PENDING
    assert deliver_pending_mail() == {"sent": 1}
    [message] = mail.outbox
    assert message.to == [SHARED] and _link(parent_row) in message.body
    assert client_for("anonymous").get(_link(parent_row)).status_code == 200


def test_correcting_one_of_two_patients_sharing_an_address_leaves_the_others_email(
    personas: Any, client_for: Any
) -> None:
    nurse = client_for("clinician_a")
    first, second = _patient(personas, "Alex Spouse"), _patient(personas, "Sam Spouse")
    # The second invitation's e-mail is written after the first one's, to the same address and subject.
    first_row, second_row = _invite(nurse, first), _invite(nurse, second)

    _correct_email(nurse, first, "alex.own@example.org")
    assert _state(first_row) == OutboundEmail.State.CANCELLED
    assert _state(second_row) == OutboundEmail.State.PENDING
    # Sending the second one's invitation again replaces only its own e-mail.
    third_row = _invite(nurse, second)
    assert _state(second_row) == OutboundEmail.State.CANCELLED
    assert deliver_pending_mail() == {"sent": 1}
    [message] = mail.outbox
    assert message.to == [SHARED] and _link(third_row) in message.body
    assert client_for("anonymous").get(_link(third_row)).status_code == 200
