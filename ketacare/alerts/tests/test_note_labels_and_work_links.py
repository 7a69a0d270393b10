"""An alert's forms say which notes are required and why; its page says where its work is done.

- Acknowledging always needs a note (who took it and what they are doing): its label says "required".
- Resolving needs one only for an emergency or suicide-risk alert: the form says so and why; the others
  say "optional".
- A paperwork alert (a REMS form due) links to where the form is done, not to writing to the patient.
- A suicide-risk answer given at home reads no "before the visit ends": there is no visit.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.alerts.tests.helpers import make_alert
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db

ACK_LABEL = "Note (required)"


def _page(client: Any, alert: Alert) -> str:
    response = client.get(reverse("alerts:detail", args=[alert.public_id]))
    assert response.status_code == 200
    return str(response.content.decode())


def _label(body: str, field_id: str) -> str:
    found = re.search(rf'<label for="{field_id}">([^<]*)</label>', body)
    assert found is not None, field_id
    return found.group(1)


def test_the_acknowledge_note_is_marked_required_on_the_page_and_in_the_inbox(
    personas: Any, client_for: Any
) -> None:
    alert = make_alert(personas.a1, severity="contact_clinic", title="Missed questionnaire")
    clinician = client_for("clinician_a")
    page = _page(clinician, alert)
    assert _label(page, f"note-{alert.public_id}") == ACK_LABEL
    assert re.search(rf'<textarea id="note-{alert.public_id}"[^>]* required aria-required="true"', page)
    inbox = clinician.get(reverse("alerts:inbox")).content.decode()
    assert _label(inbox, f"note-{alert.public_id}") == ACK_LABEL
    assert "Note (what was done)" not in page + inbox
    assert 'placeholder="What you are doing about it"' in inbox


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ({"severity": "emergency"}, "because it is an emergency"),
        ({"severity": "urgent", "source": "phq9_item9"}, "because it is about suicide risk"),
        (
            {
                "severity": "urgent",
                "source": "patient_message",
                "evidence": {"red_flags": ["suicidal_thoughts_without_plan"]},
            },
            "because it is about suicide risk",
        ),
    ],
)
def test_the_resolve_form_says_the_note_is_required_for_this_alert_and_why(
    personas: Any, client_for: Any, kind: dict[str, Any], why: str
) -> None:
    alert = make_alert(personas.a1, state=Alert.State.ACKNOWLEDGED, **kind)
    page = _page(client_for("clinician_a"), alert)
    assert (
        _label(page, f"rnote-{alert.public_id}")
        == "Resolution note (required: what was done and the outcome)"
    )
    hint = re.search(rf'<p id="rnote-why-{alert.public_id}"[^>]*>([^<]*)</p>', page)
    assert hint is not None
    assert hint.group(1) == (
        f"A note is required to resolve this alert {why}: the record must say what was done and the outcome."
        " Choose what became of the patient, name who assessed them, and write at least 20 characters (clinic"
        " practice)."
    )
    assert re.search(
        rf'<textarea id="rnote-{alert.public_id}"[^>]* required aria-required="true"'
        rf'[^>]* aria-describedby="rnote-why-{alert.public_id}"',
        page,
    )


def test_a_routine_alert_says_its_resolution_note_is_optional_and_gives_no_reason(
    personas: Any, client_for: Any
) -> None:
    alert = make_alert(personas.a1, severity="urgent", state=Alert.State.ACKNOWLEDGED)
    page = _page(client_for("clinician_a"), alert)
    assert _label(page, f"rnote-{alert.public_id}") == "Resolution note (optional)"
    assert "rnote-why-" not in page and "A note is required" not in page
    assert not re.search(rf'<textarea id="rnote-{alert.public_id}"[^>]* required', page)


def test_a_rems_form_alert_links_to_the_rems_forms_and_offers_no_message_to_the_patient(
    personas: Any, client_for: Any
) -> None:
    alert = make_alert(
        personas.a1,
        severity="urgent",
        source="rems_deadline",
        title="REMS monitoring form overdue (session of Mon 30 Nov)",
        detail="Submit the patient monitoring form by Mon 30 Nov 2026, 10:15 (clinic time, New York).",
    )
    clinician = client_for("clinician_a")
    page = _page(clinician, alert)
    rems = reverse("treatments:rems_due")
    link = re.search(r'data-testid="work-page">.*?<a href="([^"]+)">([^<]+)</a>', page, flags=re.S)
    assert link is not None and link.group(1) == rems
    assert link.group(2).startswith("Open the REMS forms")
    assert clinician.get(rems).status_code == 200
    assert 'data-testid="write-to-patient"' not in page and 'data-testid="reach-patient"' not in page
    # Resolved, the page no longer sends anyone to do it.
    Alert.objects.filter(pk=alert.pk).update(state=Alert.State.RESOLVED)
    assert 'data-testid="work-page"' not in _page(clinician, alert)


def test_an_alert_about_the_patient_still_offers_to_reach_them(personas: Any, client_for: Any) -> None:
    alert = make_alert(personas.a1, severity="urgent", source="side_effect_overdue")
    page = _page(client_for("clinician_a"), alert)
    assert 'data-testid="reach-patient"' in page and 'data-testid="work-page"' not in page


def _phq9(item9: int) -> dict[str, str]:
    return {f"phq9.q{i}": str(item9 if i == 9 else 1) for i in range(1, 10)}


def test_item_9_answered_at_home_reads_no_visit_to_end(personas: Any, client_for: Any) -> None:
    sent = client_for("a1").post(
        reverse("questionnaires:fill", kwargs={"instrument": "phq9"}),
        {"idempotency_key": uuid.uuid4().hex, **_phq9(item9=1)},
    )
    assert sent.status_code == 303
    alert = Alert.objects.get(source=Alert.Source.PHQ9_ITEM9)
    assert "before the visit ends" in alert.detail  # the questionnaire's rule, written for a visit
    page = _page(client_for("clinician_a"), alert)
    assert "before the visit ends" not in page
    assert "complete a structured suicide risk assessment, e.g. the C-SSRS." in page
    assert (
        "Answered at home, not at the chair: contact the patient as soon as you can.</strong> There is no "
        "visit under way: do what the detail above asks when you reach them, by phone or in person."
    ) in page


def test_item_9_of_a_patient_in_the_chair_keeps_the_visit(personas: Any, client_for: Any) -> None:
    sent = client_for("a1").post(
        reverse("questionnaires:fill", kwargs={"instrument": "phq9"}),
        {"idempotency_key": uuid.uuid4().hex, **_phq9(item9=1)},
    )
    assert sent.status_code == 303
    nurse = client_for("clinician_a")
    session = make_planned_session(personas.a1)
    checked_in = nurse.post(
        reverse("treatments:check_in", kwargs={"session_id": session.public_id}),
        {"weight_kg": "70", "fasting_confirmed": "on", "ride_home_confirmed": "on"},
    )
    assert checked_in.status_code == 302
    page = _page(nurse, Alert.objects.get(source=Alert.Source.PHQ9_ITEM9))
    # The visit is under way: its end is the deadline, and the page asks to assess them in person.
    assert "e.g. the C-SSRS, before the visit ends." in page
    assert 'data-testid="assess-in-person"' in page and "There is no visit under way" not in page


def test_a_new_alert_in_the_inbox_was_raised_just_now(personas: Any, client_for: Any) -> None:
    moment = dt.datetime(2026, 12, 7, 12, 33, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        make_alert(personas.a1, title="Fresh one")
        inbox = client_for("clinician_a").get(reverse("alerts:inbox")).content.decode()
    row = next(r for r in re.findall(r"<tr class=\"sev-.*?</tr>", inbox, flags=re.S) if "Fresh one" in r)
    assert ">just now</time>" in row and "0\xa0minutes" not in row
