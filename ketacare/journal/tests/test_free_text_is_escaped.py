"""Stored free text (journal, check-in note) is escaped on every page that shows it (docs/security.md S15)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_a_script_in_a_journal_entry_or_note_is_shown_as_text(personas: Any, client_for: Any) -> None:
    patient = client_for("a1")
    patient.post(
        reverse("journal:journal"), {"idempotency_key": "x1", "text": PAYLOAD, "shared_with_clinic": "on"}
    )
    patient.post(reverse("checkins:checkin"), {"idempotency_key": "x2", "action": "submit", "note": PAYLOAD})
    pages = [
        patient.get(reverse("journal:journal")),
        client_for("clinician_a").get(
            reverse("journal:staff_journal", kwargs={"patient_id": str(personas.a1.public_id)})
        ),
        client_for("clinician_a").get(
            reverse("checkins:staff_checkins", kwargs={"patient_id": str(personas.a1.public_id)})
        ),
    ]
    for page in pages:
        assert page.status_code == 200
        assert b"<script>alert" not in page.content and b"<img src=x" not in page.content
        assert b"&lt;script&gt;" in page.content
