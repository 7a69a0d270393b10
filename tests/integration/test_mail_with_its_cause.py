"""An invitation or a password reset and its e-mail commit together (docs/decisions/0018): the outbox
row is written in the transaction of the change it announces, so neither can exist without the other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.accounts.models import User
from ketacare.clinics.models import StaffInvitation
from ketacare.clinics.services import invite_staff
from ketacare.ops.mail import deliver_pending_mail
from ketacare.ops.models import OutboundEmail
from ketacare.patients.models import Patient, PatientInvitation
from ketacare.patients.services import invite_patient
from tests.support.mail import MAIL_SERVER

pytestmark = pytest.mark.django_db
BASE = "http://testserver"


class Rollback(Exception):
    """The rest of the change failed after the e-mail was written."""


@pytest.fixture
def queued_mail(settings: Any) -> Any:
    # The test runner swaps in its in-memory backend; production always writes the outbox.
    settings.EMAIL_BACKEND = "ketacare.ops.mail.QueuedEmailBackend"
    settings.MAIL_DELIVERY_BACKEND = MAIL_SERVER
    return settings


def _uninvited_patient(personas: Any) -> Patient:
    return Patient.objects.create(
        clinic=personas.clinic_a,
        full_name="Ines Invitee",
        date_of_birth=dt.date(1990, 1, 2),
        email="ines.invitee@example.org",
        time_zone=personas.clinic_a.time_zone,
        primary_clinician=personas.clinician_a,
    )


def _staff_invitation(personas: Any) -> Any:
    return invite_staff(
        by=personas.admin_a,
        clinics=[personas.clinic_a],
        email="nina.nurse@example.org",
        role="nurse",
        base_url=BASE,
    )


def _patient_invitation(personas: Any) -> Any:
    return invite_patient(patient=_uninvited_patient(personas), by=personas.clinician_a, base_url=BASE)


def _password_reset(personas: Any) -> Any:
    from ketacare.accounts.services import request_password_reset

    personas.clinician_a.set_password("a long staff password 1")
    personas.clinician_a.save()
    return request_password_reset(email="clinician.a@example.org", base_url=BASE)


CAUSES: dict[str, tuple[Callable[[Any], Any], str]] = {
    "staff invitation": (_staff_invitation, "nina.nurse@example.org"),
    "patient invitation": (_patient_invitation, "ines.invitee@example.org"),
    "password reset": (_password_reset, "clinician.a@example.org"),
}


@pytest.mark.parametrize("cause", list(CAUSES))
def test_the_mail_is_written_inside_the_transaction_of_its_cause(
    cause: str, personas: Any, queued_mail: Any
) -> None:
    make, address = CAUSES[cause]
    with pytest.raises(Rollback), transaction.atomic():
        make(personas)
        # Before the commit, in the same transaction: the message is already in the outbox.
        assert list(OutboundEmail.objects.values_list("recipient", "state")) == [(address, "pending")]
        raise Rollback
    # Rolled back together: no message about an invitation that does not exist.
    assert OutboundEmail.objects.count() == 0
    assert StaffInvitation.objects.count() == PatientInvitation.objects.count() == 0


def test_an_invitation_whose_web_process_died_after_commit_is_still_mailed(
    personas: Any, queued_mail: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = login(Client(), personas.admin_a)
    # The on-commit callbacks are dropped: the process died between the commit and queueing delivery.
    with django_capture_on_commit_callbacks(execute=False):
        response = admin.post(
            reverse("clinics:staff_invite"),
            {
                "email": "late.nurse@example.org",
                "full_name": "Lee Late",
                "role": "nurse",
                "clinics": [str(personas.clinic_a.public_id)],
            },
        )
    assert response.status_code == 302
    invitation = StaffInvitation.objects.get()
    [row] = OutboundEmail.objects.all()
    assert row.recipient == invitation.email == "late.nurse@example.org" and row.state == "pending"
    assert mail.outbox == []
    # The worker's sweep (deliver_mail, every minute) finds the committed message and sends it.
    assert deliver_pending_mail() == {"sent": 1}
    [message] = mail.outbox
    assert message.to == ["late.nurse@example.org"] and "/accounts/invitation/" in message.body


def test_a_patient_invitation_by_http_commits_with_its_mail(
    personas: Any, queued_mail: Any, django_capture_on_commit_callbacks: Any
) -> None:
    patient = _uninvited_patient(personas)
    nurse = login(Client(), personas.clinician_a)
    with django_capture_on_commit_callbacks(execute=True):
        nurse.post(reverse("patients:invite", kwargs={"patient_id": patient.public_id}))
    assert PatientInvitation.objects.filter(patient=patient).count() == 1
    assert list(OutboundEmail.objects.values_list("recipient", "state")) == [
        ("ines.invitee@example.org", "sent")
    ]
    assert [m.subject for m in mail.outbox] == ["Clinic A: set up your KetaCare account"]


def test_without_an_outbox_the_mail_still_waits_for_the_commit(personas: Any, mailoutbox: Any) -> None:
    # The test runner's in-memory backend talks to no outbox: a rolled-back invitation sends nothing.
    with pytest.raises(Rollback), transaction.atomic():
        _staff_invitation(personas)
        raise Rollback
    assert mailoutbox == [] and not User.objects.filter(email="nina.nurse@example.org").exists()
