"""A run-sheet correction says who, when and why (good documentation practice).

Marking a vital-signs set, an observation or an adverse event entered in error takes two steps on the
page (open "Entered in error…", say why, submit) and a reason through the API; the entry stays on the
run-sheet, struck through, with "Entered in error by <who> at <time>: <reason>". No reason, or a second
correction of the same entry, changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.lib.errors import ConflictError, FieldError
from ketacare.treatments import services
from ketacare.treatments.models import AdverseEvent, Observation, TreatmentSession, VitalSign
from ketacare.treatments.templatetags.clinic_time import when
from tests.support.pathway import make_nurse
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

REASON = "Cuff was on the other patient's arm"


def _sheet(session: TreatmentSession) -> str:
    return reverse("treatments:run_sheet", kwargs={"session_id": session.public_id})


def _mark_url(session: TreatmentSession) -> str:
    return reverse("treatments:entered_in_error", kwargs={"session_id": session.public_id})


def _nurse(personas: Any) -> tuple[Any, Client]:
    nurse = make_nurse(personas.clinic_a)
    return nurse, login(Client(), nurse)


def _untouched(entry: Any) -> bool:
    entry.refresh_from_db()
    return (
        not entry.entered_in_error
        and entry.entered_in_error_reason == ""
        and entry.entered_in_error_by_id is None
        and entry.entered_in_error_at is None
    )


def _clinic_time(session: TreatmentSession, at: dt.datetime) -> str:
    """The time as the page's `|when` filter shows it (the clinic's wall clock)."""
    with timezone.override(zoneinfo.ZoneInfo(session.clinic.time_zone)):
        return when(at)


def _row(body: str, entry: Any) -> str:
    """The table row (or adverse-event paragraph and its control) of `entry`."""
    key = str(entry.public_id)
    index = body.index(key)
    start = max(body.rfind("<tr", 0, index), body.rfind("<p", 0, index))
    end = body.find("</tr>", index)
    return body[start : end if end != -1 else index + 2000]


def test_a_nurse_marks_a_vital_with_a_reason_and_the_row_says_who_when_and_why(personas):
    nurse, client = _nurse(personas)
    session = make_session(personas.a1, state="observing")
    vital = session.vitals.filter(kind="in_session").latest("measured_at")

    page = client.get(_sheet(session)).content.decode()
    # The control is two steps: a disclosure with a required, labelled reason, not a one-click button.
    row = _row(page, vital)
    assert "<summary>Entered in error…</summary>" in row
    assert f'<label for="eie-reason-{vital.public_id}">Why is this entry wrong?</label>' in row
    field = re.search(rf'<input id="eie-reason-{vital.public_id}"[^>]*>', row)
    assert field and 'name="reason"' in field[0] and 'maxlength="500"' in field[0] and "required" in field[0]
    assert ">Mark as entered in error</button>" in row
    ids = re.findall(r'id="(eie-reason-[0-9a-f-]+)"', page)
    assert len(ids) == session.vitals.count() + session.observations.count() and len(set(ids)) == len(ids)

    before = timezone.now()
    response = client.post(
        _mark_url(session),
        {"kind": "vital", "entry_id": str(vital.public_id), "reason": REASON},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    vital.refresh_from_db()
    assert vital.entered_in_error
    assert vital.entered_in_error_reason == REASON
    assert vital.entered_in_error_by_id == nurse.pk
    assert before <= vital.entered_in_error_at <= timezone.now()

    for body in (response.content.decode(), client.get(_sheet(session)).content.decode()):
        row = _row(body, vital)
        assert row.startswith('<tr class="in-error">')
        expected = f"Entered in error by Nurse A at {_clinic_time(session, vital.entered_in_error_at)}: "
        assert expected + "Cuff was on the other patient&#x27;s arm" in row
        assert f'id="eie-reason-{vital.public_id}"' not in row  # marked once: no second control


def test_the_reason_is_shown_as_text_and_without_htmx_the_page_redirects(personas, client_for):
    session = make_session(personas.a1, state="observing")
    vital = session.vitals.filter(kind="in_session").latest("measured_at")
    client = client_for("clinician_a")
    response = client.post(
        _mark_url(session),
        {"kind": "vital", "entry_id": str(vital.public_id), "reason": "<b>wrong</b> patient"},
    )
    assert response.status_code == 302 and response["Location"] == _sheet(session)
    row = _row(client.get(_sheet(session)).content.decode(), vital)
    assert "Entered in error by Clinician A at " in row
    assert "&lt;b&gt;wrong&lt;/b&gt; patient" in row and "<b>wrong</b>" not in row


@pytest.mark.parametrize("reason", [None, "", "   \n "])
def test_without_a_reason_nothing_changes_and_the_reason_field_says_so(personas, reason):
    _, client = _nurse(personas)
    session = make_session(personas.a1, state="observing")
    vital = session.vitals.filter(kind="in_session").latest("measured_at")
    data = {"kind": "vital", "entry_id": str(vital.public_id)}
    if reason is not None:
        data["reason"] = reason

    response = client.post(_mark_url(session), data)

    # The run-sheet's form errors come back on the page (422 without htmx, as every run-sheet form).
    assert response.status_code == 422
    assert _untouched(vital)
    row = _row(response.content.decode(), vital)
    assert '<details class="error-correction" open>' in row  # the nurse's form stays open
    error = re.search(rf'id="eie-reason-{vital.public_id}-error">([^<]*)<', row)
    assert error and "Say why the entry is wrong" in error[1] and "500" in error[1]
    assert f'aria-describedby="eie-reason-{vital.public_id}-error"' in row

    with_htmx = client.post(_mark_url(session), data, HTTP_HX_REQUEST="true")
    assert with_htmx.status_code == 200 and "Say why the entry is wrong" in with_htmx.content.decode()
    assert _untouched(vital)


def test_the_service_requires_a_reason_of_at_most_500_characters(personas):
    session = make_session(personas.a1, state="observing")
    vital = session.vitals.latest("measured_at")
    for reason in ("", "  ", "x" * 501):
        with pytest.raises(FieldError) as refused:
            services.mark_entered_in_error(
                session=session, user=personas.clinician_a, kind="vital", entry_id=str(vital.public_id),
                reason=reason,
            )  # fmt: skip
        assert refused.value.field == "reason" and "500" in refused.value.message
        assert _untouched(vital)
    services.mark_entered_in_error(
        session=session, user=personas.clinician_a, kind="vital", entry_id=str(vital.public_id),
        reason="  " + "x" * 500 + "  ",
    )  # fmt: skip
    vital.refresh_from_db()
    assert vital.entered_in_error and vital.entered_in_error_reason == "x" * 500


def test_marking_an_entry_twice_is_refused_and_the_first_correction_stands(personas, client_for):
    session = make_session(personas.a1, state="observing")
    vital = session.vitals.filter(kind="in_session").latest("measured_at")
    first = client_for("clinician_a")
    first.post(_mark_url(session), {"kind": "vital", "entry_id": str(vital.public_id), "reason": REASON})
    vital.refresh_from_db()
    stored = (vital.entered_in_error_reason, vital.entered_in_error_by_id, vital.entered_in_error_at)
    assert vital.entered_in_error and stored[0] == REASON

    _, second = _nurse(personas)
    response = second.post(
        _mark_url(session), {"kind": "vital", "entry_id": str(vital.public_id), "reason": "Typed twice"}
    )
    assert response.status_code == 422
    refusal = re.search(r'data-testid="in-error-refused">(.*?)</div>', response.content.decode(), re.S)
    assert refusal and "already marked as entered in error" in refusal[1]
    vital.refresh_from_db()
    assert (vital.entered_in_error_reason, vital.entered_in_error_by_id, vital.entered_in_error_at) == stored

    with pytest.raises(ConflictError) as conflict:
        services.mark_entered_in_error(
            session=session, user=personas.clinician_a, kind="vital", entry_id=str(vital.public_id),
            reason="Again",
        )  # fmt: skip
    assert conflict.value.field == "entry_id"
    vital.refresh_from_db()
    assert (vital.entered_in_error_reason, vital.entered_in_error_by_id, vital.entered_in_error_at) == stored


def test_an_observation_and_an_adverse_event_can_be_marked_from_the_page(personas):
    nurse, client = _nurse(personas)
    session = make_session(personas.a1, state="observing")
    observation = session.observations.get()
    recorded = client.post(
        reverse("treatments:adverse_event", kwargs={"session_id": session.public_id}),
        {"description": "Nausea", "severity": "mild", "action_taken": "Ondansetron 4 mg"},
    )
    assert recorded.status_code == 302
    event = session.adverse_events.get()

    page = client.get(_sheet(session)).content.decode()
    for entry, kind in ((observation, "observation"), (event, "adverse_event")):
        assert f'<label for="eie-reason-{entry.public_id}">Why is this entry wrong?</label>' in page
        assert (
            f'<input type="hidden" name="kind" value="{kind}"><input type="hidden" name="entry_id" value="{entry.public_id}">'
            in page
        )

    reasons = {"observation": "Scored for the patient in chair 2", "adverse_event": "Nausea was chair 2's"}
    for entry, kind in ((observation, "observation"), (event, "adverse_event")):
        response = client.post(
            _mark_url(session),
            {"kind": kind, "entry_id": str(entry.public_id), "reason": reasons[kind]},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        entry.refresh_from_db()
        assert entry.entered_in_error and entry.entered_in_error_reason == reasons[kind]
        assert entry.entered_in_error_by_id == nurse.pk and entry.entered_in_error_at is not None

    body = client.get(_sheet(session)).content.decode()
    observation_row = _row(body, observation)
    assert observation_row.startswith('<tr class="in-error">')
    assert f"Entered in error by Nurse A at {_clinic_time(session, observation.entered_in_error_at)}: " in (
        observation_row
    )
    assert "Scored for the patient in chair 2" in observation_row
    event_text = _row(body, event)
    assert event_text.startswith('<p class="in-error">')
    assert "Nausea was chair 2&#x27;s" in event_text
    assert (
        f'id="eie-reason-{event.public_id}"' not in body
        and f'id="eie-reason-{observation.public_id}"' not in body
    )
    # The original entries stay as they were recorded.
    assert Observation.objects.filter(pk=observation.pk, moaas_score=5).exists()
    assert AdverseEvent.objects.filter(pk=event.pk, description="Nausea").exists()


def test_an_entry_marked_before_reasons_were_recorded_still_reads_entered_in_error(personas, client_for):
    session = make_session(personas.a1, state="observing")
    vital = session.vitals.filter(kind="in_session").latest("measured_at")
    VitalSign.objects.filter(pk=vital.pk).update(entered_in_error=True)
    row = _row(client_for("clinician_a").get(_sheet(session)).content.decode(), vital)
    assert row.startswith('<tr class="in-error">')
    assert f'data-entry="{vital.public_id}">Entered in error</span>' in row


def _api_mark(client: Client, session: TreatmentSession, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/sessions/{session.public_id}/entered-in-error",
        json.dumps(body),
        content_type="application/json",
    )


def test_through_the_api_a_reason_is_required_and_the_session_shows_the_correction(personas, client_for):
    session = make_session(personas.a1, state="observing")
    vital = session.vitals.filter(kind="in_session").latest("measured_at")
    client = client_for("clinician_a")
    base = {"kind": "vital", "entry_id": str(vital.public_id)}

    for body in (base, {**base, "reason": ""}, {**base, "reason": "  "}, {**base, "reason": "x" * 501}):
        refused = _api_mark(client, session, body)
        assert refused.status_code == 422, refused.content
        assert "reason" in json.dumps(refused.json()["errors"]), refused.json()
        assert _untouched(vital)

    marked = _api_mark(client, session, {**base, "reason": REASON})
    assert marked.status_code == 200, marked.content
    vital.refresh_from_db()
    assert vital.entered_in_error and vital.entered_in_error_by_id == personas.clinician_a.pk
    shown = next(v for v in marked.json()["vitals"] if v["public_id"] == str(vital.public_id))
    assert shown["entered_in_error"] is True
    assert shown["entered_in_error_reason"] == REASON
    assert shown["entered_in_error_by"] == "Clinician A"
    # The API writes times to the millisecond.
    shown_at = dt.datetime.fromisoformat(shown["entered_in_error_at"])
    assert abs(shown_at - vital.entered_in_error_at) < dt.timedelta(milliseconds=1)
    others = [v for v in marked.json()["vitals"] if v["public_id"] != str(vital.public_id)]
    assert others and all(
        v["entered_in_error_reason"] == ""
        and v["entered_in_error_by"] is None
        and v["entered_in_error_at"] is None
        for v in others
    )

    again = _api_mark(client, session, {**base, "reason": "Typed twice"})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "entry_id"
    vital.refresh_from_db()
    assert vital.entered_in_error_reason == REASON


def test_a_pre_dose_vital_marked_in_error_re_derives_the_hold_from_the_remaining_baseline(personas):
    _, client = _nurse(personas)
    session = make_session(personas.a1, state="checked_in", hold=True)
    assert session.hold
    high = session.vitals.get()
    # A re-measured normal set lifts the hold ...
    client.post(
        reverse("treatments:vitals", kwargs={"session_id": session.public_id}),
        {"systolic_mmhg": 124, "diastolic_mmhg": 78, "heart_rate_bpm": 70, "spo2_pct": 98},
        HTTP_HX_REQUEST="true",
    )
    session.refresh_from_db()
    assert not session.hold
    normal = session.vitals.exclude(pk=high.pk).get()
    assert normal.kind == "pre_dose"

    # ... and marking it entered in error brings back the hold of the remaining baseline.
    response = client.post(
        _mark_url(session),
        {"kind": "vital", "entry_id": str(normal.public_id), "reason": "Measured on the wrong patient"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.hold and session.hold_reasons == high.flags
    assert any(f["level"] == "hold" for f in session.hold_reasons)
    assert 'data-testid="dose-holds"' in response.content.decode()
    normal.refresh_from_db()
    assert normal.entered_in_error and normal.entered_in_error_reason == "Measured on the wrong patient"
