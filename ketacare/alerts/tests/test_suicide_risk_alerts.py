"""Suicide-risk and emergency alerts, as the clinic staff see and close them.

A patient's words that name a red flag raise an alert titled with the red flag's plain name, whose page
tells the staff how to reach the patient (their numbers and the thread to answer). An emergency or a
PHQ-9 item 9 alert is resolved only with a note saying what was done and the outcome, on the page and
through the API; the other alerts keep an optional one. A PHQ-9 item 9 alert says where and when the
answers came from. The records that raise these alerts stand on higher floors: they are reached by HTTP.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.alerts.tests.helpers import make_alert
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db

PLAN_WORDS = "I keep thinking about ending my life. I have pills saved up."
REQUIRED_LABEL = "Resolution note (required: what was done and the outcome)"


def _page(client: Any, alert: Alert) -> Any:
    return client.get(reverse("alerts:detail", args=[alert.public_id]))


def _unchanged(alert: Alert) -> None:
    alert.refresh_from_db()
    assert alert.state == Alert.State.ACKNOWLEDGED
    assert (alert.resolved_at, alert.resolved_by, alert.resolution_note) == (None, None, "")


def _phq9(item9: int, others: int = 1) -> dict[str, str]:
    return {f"phq9.q{i}": str(item9 if i == 9 else others) for i in range(1, 10)}


# Defect 1: the message alert's title and page


def test_a_message_with_a_suicide_plan_is_titled_in_words_and_its_page_says_how_to_reach_the_patient(
    personas: Any, client_for: Any
) -> None:
    patient = personas.a1
    patient.phone = "+1 555 0142"
    patient.emergency_contact_name = "Bob Canary"
    patient.emergency_contact_phone = "+1 555 0177"
    patient.save(update_fields=["phone", "emergency_contact_name", "emergency_contact_phone"])
    sent = client_for("a1").post(reverse("messaging:thread"), {"idempotency_key": "m1", "body": PLAN_WORDS})
    assert sent.status_code in (200, 302)
    alert = Alert.objects.get(patient=patient, source=Alert.Source.PATIENT_MESSAGE)
    assert alert.severity == Alert.Severity.EMERGENCY
    assert alert.title == "Red flag in a message: Thoughts of suicide with a plan or intent"

    clinician = client_for("clinician_a")
    response = _page(clinician, alert)
    assert response.status_code == 200
    body = response.content.decode()
    assert "suicidal_thoughts" not in body
    assert 'href="tel:+15550142">+1 555 0142</a>' in body
    assert 'Emergency contact (Bob Canary): <a href="tel:+15550177">+1 555 0177</a>' in body
    thread = reverse("messaging:staff_thread", kwargs={"patient_id": str(patient.public_id)})
    link = re.search(r'<a href="([^"]+)" data-testid="thread-link">Answer in the patient', body)
    assert link is not None and link.group(1) == thread
    assert clinician.get(link.group(1)).status_code == 200
    # What to do, for the staff: the red flag from the knowledge base, and the advice labelled as the
    # patient's, not the clinician's instruction.
    assert (
        "Red flag: <strong>Thoughts of suicide with a plan or intent</strong> "
        '<span class="sev sev-emergency">Emergency</span>'
    ) in body
    assert ", level " not in body
    assert 'data-testid="staff-step"><strong>The patient wrote this in the app: contact them now' in body
    assert "The patient was told: “You are not alone" in body


def test_an_alert_page_without_numbers_on_record_says_so(personas: Any, client_for: Any) -> None:
    alert = make_alert(personas.a2, severity="urgent")
    body = _page(client_for("clinician_a"), alert).content.decode()
    assert 'data-testid="reach-patient"' in body and "No phone number on record" in body
    assert 'data-testid="thread-link"' not in body
    # No thread to answer yet: the page still leads to writing to the patient (it says "messages (below)").
    thread = reverse("messaging:staff_thread", kwargs={"patient_id": personas.a2.public_id})
    assert f'<a href="{thread}" data-testid="write-to-patient">' in body


# Defect 2: a resolution note for emergency and suicide-risk alerts


@pytest.mark.parametrize(
    "fields",
    [
        {"severity": Alert.Severity.EMERGENCY, "source": Alert.Source.PATIENT_MESSAGE},
        {"severity": Alert.Severity.URGENT, "source": Alert.Source.PHQ9_ITEM9},
    ],
)
@pytest.mark.parametrize("origin", [{}, {"next": "inbox"}])
def test_the_page_refuses_to_resolve_a_suicide_risk_or_emergency_alert_without_a_note(
    personas: Any, client_for: Any, fields: dict[str, str], origin: dict[str, str]
) -> None:
    alert = make_alert(personas.a1, state=Alert.State.ACKNOWLEDGED, note="Called; will call back.", **fields)
    client = client_for("clinician_a")
    page = _page(client, alert).content.decode()
    form = re.search(r'<form[^>]*action="[^"]*/resolve/".*?</form>', page, flags=re.S)
    assert form is not None and REQUIRED_LABEL in form.group(0)
    assert re.search(
        r'<textarea id="rnote-[^"]+" name="note" rows="2" maxlength="2000" required', form.group(0)
    )

    url = reverse("alerts:resolve", args=[alert.public_id])
    refused = client.post(url, {"note": "   ", **origin})
    assert refused.status_code == 400
    shown = refused.content.decode()
    assert "“Resolution note” is required to resolve this alert: write what was done and the outcome" in shown
    assert 'role="alert"' in shown and 'aria-invalid="true"' in shown
    _unchanged(alert)

    done = client.post(
        url,
        {
            "note": "Risk assessment done; safety plan agreed; patient reached.",
            "outcome": "reached_by_phone",
            "assessed_by": "Dr Ana Ruiz, psychiatrist",
            **origin,
        },
    )
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED
    assert alert.resolution_note == "Risk assessment done; safety plan agreed; patient reached."


def test_the_api_refuses_to_resolve_an_emergency_alert_without_a_note(personas: Any, client_for: Any) -> None:
    alert = make_alert(
        personas.a1, severity=Alert.Severity.EMERGENCY, state=Alert.State.ACKNOWLEDGED, note="Called."
    )
    client = client_for("clinician_a")
    url = f"/api/v1/alerts/{alert.public_id}/resolve"
    refused = client.post(url, {"note": ""})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "note"
    assert "what was done and the outcome" in refused.json()["detail"]
    _unchanged(alert)
    done = client.post(
        url,
        {
            "note": "Patient not reached; crisis team informed.",
            "outcome": "not_reached_escalated",
            "assessed_by": "Nurse Kim Lee",
        },
    )
    assert done.status_code == 200 and done.json()["state"] == "resolved"
    alert.refresh_from_db()
    assert alert.resolution_note == "Patient not reached; crisis team informed."


def test_the_api_refuses_to_resolve_a_phq9_item9_alert_without_a_note(personas: Any, client_for: Any) -> None:
    alert = make_alert(
        personas.a1, source=Alert.Source.PHQ9_ITEM9, state=Alert.State.ACKNOWLEDGED, note="Called."
    )
    refused = client_for("clinician_a").post(f"/api/v1/alerts/{alert.public_id}/resolve", {"note": " "})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "note"
    _unchanged(alert)


def test_only_emergency_and_suicide_risk_alerts_need_the_note_other_alerts_keep_it_optional(
    personas: Any, client_for: Any
) -> None:
    urgent = make_alert(personas.a1, title="Urgent one", state=Alert.State.ACKNOWLEDGED, note="ok")
    emergency = make_alert(
        personas.a2, title="Emergency one", severity="emergency", state=Alert.State.ACKNOWLEDGED, note="ok"
    )
    client = client_for("clinician_a")
    inbox = client.get(reverse("alerts:inbox")).content.decode()
    rows = re.findall(r"<tr class=\"sev-.*?</tr>", inbox, flags=re.S)
    urgent_row = next(r for r in rows if "Urgent one" in r)
    emergency_row = next(r for r in rows if "Emergency one" in r)
    assert "Resolution note (optional)" in urgent_row and REQUIRED_LABEL not in urgent_row
    assert REQUIRED_LABEL in emergency_row
    assert client.post(reverse("alerts:resolve", args=[urgent.public_id]), {"note": ""}).status_code == 302
    assert client.post(reverse("alerts:resolve", args=[emergency.public_id]), {"note": ""}).status_code == 400
    urgent.refresh_from_db()
    assert urgent.state == Alert.State.RESOLVED and urgent.resolution_note == ""
    _unchanged(emergency)


# Defect 3: where and when the PHQ-9 answers came from


def _last_half_past_one(zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The latest 01:30 on the clinic's clock that has passed."""
    local_now = timezone.now().astimezone(zone)
    moment = dt.datetime.combine(local_now.date(), dt.time(1, 30), tzinfo=zone)
    return moment if moment < local_now else moment - dt.timedelta(days=1)


def test_item_9_answered_at_home_at_night_says_so_on_the_alert_page(personas: Any, client_for: Any) -> None:
    zone = zoneinfo.ZoneInfo(personas.clinic_a.time_zone)
    answered = _last_half_past_one(zone)
    with time_machine.travel(answered, tick=False):
        sent = client_for("a1").post(
            reverse("questionnaires:fill", kwargs={"instrument": "phq9"}),
            {"idempotency_key": uuid.uuid4().hex, **_phq9(item9=1)},
        )
    assert sent.status_code == 303
    alert = Alert.objects.get(source=Alert.Source.PHQ9_ITEM9)
    body = _page(client_for("clinician_a"), alert).content.decode()
    when = f"{answered:%A} {answered.day} {answered:%B}, 01:30"
    assert f"Answered by the patient in the app, on {when}" in body
    assert "Answered at home, not at the chair: contact the patient as soon as you can." in body
    # Raised as the answers came in: one time is enough.
    assert "the alert was raised" not in body and 'data-testid="assess-in-person"' not in body
    # The instrument's own message stays, sourced as it is.
    assert "structured suicide risk assessment" in body


def test_item_9_entered_at_the_chair_says_so_on_the_alert_page(personas: Any, client_for: Any) -> None:
    nurse = client_for("clinician_a")
    session = make_planned_session(personas.a1)
    checked_in = nurse.post(
        reverse("treatments:check_in", kwargs={"session_id": session.public_id}),
        {"weight_kg": "70", "fasting_confirmed": "on", "ride_home_confirmed": "on"},
    )
    assert checked_in.status_code == 302
    run_sheet = nurse.get(reverse("treatments:run_sheet", kwargs={"session_id": session.public_id}))
    found = re.search(
        r'data-testid="pdq-phq9".*?/questionnaires/([0-9a-f-]{36})/', run_sheet.content.decode(), flags=re.S
    )
    assert found is not None, "the run sheet offers the PHQ-9 due before the session"
    entered = nurse.post(
        reverse(
            "treatments:pre_dose_questionnaire",
            kwargs={"session_id": session.public_id, "assignment_id": found.group(1)},
        ),
        {"idempotency_key": "chair", **_phq9(item9=2, others=0)},
        HTTP_HX_REQUEST="true",
    )
    assert entered.status_code == 200
    alert = Alert.objects.get(source=Alert.Source.PHQ9_ITEM9)
    body = _page(nurse, alert).content.decode()
    assert "Entered at the chair during a session, on " in body
    assert "Answered at home" not in body and "Answered by the patient in the app" not in body
    # The patient is still in the chair: the step is to assess them there.
    assert (
        'data-testid="assess-in-person"><strong>The patient is in the clinic now: see them and assess '
        "them in person before they leave.</strong>"
    ) in body


def test_the_suicide_red_flags_the_note_rule_names_are_the_knowledge_bases() -> None:
    from ketacare.alerts.services import SUICIDE_RED_FLAGS
    from ketacare.core.knowledge import knowledge

    assert SUICIDE_RED_FLAGS <= set(knowledge().red_flags)


def test_an_alert_with_nobody_assigned_escalated_to_nobody_opens(personas: Any, client_for: Any) -> None:
    # A patient registered without a primary clinician, an escalation with no clinic admin on record.
    alert = make_alert(personas.a1, severity="emergency", source="phq9_item9")
    Alert.objects.filter(pk=alert.pk).update(assignee=None, escalated_at=timezone.now(), escalated_to=None)
    page = client_for("clinician_a").get(reverse("alerts:detail", args=[alert.public_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "nobody (no primary clinician)" in text and "no clinic admin on record" in text


def test_a_resolved_alert_no_longer_asks_staff_to_contact_the_patient(personas: Any, client_for: Any) -> None:
    alert = make_alert(
        personas.a1,
        severity="emergency",
        source="patient_message",
        evidence={"red_flags": ["suicidal_thoughts_with_plan"]},
    )
    clinician = client_for("clinician_a")
    open_page = clinician.get(reverse("alerts:detail", args=[alert.public_id])).content.decode()
    assert 'data-testid="staff-step"' in open_page and ">What to do<" in open_page
    clinician.post(reverse("alerts:acknowledge", args=[alert.public_id]), {"note": "Called"})
    clinician.post(
        reverse("alerts:resolve", args=[alert.public_id]),
        {
            "note": "Seen in person; safety plan",
            "outcome": "assessed_in_person_safe",
            "assessed_by": "Dr Ana Ruiz, psychiatrist",
        },
    )
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED
    page = clinician.get(reverse("alerts:detail", args=[alert.public_id])).content.decode()
    assert 'data-testid="staff-step"' not in page and ">What it was about<" in page
    assert "Thoughts of suicide with a plan or intent" in page  # what it was about stays


# Where the patient is now decides the step; an alert raised long after the answers says both times.

SUNDAY_ANSWERED = dt.datetime(2026, 12, 6, 16, 15, tzinfo=dt.UTC)  # Sunday 11:15 in New York (clinic A)
MONDAY_RAISED = dt.datetime(2026, 12, 7, 9, 22, tzinfo=dt.UTC)  # Monday 04:22 in New York
MONDAY_VISIT = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York


def _answered_in_the_app_on_sunday_raised_on_monday(patient: Any) -> Alert:
    """An item 9 alert a later run raised at 04:22 on Monday about answers given in the app on Sunday."""
    with time_machine.travel(MONDAY_RAISED, tick=False):
        return make_alert(
            patient,
            source=Alert.Source.PHQ9_ITEM9,
            title="PHQ-9 item 9 scored 2: suicide-risk item",
            detail="Complete a structured suicide risk assessment, e.g. the C-SSRS, before the visit ends.",
            evidence={"answered": "app", "answered_at": "2026-12-06 16:15"},
        )


def _check_in(nurse: Any, patient: Any) -> None:
    session = make_planned_session(patient)
    checked_in = nurse.post(
        reverse("treatments:check_in", kwargs={"session_id": session.public_id}),
        {"weight_kg": "70", "fasting_confirmed": "on", "ride_home_confirmed": "on"},
    )
    assert checked_in.status_code == 302


def test_an_app_answer_of_a_patient_in_the_chair_now_asks_to_assess_them_before_they_leave(
    personas: Any, client_for: Any
) -> None:
    alert = _answered_in_the_app_on_sunday_raised_on_monday(personas.a1)
    with time_machine.travel(MONDAY_VISIT, tick=False):
        nurse = client_for("clinician_a")
        _check_in(nurse, personas.a1)
        body = _page(nurse, alert).content.decode()
    assert 'data-testid="at-the-clinic"><strong>In the clinic now</strong>' in body
    assert (
        'data-testid="assess-in-person"><strong>The patient is in the clinic now: see them and assess '
        "them in person before they leave.</strong>"
    ) in body
    # Not the step for a patient at home, which contradicted the detail's "before the visit ends".
    assert "Answered at home" not in body and "contact the patient as soon as you can" not in body
    # Both times, plainly: the answers are 17 hours older than the alert.
    assert (
        "Answered by the patient in the app, on Sunday 6 December, 11:15; "
        "the alert was raised on Monday 7 December, 04:22, 17 hours later"
    ) in body


def test_an_alert_raised_long_after_app_answers_of_a_patient_at_home_says_both_times(
    personas: Any, client_for: Any
) -> None:
    alert = _answered_in_the_app_on_sunday_raised_on_monday(personas.a1)
    with time_machine.travel(MONDAY_VISIT, tick=False):
        body = _page(client_for("clinician_a"), alert).content.decode()
    assert "on Sunday 6 December, 11:15; the alert was raised on Monday 7 December, 04:22" in body
    assert "Answered at home, not at the chair: contact the patient as soon as you can." in body
    assert 'data-testid="assess-in-person"' not in body and 'data-testid="at-the-clinic"' not in body


def test_a_chair_answer_of_a_patient_who_has_left_asks_staff_to_contact_them(
    personas: Any, client_for: Any
) -> None:
    with time_machine.travel(MONDAY_RAISED, tick=False):
        alert = make_alert(
            personas.a1,
            source=Alert.Source.PHQ9_ITEM9,
            evidence={"answered": "chair", "answered_at": "2026-12-07 09:20"},
        )
    with time_machine.travel(MONDAY_VISIT, tick=False):
        body = _page(client_for("clinician_a"), alert).content.decode()
    assert "Entered at the chair during a session, on Monday 7 December, 04:20" in body
    assert "the alert was raised" not in body  # two minutes apart: one time is enough
    assert (
        'data-testid="left-the-clinic"><strong>Entered at the chair, and the patient is no longer in the '
        "clinic: contact them as soon as you can.</strong>"
    ) in body
    assert 'data-testid="assess-in-person"' not in body


def test_a_red_flag_reads_its_level_in_words_and_in_the_chair_asks_to_see_the_patient(
    personas: Any, client_for: Any
) -> None:
    with time_machine.travel(MONDAY_VISIT, tick=False):
        alert = make_alert(
            personas.a1,
            source=Alert.Source.RED_FLAG_CHECKIN,
            title="Red flag in check-in: Pain or blood when passing urine",
            evidence={"red_flags": ["urinary_symptoms"]},
        )
        nurse = client_for("clinician_a")
        at_home = _page(nurse, alert).content.decode()
        _check_in(nurse, personas.a1)
        in_the_chair = _page(nurse, alert).content.decode()
    assert (
        "Red flag: <strong>Pain or blood when passing urine, or needing to go urgently</strong> "
        '<span class="sev sev-urgent">Urgent</span>'
    ) in at_home
    assert "level urgent" not in at_home
    assert "The patient wrote this in the app: contact them now" in at_home
    assert (
        'data-testid="staff-step"><strong>The patient wrote this in the app and is in the clinic now: '
        "see them in person before they leave.</strong>"
    ) in in_the_chair
    assert "contact them now" not in in_the_chair
