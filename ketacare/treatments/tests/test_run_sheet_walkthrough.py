"""What a nurse and a prescriber found walking through the session run-sheet, each fixed and pinned.

Discharge waits for an unresolved suicide-risk or emergency alert (no override passes it); the open
alerts list is ordered by severity and says how many it leaves out; the ride home and fasting are
confirmed at the chair after check-in, which fixes the hold instead of overriding it; an overridden hold
says so, and its alert closes with the override or the fix; the vital-signs form names every bad input
at its field; the discharge override is a prescriber's, with the esketamine note only on esketamine; the
label doses are said once, citing the label's sources only. Service and HTTP alike.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import uuid
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from conftest import login
from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert, resolve_alert
from ketacare.audit.models import AccessEvent
from ketacare.core.protocols import get_protocol
from ketacare.lib.errors import ConflictError
from ketacare.patients import facts
from ketacare.treatments import services
from ketacare.treatments.errors import DischargeRefused
from ketacare.treatments.models import DoseAdministration, TreatmentPlan, TreatmentSession, VitalSign
from ketacare.treatments.services.check_in import update_check_in_confirmations
from ketacare.treatments.services.observation import VitalSignsRefused
from tests.support.pathway import make_nurse
from tests.support.treatments import (
    FRIDAY_MORNING,
    make_session,
    run_sheet,
    skip_pre_dose_questionnaires,
    words,
)

pytestmark = pytest.mark.django_db

START = FRIDAY_MORNING
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
READY = {"ride_present": "on", "instructions_given": "on"}
ASSESSED = "C-SSRS screen done at the chair: low risk, safety plan agreed, crisis line given."


def _post(client: Client, name: str, session: TreatmentSession, data: dict[str, Any]) -> Any:
    return client.post(reverse(f"treatments:{name}", kwargs={"session_id": session.public_id}), data)


def _phq9_item9(patient: Any) -> Alert:
    # Through the facts door, as the chair's own questionnaire entry does (record apps never import each other).
    facts.submit_questionnaire(
        patient=patient,
        instrument_id="phq9",
        answers={f"phq9.q{i}": (2 if i == 9 else 1) for i in range(1, 10)},
        idempotency_key=uuid.uuid4().hex,
        now=START - dt.timedelta(minutes=20),
    )
    return Alert.objects.get(patient=patient, source=Alert.Source.PHQ9_ITEM9)


def _nurse_client(personas: Any) -> Client:
    return login(Client(), make_nurse(personas.clinic_a))


# --- 1. an unresolved suicide-risk or emergency alert holds discharge; no override passes it --------------


def test_the_discharge_service_refuses_while_a_suicide_risk_alert_is_unresolved_even_with_an_override(
    personas: Any, clock: Any
) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=75)
    alert = _phq9_item9(personas.a1)
    with pytest.raises(DischargeRefused) as refused:
        services.discharge_session(
            session=session,
            user=personas.clinician_a,
            ride_present=True,
            instructions_given=True,
            override_reason="Patient is calm and wants to go home",
        )
    [(code, message)] = refused.value.unmet
    assert code == "suicide_risk_alert"
    assert f"\u201c{alert.title}\u201d" in message
    assert "resolve it with what was done (for example the C-SSRS result) first" in message
    session.refresh_from_db()
    assert session.state == "observing" and session.discharged_at is None
    assert session.discharge_override_reason == ""
    assert not Alert.objects.filter(source=Alert.Source.DISCHARGE_OVERRIDE).exists()
    # Resolving the alert records the assessment; then the patient may leave.
    resolve_alert(
        alert=alert,
        user=personas.clinician_a,
        note=ASSESSED,
        outcome="assessed_in_person_safe",
        assessed_by="Dr Lee, prescriber",
    )
    services.discharge_session(
        session=session, user=personas.clinician_a, ride_present=True, instructions_given=True
    )
    session.refresh_from_db()
    assert session.state == "discharged"


def test_an_acknowledged_alert_still_holds_discharge_and_so_does_a_suicide_red_flag(
    personas: Any, clock: Any
) -> None:
    from ketacare.alerts.services import acknowledge_alert

    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=75)
    alert = _phq9_item9(personas.a1)
    acknowledge_alert(alert=alert, user=personas.clinician_a, note="Seen; will assess before discharge")
    with transaction.atomic():
        raise_alert(
            patient=personas.a1,
            source=Alert.Source.PATIENT_MESSAGE,
            severity=Alert.Severity.URGENT,
            title="Message with a red flag: thoughts of suicide",
            dedupe_key="message-red-flag",
            evidence={"red_flags": ["suicidal_thoughts_without_plan"]},
        )
        # An urgent alert of another kind is not a discharge criterion.
        raise_alert(
            patient=personas.a1,
            source=Alert.Source.ADVERSE_EVENT,
            severity=Alert.Severity.URGENT,
            title="Adverse event (severe) during a session",
            dedupe_key="severe-event",
        )
    with pytest.raises(DischargeRefused) as refused:
        services.discharge_session(
            session=session, user=personas.clinician_a, ride_present=True, instructions_given=True
        )
    assert [code for code, _ in refused.value.unmet] == ["suicide_risk_alert", "suicide_risk_alert"]


def test_a_critical_reading_holds_discharge_until_its_emergency_alert_is_resolved(
    personas: Any, clock: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=75)
    prescriber = client_for("clinician_a")
    clock.shift(dt.timedelta(minutes=1))
    _post(
        prescriber,
        "vitals",
        session,
        {"systolic_mmhg": 195, "diastolic_mmhg": 118, "heart_rate_bpm": 90, "spo2_pct": 97},
    )
    _post(
        prescriber,
        "vitals",
        session,
        {"systolic_mmhg": 128, "diastolic_mmhg": 80, "heart_rate_bpm": 76, "spo2_pct": 98},
    )
    emergency = Alert.objects.get(patient=personas.a1, source=Alert.Source.VITAL_SIGN)
    assert emergency.severity == "emergency"
    # The API answers 409 like every refused discharge, naming the alert's criterion.
    api = prescriber.post(
        f"/api/v1/sessions/{session.public_id}/discharge",
        json.dumps({"ride_present": True, "instructions_given": True, "override_reason": "Stable now"}),
        content_type="application/json",
    )
    assert api.status_code == 409
    errors = api.json()["errors"]
    assert [e["field"] for e in errors[1:]] == ["emergency_alert"]
    assert "Critical vital sign during a session" in errors[1]["message"]
    assert "resolve it with what was done" in errors[1]["message"]
    session.refresh_from_db()
    assert session.state == "observing"
    resolve_alert(
        alert=emergency,
        user=personas.clinician_a,
        note="Repeat 128/80 after rest; doctor reviewed.",
        outcome="assessed_in_person_kept",
        assessed_by="Dr Lee, prescriber",
    )
    allowed = prescriber.post(
        f"/api/v1/sessions/{session.public_id}/discharge",
        json.dumps({"ride_present": True, "instructions_given": True}),
        content_type="application/json",
    )
    assert allowed.status_code == 200 and allowed.json()["state"] == "discharged"


def test_the_page_refuses_with_each_alert_linked_and_lists_them_before_the_button(
    personas: Any, clock: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=75)
    alert = _phq9_item9(personas.a1)
    link = reverse("alerts:detail", args=[alert.public_id])
    prescriber = client_for("clinician_a")
    page = run_sheet(prescriber, session).content.decode()
    # In the Discharge card, above the button, and in the live checklist: each a link to the alert.
    card = page[page.index('id="dis-h"') :]
    alerts_box = card[card.index('data-testid="discharge-alerts"') :]
    assert alerts_box.index(f'href="{link}"') < card.index(">Discharge</button>") - (
        len(card) - len(alerts_box)
    )
    checklist = page[page.index('data-testid="unmet"') :]
    assert f'href="{link}"' in checklist[: checklist.index("</ul>")]
    refused = _post(prescriber, "discharge", session, {**READY, "override_reason": "Wants to go home"})
    assert refused.status_code == 422
    body = refused.content.decode()
    box = body[body.index('data-testid="discharge-refused"') :]
    box = box[: box.index("</div>")]
    assert f'href="{link}"' in box
    assert "resolve it with what was done (for example the C-SSRS result) first" in html.unescape(box)
    session.refresh_from_db()
    assert session.state == "observing"
    # A nurse is refused the same way (4xx, the reasons listed).
    nurse = _nurse_client(personas)
    assert _post(nurse, "discharge", session, READY).status_code == 422


# --- 2. the open alerts, most severe first, none silently left out -----------------------------------------


def test_the_open_alerts_are_ordered_by_severity_and_the_rest_are_counted_and_linked(
    personas: Any, clock: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=30)
    raised = [
        ("Chest pain reported", Alert.Source.RED_FLAG_CHECKIN, Alert.Severity.EMERGENCY),
        ("Dosing on hold: an old hold", Alert.Source.DOSING_HOLD, Alert.Severity.URGENT),
        *[
            (f"Contact today number {i}", Alert.Source.MISSED_CHECKIN, Alert.Severity.CONTACT_CLINIC)
            for i in range(10)
        ],
    ]
    for minutes, (title, source, severity) in enumerate(raised):
        # Oldest first: the emergency and the hold are the two oldest of twelve.
        with time_machine.travel(START - dt.timedelta(hours=3) + dt.timedelta(minutes=minutes), tick=False):
            with transaction.atomic():
                raise_alert(
                    patient=personas.a1, source=source, severity=severity, title=title, dedupe_key=title
                )
    page = run_sheet(client_for("clinician_a"), session).content.decode()
    box = page[
        page.index('data-testid="open-alerts"') : page.index(
            "</section>", page.index('data-testid="open-alerts"')
        )
    ]
    listed = re.findall(r"<li><a [^>]*>([^<]+)</a>", box)
    assert listed[:2] == ["Chest pain reported", "Dosing on hold: an old hold"]
    assert len(listed) == 10
    more = re.search(r'data-testid="open-alerts-more"><a href="([^"]+)">([^<]+)</a>', box)
    assert more is not None
    assert more.group(1) == reverse("checkins:staff_checkins", args=[personas.a1.public_id])
    assert more.group(2) == "and 2 more open alerts"


# --- 3 and 4. fixing a hold at the chair, and what an override says ---------------------------------------


def _held_for_ride_and_fasting(patient: Any) -> TreatmentSession:
    session = make_session(patient, route="esketamine_in", state="scheduled")
    services.check_in_session(
        session=session,
        user=patient.primary_clinician,
        weight_kg=70.0,
        fasting_confirmed=False,
        ride_home_confirmed=False,
    )
    skip_pre_dose_questionnaires(session)
    services.record_vital_signs(
        session=session,
        user=patient.primary_clinician,
        systolic_mmhg=124,
        diastolic_mmhg=78,
        heart_rate_bpm=72,
    )
    session.refresh_from_db()
    return session


def _hold_alerts(session: TreatmentSession) -> dict[str, Alert]:
    prefix = f"hold:{session.public_id}:"
    return {
        a.dedupe_key[len(prefix) :]: a
        for a in Alert.objects.filter(dedupe_key__startswith=prefix).order_by("created_at", "id")
    }


def test_a_nurse_confirms_the_ride_and_fasting_after_check_in_and_the_hold_is_fixed(
    personas: Any, clock: Any
) -> None:
    session = _held_for_ride_and_fasting(personas.a1)
    assert set(_hold_alerts(session)) == {"ride_home", "fasting"}
    nurse = make_nurse(personas.clinic_a)
    client = login(Client(), nurse)
    page = words(run_sheet(client, session))
    assert "fasting NOT confirmed · ride home NOT arranged" in page
    assert "confirm the ride or fasting below" in page
    clock.shift(dt.timedelta(minutes=3))
    response = _post(
        client, "check_in_confirmations", session, {"fasting_confirmed": "on", "ride_home_confirmed": "on"}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.fasting_confirmed and session.ride_home_confirmed
    page = words(run_sheet(client, session))
    assert "fasting confirmed · ride home arranged" in page
    # The builder's plan passed the plan gate with a prescriber's override: the ready line says so.
    assert "Hold: do not dose" not in page and "Ready to dose under the prescriber's override of:" in page
    # Audited, naming what was confirmed.
    kinds = set(
        AccessEvent.objects.filter(object_id=str(session.public_id), action="write").values_list(
            "object_type", flat=True
        )
    )
    assert {"check_in_fasting_confirmed", "check_in_ride_home_arranged"} <= kinds
    # Closed with a note saying what fixed it (acknowledged for the prescriber where only a prescriber
    # may resolve a dosing-hold alert, resolved where the alerts service lets the cause resolve it).
    for alert in _hold_alerts(session).values():
        assert _closed_by(alert) == nurse
        assert _closing_note(alert) == (
            "Cause fixed: the hold no longer applies after the check-in was updated: fasting confirmed, "
            "ride home arranged (Nurse A, 10:03)."
        )
    # The hold was fixed, not overridden: the dose goes ahead, and the dose closes nothing twice.
    # (The nurse confirms the plan gate override the run-sheet shows, as the first dose asks them to.)
    dose = services.record_dose(
        session=session, user=nurse, dose_mg=28, lot_number="L1", gate_override_read=True
    )
    assert dose.session.hold_overridden_at is None


def test_a_prescriber_fixing_the_cause_resolves_the_alert_and_a_cause_that_returns_alerts_again(
    personas: Any, clock: Any
) -> None:
    session = _held_for_ride_and_fasting(personas.a1)
    update_check_in_confirmations(
        session=session, user=personas.clinician_a, fasting_confirmed=True, ride_home_confirmed=True
    )
    alerts = _hold_alerts(session)
    assert {a.state for a in alerts.values()} == {"resolved"}
    assert alerts["ride_home"].resolution_note.startswith("Cause fixed: the hold no longer applies")
    # The ride falls through: the hold is back and the prescribers hear of it again.
    update_check_in_confirmations(
        session=session, user=personas.clinician_a, fasting_confirmed=True, ride_home_confirmed=False
    )
    again = _hold_alerts(session)
    assert again["ride_home:2"].state == "open" and again["ride_home"].state == "resolved"


def test_the_check_in_is_not_changed_once_dosing_has_started(
    personas: Any, clock: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, route="iv", state="dosing")
    with pytest.raises(ConflictError, match="before the dose; the session is dosing"):
        update_check_in_confirmations(
            session=session, user=personas.clinician_a, fasting_confirmed=False, ride_home_confirmed=False
        )
    response = _post(client_for("clinician_a"), "check_in_confirmations", session, {})
    assert response.status_code == 422
    assert "Check-in not updated: The ride home and fasting are confirmed" in words(response)
    session.refresh_from_db()
    assert session.ride_home_confirmed and session.fasting_confirmed


def test_an_override_says_dosing_is_allowed_by_it_and_closes_the_hold_alerts(
    personas: Any, clock: Any, client_for: Any
) -> None:
    session = _held_for_ride_and_fasting(personas.a1)
    prescriber = client_for("clinician_a")
    clock.shift(dt.timedelta(minutes=4))
    reason = "Taxi booked by the clinic; fasted since breakfast per the patient"
    assert _post(prescriber, "hold_override", session, {"hold_override_reason": reason}).status_code == 302
    page = words(run_sheet(prescriber, session))
    assert "Ready to dose" not in page
    assert (
        "Dosing allowed by a prescriber's override: No escort or ride home arranged." in page
        and f"(override by {personas.clinician_a} at 10:04: “{reason}”)" in page
    )
    alerts = _hold_alerts(session)
    assert {a.state for a in alerts.values()} == {"resolved"}
    assert alerts["fasting"].resolution_note == (
        f"Dosing allowed by a prescriber's override (override by {personas.clinician_a} at 10:04: “{reason}”)."
    )


def _closing_note(alert: Alert) -> str:
    assert alert.state in ("acknowledged", "resolved"), alert.state
    return alert.resolution_note if alert.state == "resolved" else alert.note


def _closed_by(alert: Alert) -> Any:
    return alert.resolved_by if alert.state == "resolved" else alert.acknowledged_by


def test_a_high_reading_re_measured_normal_closes_its_hold_alerts(personas: Any, clock: Any) -> None:
    session = make_session(personas.a1, route="iv", state="scheduled")
    nurse = make_nurse(personas.clinic_a)
    services.check_in_session(
        session=session, user=nurse, weight_kg=70.0, fasting_confirmed=True, ride_home_confirmed=True
    )
    services.record_vital_signs(session=session, user=nurse, systolic_mmhg=182, diastolic_mmhg=112)
    assert {a.state for a in _hold_alerts(session).values()} == {"open"}
    clock.shift(dt.timedelta(minutes=5))
    services.record_vital_signs(session=session, user=nurse, systolic_mmhg=128, diastolic_mmhg=82)
    for alert in _hold_alerts(session).values():
        assert _closing_note(alert) == (
            "Cause fixed: the hold no longer applies after pre-dose vital signs 128/82 mmHg were recorded "
            "(Nurse A, 10:05)."
        )


def test_dosing_closes_the_hold_alerts_still_open(personas: Any, clock: Any) -> None:
    # A hold whose cause was fixed elsewhere (here the plan made active again) has no event at the chair
    # to close its alert: the dose, which passed the go/no-go, closes it.
    session = make_session(personas.a1, route="iv", state="scheduled")
    TreatmentPlan.objects.filter(pk=session.plan_id).update(status="ended")
    services.check_in_session(
        session=session,
        user=personas.clinician_a,
        weight_kg=70.0,
        fasting_confirmed=True,
        ride_home_confirmed=True,
    )
    skip_pre_dose_questionnaires(session)
    services.record_vital_signs(
        session=session, user=personas.clinician_a, systolic_mmhg=124, diastolic_mmhg=78
    )
    assert _hold_alerts(session)["no_active_plan"].state == "open"
    TreatmentPlan.objects.filter(pk=session.plan_id).update(status="active")
    clock.shift(dt.timedelta(minutes=2))
    services.record_dose(session=session, user=personas.clinician_a, dose_mg=35, lot_number="L1")
    alert = _hold_alerts(session)["no_active_plan"]
    assert alert.state == "resolved" and alert.resolution_note == (
        f"Cause fixed: the hold no longer applies after dosing started ({personas.clinician_a}, 10:02)."
    )
    assert DoseAdministration.objects.filter(session=session).count() == 1


# --- 5. every bad vital sign named at its field ------------------------------------------------------------


def _field_chunk(body: str, field: str) -> str:
    """The form field's own block on the page (its input and the errors under it)."""
    start = body.index(f'id="vitals_form_{field}"')
    start = body.rindex('<div class="field', 0, start)
    end = body.find('<div class="field', start + 1)
    return body[start : end if end != -1 else len(body)]


def test_every_bad_vital_is_named_at_its_field_and_nothing_is_written(
    personas: Any, clock: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=30)
    checked_in = session.checked_in_at.astimezone(NEW_YORK)
    day_before = checked_in - dt.timedelta(days=1)
    count = VitalSign.objects.count()
    response = _post(
        client_for("clinician_a"),
        "vitals",
        session,
        {
            "systolic_mmhg": 20,
            "diastolic_mmhg": 5,
            "heart_rate_bpm": 400,
            "spo2_pct": 150,
            "measured_at": day_before.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 422
    body = html.unescape(response.content.decode())
    expected = {
        "systolic_mmhg": "20 is out of range 50–300 mmHg",
        "diastolic_mmhg": "5 is out of range 20–200 mmHg",
        "heart_rate_bpm": "400 is out of range 20–250 /min",
        "spo2_pct": "150 is out of range 50–100 %",
        # The days differ, so both times carry their date.
        "measured_at": (
            f"{day_before:%a %-d %b %H:%M} is before the session started (check-in {checked_in:%a %-d %b %H:%M})"
        ),
    }
    for field, message in expected.items():
        assert f'<span class="field-error" role="alert">{message}</span>' in _field_chunk(body, field), field
    assert VitalSign.objects.count() == count


def test_a_diastolic_above_the_systolic_says_which_is_which(
    personas: Any, clock: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=30)
    earlier = session.checked_in_at.astimezone(NEW_YORK) - dt.timedelta(minutes=30)
    response = _post(
        client_for("clinician_a"),
        "vitals",
        session,
        {"systolic_mmhg": 80, "diastolic_mmhg": 120, "measured_at": earlier.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 422
    body = html.unescape(response.content.decode())
    assert "Diastolic 120 mmHg must be below the systolic 80 mmHg" in _field_chunk(body, "diastolic_mmhg")
    # The same day: the time alone.
    assert (
        f"{earlier:%H:%M} is before the session started (check-in {session.checked_in_at.astimezone(NEW_YORK):%H:%M})"
        in _field_chunk(body, "measured_at")
    )


def test_the_service_and_the_api_name_every_refused_vital(personas: Any, clock: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=30)
    with pytest.raises(VitalSignsRefused) as refused:
        services.record_vital_signs(
            session=session, user=personas.clinician_a, systolic_mmhg=20, diastolic_mmhg=5, heart_rate_bpm=400
        )
    assert [e.field for e in refused.value.errors] == ["systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm"]
    response = client_for("clinician_a").post(
        f"/api/v1/sessions/{session.public_id}/vitals",
        json.dumps({"systolic_mmhg": 20, "diastolic_mmhg": 5, "spo2_pct": 150}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["systolic_mmhg", "diastolic_mmhg", "spo2_pct"]


# --- 6. the discharge override is a prescriber's, and the esketamine note is for esketamine ----------------


def test_a_nurse_sees_no_override_field_and_a_reason_sent_anyway_is_refused_not_dropped(
    personas: Any, clock: Any
) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=75)
    nurse = _nurse_client(personas)
    page = run_sheet(nurse, session).content.decode()
    assert 'name="override_reason"' not in page
    refused = _post(nurse, "discharge", session, {**READY, "override_reason": "Patient insists"})
    assert refused.status_code == 422
    assert "Only a prescriber can override discharge criteria, so the override reason was not used" in words(
        refused
    )
    session.refresh_from_db()
    assert session.state == "observing" and session.discharge_override_reason == ""
    assert _post(nurse, "discharge", session, READY).status_code == 302


def test_the_esketamine_minimum_is_named_only_on_an_esketamine_run_sheet(
    personas: Any, clock: Any, client_for: Any
) -> None:
    prescriber = client_for("clinician_a")
    iv = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=30)
    nasal = make_session(personas.a2, route="esketamine_in", state="observing", minutes_since_dose_end=30)
    iv_page = words(run_sheet(prescriber, iv))
    assert "Prescriber override reason" in iv_page and "minimum observation" not in iv_page
    nasal_page = words(run_sheet(prescriber, nasal))
    assert (
        "Prescriber override reason (not possible for this route's 120-minute minimum observation)"
        in nasal_page
    )


# --- 7. the label doses, said once, from the label's sources -----------------------------------------------


def test_the_label_doses_are_said_once_and_cite_only_the_label_and_professional_sources(
    personas: Any, client_for: Any
) -> None:
    with time_machine.travel(START - dt.timedelta(days=3), tick=False):
        make_session(personas.a1, route="esketamine_in", state="discharged", minutes_since_dose_end=125)
    with time_machine.travel(START, tick=False):
        session = make_session(personas.a1, route="esketamine_in", state="checked_in")
        page = run_sheet(client_for("clinician_a"), session).content.decode()
    paragraph = page[page.index('data-testid="label-dose-options"') :]
    paragraph = html.unescape(paragraph[: paragraph.index("</p>")])
    assert "<strong>56 mg or 84 mg</strong> after 56 mg (prescriber decides;" in paragraph
    assert strip_tags(paragraph).count("56 mg or 84 mg") == 1
    assert "SPRAVATO HCP, Dosing" in paragraph and "MIMS Hong Kong" in paragraph
    assert "Healthline" not in paragraph
    # The device rule (28 mg a device, 5 minutes between, 28 mg steps, 84 mg only after 56 mg) cites the
    # SPRAVATO HCP page and the MIMS monograph, no consumer site.
    assert get_protocol("esketamine_trd").device.cited.sources == ("HCP-Dose3", "MIMS-HK")


def test_a_nasal_spray_dose_form_asks_no_infusion_stop_time(personas: Any, client_for: Any) -> None:
    nasal = make_session(personas.a1, route="esketamine_in", state="checked_in")
    infusion = make_session(personas.a2, route="iv", state="checked_in")
    client = client_for("clinician_a")
    nasal_page = run_sheet(client, nasal).content.decode()
    infusion_page = run_sheet(client, infusion).content.decode()
    assert "Stopped at (IV" not in nasal_page and "stopping an infusion" not in nasal_page
    assert "Stopped at (IV; blank while running)" in infusion_page


def test_before_the_dose_the_run_sheet_names_an_unresolved_emergency_and_does_not_say_ready(
    personas: Any, clock: Any
) -> None:
    # A chest-pain message from home this morning: the dose service refuses; the sheet says so first.
    session = make_session(personas.a1, route="iv", state="checked_in")
    alert = raise_alert(
        patient=personas.a1,
        source=Alert.Source.RED_FLAG_CHECKIN,
        severity=Alert.Severity.EMERGENCY,
        title="Red flag in a message: chest pain",
        detail="my chest feels tight since I got home",
        dedupe_key="test:chest-message",
    )
    nurse = login(Client(), make_nurse(personas.clinic_a))
    page = run_sheet(nurse, session).content.decode()
    box = page.split('data-testid="dose-blocking-alerts"', 1)[1].split("</div>", 1)[0]
    assert reverse("alerts:detail", args=[alert.public_id]) in box
    assert "Red flag in a message: chest pain" in html.unescape(box)
    assert 'data-testid="go"' not in page
    resolve_alert(
        alert=alert,
        user=personas.clinician_a,
        note="Called: pain was a strained muscle, settled.",
        outcome="reached_by_phone",
        assessed_by="Nurse Kim",
    )
    after = run_sheet(nurse, session).content.decode()
    assert 'data-testid="dose-blocking-alerts"' not in after and 'data-testid="go"' in after
