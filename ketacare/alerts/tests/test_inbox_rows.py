"""The inbox's rows as text: what each cell says, links, escaping and working forms (alert_rows.py)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.alerts.models import Alert
from ketacare.alerts.tests.helpers import make_alert

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _row(body: str, title: str) -> str:
    rows = [r for r in re.findall(r"<tr class=\"sev-.*?</tr>", body, flags=re.S) if title in r]
    assert len(rows) == 1, f"{len(rows)} rows with {title!r}"
    return rows[0]


def test_a_row_says_severity_title_patient_source_age_state_and_links_both(
    personas: Any, client_for: Any
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        alert = make_alert(personas.a1, severity="emergency", title="Chest pain reported")
        clock.shift(dt.timedelta(hours=2, minutes=5))
        body = client_for("clinician_a").get(reverse("alerts:inbox")).content.decode()
    row = _row(body, "Chest pain reported")
    assert '<span class="sev sev-emergency">Emergency</span>' in row
    assert f'href="{reverse("alerts:detail", args=[alert.public_id])}"' in row
    assert (
        f'href="{reverse("outcomes:timeline", args=[personas.a1.public_id])}">{personas.a1.full_name}</a>'
        in row
    )
    assert "Red flag in a check-in" in row
    assert "2\xa0hours, 5\xa0minutes ago" in row
    assert 'datetime="2026-03-02T' in row
    assert ">Open" in row and "Acknowledge</button>" in row


def test_escalation_assignee_and_note_read_in_words(personas: Any, client_for: Any) -> None:
    admin = personas.user("admin_a")
    make_alert(
        personas.a2,
        title="Escalated one",
        state=Alert.State.ACKNOWLEDGED,
        note="Phoned the patient; " + "x" * 120,
        escalated_at=T0,
        escalated_to=admin,
    )
    Alert.objects.create(
        clinic_id=personas.a2.clinic_id, source="register_count", severity="info", title="Clinic one"
    )
    body = client_for("clinician_a").get(reverse("alerts:inbox")).content.decode()
    row = _row(body, "Escalated one")
    assert f"Escalated to {admin.full_name or admin.email}</strong>" in row
    assert 'class="sev-urgent escalated"' in row
    assert "Phoned the patient; " in row and "x" * 120 not in row and "…" in row
    assert "Resolve</button>" in row and "Acknowledge</button>" not in row
    assert "The clinic (no patient)" in _row(body, "Clinic one")


def test_what_alert_text_holds_is_escaped(personas: Any, client_for: Any) -> None:
    make_alert(personas.a1, title='<script>alert("t")</script>', note="<b>n</b>", state="acknowledged")
    body = client_for("clinician_a").get(reverse("alerts:inbox")).content.decode()
    assert '<script>alert("t")</script>' not in body and "&lt;script&gt;" in body
    assert "<b>n</b>" not in body and "&lt;b&gt;n&lt;/b&gt;" in body


def test_the_empty_inbox_says_so(personas: Any, client_for: Any) -> None:
    body = client_for("clinician_a").get(reverse("alerts:inbox")).content.decode()
    assert '<td colspan="7">No alerts match.</td>' in body


def test_the_rows_forms_carry_the_csrf_token_and_acknowledge(personas: Any) -> None:
    alert = make_alert(personas.a1, title="Needs a note")
    client = login(Client(enforce_csrf_checks=True), personas.user("clinician_a"))
    body = client.get(reverse("alerts:inbox")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _row(body, "Needs a note"))
    assert token is not None
    response = client.post(
        reverse("alerts:acknowledge", args=[alert.public_id]),
        {"csrfmiddlewaretoken": token.group(1), "note": "Called back", "next": "inbox"},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == Alert.State.ACKNOWLEDGED and alert.note == "Called back"
