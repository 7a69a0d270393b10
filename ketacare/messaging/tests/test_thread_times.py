"""Message times on each side's own clock: the care team reads the clinic's (Clinic A, America/New_York),
the patient their own zone, which here differs from the clinic's; the server's zone (UTC) shows nowhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.messaging.services import reply_to_patient, send_patient_message
from ketacare.patients.services import correct_patient

pytestmark = pytest.mark.django_db

# 22:13 UTC on 6 December 2026: 17:13 in New York (the clinic), 14:13 in Los Angeles (the patient) and,
# on the same calendar day everywhere, so only the hour tells the zones apart.
SENT = dt.datetime(2026, 12, 6, 22, 13, tzinfo=dt.UTC)
ANSWERED = dt.datetime(2026, 12, 6, 22, 41, tzinfo=dt.UTC)  # 17:41 clinic, 14:41 patient


@pytest.fixture
def conversation(personas: Any) -> None:
    # The patient has moved across the country; the clinic stays in New York.
    # (The persona has no contact details on record; a correction must leave one.)
    correct_patient(
        patient=personas.a1,
        by=personas.clinician_a,
        changes={"time_zone": "America/Los_Angeles", "phone": "+1 555 0101"},
    )
    send_patient_message(patient=personas.a1, body="Is Thursday still on?", idempotency_key="m1", now=SENT)
    reply_to_patient(
        patient=personas.a1, user=personas.clinician_a, body="Yes, 10:00.", idempotency_key="r1", now=ANSWERED
    )


@time_machine.travel(ANSWERED + dt.timedelta(minutes=5), tick=False)
def test_the_staff_thread_shows_clinic_time_and_says_so(
    personas: Any, client_for: Any, conversation: None
) -> None:
    page = client_for("clinician_a").get(
        reverse("messaging:staff_thread", kwargs={"patient_id": str(personas.a1.public_id)})
    )
    text = page.content.decode()
    assert "6 Dec 2026 17:13" in text and "6 Dec 2026 17:41" in text
    assert "22:13" not in text and "14:13" not in text
    assert 'datetime="2026-12-06T17:13:00-05:00"' in text
    assert "Times are clinic time (New York)" in text


@time_machine.travel(ANSWERED + dt.timedelta(minutes=5), tick=False)
def test_the_patient_thread_shows_the_patients_own_time(
    personas: Any, client_for: Any, conversation: None
) -> None:
    text = client_for("a1").get(reverse("messaging:thread")).content.decode()
    assert "6 Dec 14:13" in text and "6 Dec 14:41" in text
    assert "17:13" not in text and "22:13" not in text


@time_machine.travel(ANSWERED + dt.timedelta(minutes=5), tick=False)
def test_the_inbox_dates_the_last_message_on_the_clinics_clock(
    personas: Any, client_for: Any, conversation: None
) -> None:
    text = client_for("clinician_a").get(reverse("messaging:inbox")).content.decode()
    assert 'datetime="2026-12-06T17:41:00-05:00"' in text
    assert "5\xa0minutes ago" in text
