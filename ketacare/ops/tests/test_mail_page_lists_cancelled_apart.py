"""The E-mail page lists a cancelled message apart from those still to be sent: under "Cancelled — will
not be sent", never among the failed and waiting ones at the top, and not counted as waiting."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.patients.models import Patient
from tests.support.mail import MAIL_SERVER

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mail_server(settings: Any) -> None:
    settings.EMAIL_BACKEND = "ketacare.ops.mail.QueuedEmailBackend"
    settings.MAIL_DELIVERY_BACKEND = MAIL_SERVER


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def _invite(client: Any, personas: Any, name: str, email: str) -> Patient:
    patient = Patient.objects.create(
        clinic=personas.clinic_a, full_name=name, date_of_birth=dt.date(1990, 1, 2), email=email
    )
    response = client.post(reverse("patients:invite", kwargs={"patient_id": patient.public_id}))
    assert response.status_code == 302
    return patient


def test_a_cancelled_email_is_listed_apart_and_not_counted_as_waiting(personas: Any, client_for: Any) -> None:
    nurse = client_for("clinician_a")
    _invite(nurse, personas, "Wanda Waiting", "wanda@example.org")
    archived = _invite(nurse, personas, "Carl Cancelled", "carl@example.org")
    response = nurse.post(
        reverse("patients:archive", kwargs={"patient_id": archived.public_id}), {"reason": "Moved away"}
    )
    assert response.status_code == 302

    page = html.unescape(client_for("admin_a").get(reverse("ops:mail")).content.decode())
    assert '<p data-testid="mail-summary">0 failed · 1 waiting</p>' in page
    cancelled_at = page.index('data-testid="mail-cancelled"')
    main, apart = page[:cancelled_at], page[cancelled_at:]
    # The messages still to be sent: the waiting one only.
    assert "wanda@example.org" in main and "carl@example.org" not in main
    assert "Cancelled" not in _text(main.split("<table", 1)[1])
    # Apart, under its own heading, saying it will not be sent.
    assert "<h2>Cancelled — will not be sent</h2>" in apart and "wanda@example.org" not in apart
    [row] = re.findall(r'<tr data-testid="mail-row" data-state="cancelled">.*?</tr>', apart, re.S)
    assert _text(row).startswith("carl@example.org Clinic A: set up your KetaCare account")
    assert "Cancelled: will not be sent" in _text(row)
