"""A second dose less than 24 hours after another is held, naming the first dose, until a prescriber
overrides the hold with a reason that the person recording the dose confirms they have read.

A tester found two IV infusions of one patient 3 hours apart on one day (35 mg at 09:15 and 35 mg at
12:27) with nothing said anywhere: the morning's discharge sheet ("no driving before ...") no longer
held. The hold said only "The last dose was 1.7 h ago", counted from the check-in, and missed a dose
given in another session after this one was checked in. Page and API alike.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.alerts.models import Alert
from ketacare.treatments import services
from ketacare.treatments.models import DoseAdministration, TreatmentSession
from tests.support.pathway import make_nurse
from tests.support.treatments import make_session, run_sheet, staff_of, words

pytestmark = pytest.mark.django_db

REASON = "Discussed with the patient: the morning infusion was stopped at 5 minutes for a line problem."


def _dose(client: Client, session: TreatmentSession, **extra: str) -> Any:
    return client.post(
        reverse("treatments:dose", kwargs={"session_id": session.public_id}),
        {"dose_mg": "35", "lot_number": "L2", "gate_override_read": "on", **extra},
    )


def _first_dose_words(session: TreatmentSession) -> str:
    """ "35 mg IV ketamine infusion started 06:50 today", as the clinic's clock shows the first dose."""
    dose = DoseAdministration.objects.get(session=session)
    zone = zoneinfo.ZoneInfo(session.clinic.time_zone)
    return f"35 mg IV ketamine infusion started {dose.started_at.astimezone(zone):%H:%M} today"


def _dosed_this_morning(personas: Any) -> TreatmentSession:
    """The patient's morning infusion, discharged two hours ago (its dose started 3 h 10 min ago)."""
    return make_session(personas.a1, state="discharged", now=timezone.now() - dt.timedelta(hours=2))


def test_the_run_sheet_holds_the_second_dose_and_names_the_first(personas: Any, clock: Any) -> None:
    morning = _dosed_this_morning(personas)
    later = make_session(personas.a1, state="checked_in")
    nurse = login(Client(), make_nurse(personas.clinic_a))
    page = words(run_sheet(nurse, later))
    assert f"Hold: do not dose Another dose 3 h 10 min ago: {_first_dose_words(morning)}." in page
    assert "Doses less than 24 h apart are held (clinic practice)" in page
    assert "Dosing is held until each hold under Pre-dose is fixed or a prescriber overrides it." in page

    refused = _dose(nurse, later)
    assert refused.status_code == 422
    assert f"Dosing is on hold: Another dose 3 h 10 min ago: {_first_dose_words(morning)}." in words(refused)
    assert not DoseAdministration.objects.filter(session=later).exists()
    # The prescribers heard of it at check-in, with the same words.
    alert = Alert.objects.get(patient=personas.a1, dedupe_key=f"hold:{later.public_id}:interval")
    assert _first_dose_words(morning) in alert.detail


def test_before_check_in_the_run_sheet_says_the_patient_was_dosed_today(personas: Any, clock: Any) -> None:
    morning = _dosed_this_morning(personas)
    later = make_session(personas.a1, state="scheduled")
    nurse = login(Client(), make_nurse(personas.clinic_a))
    page = words(run_sheet(nurse, later))
    assert f"Dosed less than 24 h ago Another dose 3 h 10 min ago: {_first_dose_words(morning)}." in page
    assert "dosing waits for a prescriber's override with a written reason" in page


def test_a_dose_given_in_a_session_checked_in_later_still_holds(personas: Any, clock: Any) -> None:
    # Two sessions of one patient checked in the same morning: the first one dosed now, the second
    # then tried half an hour later. The old hold counted only doses started before its own check-in.
    first = make_session(personas.a1, state="checked_in")
    second = make_session(personas.a1, state="checked_in")
    services.record_dose(session=first, user=staff_of(personas.a1), dose_mg=35, lot_number="L1")
    clock.move_to(timezone.now() + dt.timedelta(minutes=30))
    nurse = login(Client(), make_nurse(personas.clinic_a))
    refused = _dose(nurse, second)
    assert refused.status_code == 422
    assert "Dosing is on hold: Another dose 30 min ago: 35 mg IV ketamine infusion started 10:00 today." in (
        words(refused)
    )
    assert not DoseAdministration.objects.filter(session=second).exists()


def test_a_prescribers_override_lets_it_go_ahead_once_the_nurse_has_read_it(
    personas: Any, clock: Any, client_for: Any
) -> None:
    morning = _dosed_this_morning(personas)
    later = make_session(personas.a1, state="checked_in")
    nurse = login(Client(), make_nurse(personas.clinic_a))
    # A nurse cannot override it.
    assert "Override these holds" not in words(run_sheet(nurse, later))
    prescriber = client_for("clinician_a")
    overridden = prescriber.post(
        reverse("treatments:hold_override", kwargs={"session_id": later.public_id}),
        {"hold_override_reason": REASON},
    )
    assert overridden.status_code == 302
    page = words(run_sheet(nurse, later))
    assert (
        f"Dosing allowed by a prescriber's override: Another dose 3 h 10 min ago: {_first_dose_words(morning)}"
        in page
    )
    assert f"“{REASON}”" in page and "I have read the prescriber's override" in page

    # Not ticked: refused, naming the first dose and the override again.
    refused = _dose(nurse, later, gate_override_read="")
    assert refused.status_code == 422
    text = words(refused)
    assert "prescriber allowed this dose 3 h 10 min after another: " + _first_dose_words(morning) in text
    assert (
        f"“{REASON}”" in text
        and "tick “I have read the prescriber's override” to record the first dose" in text
    )
    assert not DoseAdministration.objects.filter(session=later).exists()

    assert _dose(nurse, later).status_code == 302
    assert DoseAdministration.objects.filter(session=later).count() == 1
    # On the record from then on, with the override that allowed it.
    page = words(run_sheet(nurse, later))
    assert (
        "Dosed less than 24 h from another dose This session's dose started 3 h 10 min after another: 35 mg"
        in page
    )
    assert f"Allowed by {staff_of(personas.a1)}'s override at" in page and f"“{REASON}”" in page


def test_the_api_holds_it_and_asks_for_the_same_confirmation(
    personas: Any, clock: Any, client_for: Any
) -> None:
    morning = _dosed_this_morning(personas)
    later = make_session(personas.a1, state="checked_in")
    nurse = login(Client(), make_nurse(personas.clinic_a))
    url = f"/api/v1/sessions/{later.public_id}/doses"
    body = {"dose_mg": 35, "lot_number": "L2", "gate_override_read": True}
    refused = nurse.post(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 409, refused.content
    assert _first_dose_words(morning) in refused.json()["errors"][0]["message"]

    override_url = f"/api/v1/sessions/{later.public_id}/hold-override"
    assert (
        nurse.post(override_url, json.dumps({"reason": REASON}), content_type="application/json").status_code
        == 403
    )
    prescriber = client_for("clinician_a")
    done = prescriber.post(override_url, json.dumps({"reason": REASON}), content_type="application/json")
    assert done.status_code == 200, done.content

    unread = nurse.post(
        url, json.dumps({**body, "gate_override_read": False}), content_type="application/json"
    )
    assert unread.status_code == 422
    error = unread.json()["errors"][0]
    assert error["field"] == "gate_override_read" and _first_dose_words(morning) in error["message"]
    assert not DoseAdministration.objects.filter(session=later).exists()
    assert nurse.post(url, json.dumps(body), content_type="application/json").status_code == 201


def test_a_dose_a_day_later_is_not_held(personas: Any, clock: Any) -> None:
    make_session(personas.a1, state="discharged", now=timezone.now() - dt.timedelta(hours=25))
    later = make_session(personas.a1, state="checked_in")
    nurse = login(Client(), make_nurse(personas.clinic_a))
    page = words(run_sheet(nurse, later))
    assert "Another dose" not in page and "Dosed less than 24 h" not in page
    assert _dose(nurse, later).status_code == 302
