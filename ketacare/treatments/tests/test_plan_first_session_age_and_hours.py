"""The plan page and API refuse a first session in the past, plan for a minor only with a reason (never
esketamine), and book outside the clinic's opening hours only once the prescriber confirms it.

Clinic A (the personas) is in America/New_York; the clock stands on Monday 7 December 2026, 10:15 there.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import OpeningHours
from ketacare.patients.models import Patient
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 15, 15, tzinfo=dt.UTC)  # Mon 7 Dec 2026 10:15 in New York
GATE_REASON = "Screening, decision and consent are on paper for this test."
ADULT_TEXT = "licensed for adults (18 and over) only"


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _page(personas: Any) -> str:
    return reverse("treatments:plan", kwargs={"patient_id": personas.a1.public_id})


def _api(personas: Any) -> str:
    return f"/api/v1/patients/{personas.a1.public_id}/plans"


def _form(**extra: str) -> dict[str, str]:
    return {
        "protocol_id": "iv_ketamine",
        "first_session_at": "2026-12-08T09:00",
        "weight_kg": "70",
        "maintenance_policy": "decide_at_review",
        "hepatic_impairment": "none",
        "gate_override_reason": GATE_REASON,
        **extra,
    }


def _api_post(client: Any, url: str, **extra: Any) -> Any:
    body = {
        "protocol_id": "iv_ketamine",
        "first_session_at": "2026-12-08T09:00:00-05:00",
        "weight_kg": 70,
        "gate_override_reason": GATE_REASON,
        **extra,
    }
    return client.post(url, json.dumps(body), content_type="application/json")


def _nothing_written() -> bool:
    return not (
        TreatmentPlan.objects.exists() or Appointment.objects.exists() or TreatmentSession.objects.exists()
    )


def _born(personas: Any, born: dt.date) -> None:
    Patient.objects.filter(pk=personas.a1.pk).update(date_of_birth=born)


def _weekdays_8_to_18(personas: Any) -> None:
    for weekday in range(5):
        OpeningHours.objects.create(
            clinic=personas.clinic_a, weekday=weekday, opens_at=dt.time(8, 0), closes_at=dt.time(18, 0)
        )


# --- The first session: from now to two years ahead ------------------------------------------------


def test_a_first_session_five_weeks_ago_is_refused_in_words_and_nothing_is_booked(personas, client_for):
    response = client_for("clinician_a").post(_page(personas), _form(first_session_at="2026-11-01T09:00"))
    assert response.status_code == 422
    text = response.content.decode()
    assert (
        "First session: Sun 1 Nov 2026 09:00 is in the past; choose a time from today "
        "(now Mon 7 Dec 2026 10:15, clinic time) to 2 years ahead (Wed 6 Dec 2028 10:15)"
    ) in text
    assert _nothing_written()


def test_a_first_session_more_than_two_years_ahead_is_refused(personas, client_for):
    response = client_for("clinician_a").post(_page(personas), _form(first_session_at="2029-01-08T09:00"))
    assert response.status_code == 422
    assert "First session: Mon 8 Jan 2029 09:00 is more than 2 years ahead" in response.content.decode()
    assert _nothing_written()


def test_a_first_session_late_yesterday_is_refused(personas, client_for):
    response = client_for("clinician_a").post(_page(personas), _form(first_session_at="2026-12-06T23:30"))
    assert response.status_code == 422
    assert "First session: Sun 6 Dec 2026 23:30 is in the past" in response.content.decode()
    assert _nothing_written()


def test_a_first_session_earlier_today_is_still_accepted(personas, client_for):
    # A session held this morning may be planned after it; the form also opens at "now" and is saved later.
    response = client_for("clinician_a").post(_page(personas), _form(first_session_at="2026-12-07T08:30"))
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get(patient=personas.a1)
    assert plan.appointments.order_by("starts_at").first().starts_at == dt.datetime(
        2026, 12, 7, 13, 30, tzinfo=dt.UTC
    )


def test_the_api_refuses_a_first_session_in_the_past_naming_the_field(personas, client_for):
    answer = _api_post(
        client_for("clinician_a"), _api(personas), first_session_at="2026-11-01T09:00:00-05:00"
    )
    assert answer.status_code == 422, answer.content
    error = answer.json()["errors"][0]
    assert error["field"] == "first_session_at"
    assert error["message"].startswith(
        "First session: Sun 1 Nov 2026 09:00 is in the past; choose a time from today"
    )
    assert _nothing_written()


# --- A patient under 18 on the day of the first session ---------------------------------------------


def test_the_plan_page_shows_the_patients_age_next_to_the_weight(personas, client_for):
    page = client_for("clinician_a").get(_page(personas)).content.decode()
    facts = page[page.index('data-testid="plan-patient-facts"') :]
    facts = facts[: facts.index("</dl>")]
    assert "46 (born 17 May 1980)" in facts and "Weight" in facts
    _born(personas, dt.date(2020, 3, 1))
    page = client_for("clinician_a").get(_page(personas)).content.decode()
    assert "6 (born 1 Mar 2020) · under 18" in page


def test_an_iv_plan_for_a_six_year_old_needs_a_prescribers_reason(personas, client_for):
    _born(personas, dt.date(2020, 3, 1))
    client = client_for("clinician_a")
    refused = client.post(_page(personas), _form())
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "The patient is 6 on the day of the first session (Tue 8 Dec 2026)" in text
    assert "under 18 is outside the evidence KetaCare cites (studied in adults)" in text
    assert _nothing_written()

    reason = "Child psychiatry team decision after a case review; parents consented."
    created = client.post(_page(personas), _form(finding_reason=reason))
    assert created.status_code == 302
    plan = TreatmentPlan.objects.get(patient=personas.a1)
    under_18 = [f for f in plan.findings if f["code"] == "under_18"]
    assert len(under_18) == 1 and under_18[0]["reason"] == reason
    assert AccessEvent.objects.filter(
        object_type="plan_under_18_reason", object_id=str(plan.public_id), outcome="granted"
    ).exists()
    page = client.get(_page(personas)).content.decode()
    findings = page[page.index('data-testid="plan-findings"') :]
    assert "The patient is 6" in findings and reason in findings


def test_esketamine_is_refused_outright_for_a_minor_even_with_a_reason(personas, client_for):
    _born(personas, dt.date(2010, 6, 1))
    response = client_for("clinician_a").post(
        _page(personas),
        _form(protocol_id="esketamine_trd", weight_kg="", finding_reason="The family insists."),
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert ADULT_TEXT in text and "the patient is 16 on the day of the first session" in text
    assert _nothing_written()


def test_the_age_that_counts_is_on_the_day_of_the_first_session(personas, client_for):
    _born(personas, dt.date(2008, 12, 10))  # 18 on Thu 10 Dec 2026
    client = client_for("clinician_a")
    assert client.post(_page(personas), _form(first_session_at="2026-12-09T09:00")).status_code == 422
    assert _nothing_written()
    created = client.post(
        _page(personas),
        _form(protocol_id="esketamine_trd", weight_kg="", first_session_at="2026-12-10T09:00"),
    )
    assert created.status_code == 302
    assert TreatmentPlan.objects.get(patient=personas.a1).findings == []


def test_the_api_refuses_a_minors_plan_the_same_way(personas, client_for):
    _born(personas, dt.date(2020, 3, 1))
    client = client_for("clinician_a")
    esketamine = _api_post(client, _api(personas), protocol_id="esketamine_trd", weight_kg=None)
    assert esketamine.status_code == 422
    assert esketamine.json()["errors"][0]["field"] == "protocol_id"
    assert ADULT_TEXT in esketamine.json()["detail"]
    iv = _api_post(client, _api(personas))
    assert iv.status_code == 409
    assert iv.json()["errors"][0]["field"] == "finding_reason"
    assert "The patient is 6" in iv.json()["detail"]
    assert _nothing_written()
    assert _api_post(client, _api(personas), finding_reason="Case review decision.").status_code == 201


# --- Appointments outside the clinic's opening hours ------------------------------------------------


def test_a_plan_at_two_in_the_morning_needs_the_confirmation_before_anything_is_booked(personas, client_for):
    _weekdays_8_to_18(personas)
    client = client_for("clinician_a")
    refused = client.post(_page(personas), _form(first_session_at="2026-12-08T02:00"))
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "6 of the 6 appointments would fall outside the clinic&#x27;s opening hours" in text
    assert "Tue 8 Dec 2026 02:00" in text and "Book outside opening hours anyway" in text
    assert _nothing_written()

    created = client.post(
        _page(personas), _form(first_session_at="2026-12-08T02:00", book_outside_hours="on"), follow=True
    )
    text = created.content.decode()
    assert "Treatment plan created." in text
    # Still a warning once booked: the appointments are marked on the plan.
    assert "6 booked appointments fall outside the clinic&#x27;s opening hours" in text
    plan = TreatmentPlan.objects.get(patient=personas.a1)
    assert [f["code"] for f in plan.findings] == ["outside_opening_hours"]


def test_a_plan_inside_the_hours_needs_no_confirmation(personas, client_for):
    _weekdays_8_to_18(personas)
    # From a Monday the default IV course falls on Mondays, Wednesdays and Fridays, 09:00-10:55.
    response = client_for("clinician_a").post(_page(personas), _form(first_session_at="2026-12-14T09:00"))
    assert response.status_code == 302
    assert TreatmentPlan.objects.get(patient=personas.a1).findings == []


def test_the_api_asks_for_book_outside_hours(personas, client_for):
    _weekdays_8_to_18(personas)
    client = client_for("clinician_a")
    refused = _api_post(client, _api(personas), first_session_at="2026-12-13T09:00:00-05:00")  # a Sunday
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "book_outside_hours"
    assert _nothing_written()
    created = _api_post(
        client, _api(personas), first_session_at="2026-12-13T09:00:00-05:00", book_outside_hours=True
    )
    assert created.status_code == 201, created.content
