"""The REMS form carries the blood pressures a nurse took by the run-sheet, and says so when one is missing.

Each session is run through the run-sheet's pages as a nurse runs it: check-in, pre-dose vital signs,
the two nasal devices 5 minutes apart, a set at each checkpoint the run-sheet shows, an observation,
discharge; then the REMS form page and its PDF are read.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from ketacare.treatments import selectors
from ketacare.treatments.models import RemsForm, TreatmentSession, VitalSign
from ketacare.treatments.services.rems import forty_minute_checkpoint, rems_blood_pressures
from tests.support.treatments import make_session, skip_pre_dose_questionnaires

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # check-in; a Friday, 10:00 in New York
PRE, FORTY, END = (121, 77), (133, 84), (126, 79)
# Dosing ends at 15:15 UTC: the run-sheet's 40-minute check is at 15:55 UTC, 10:55 in New York.
MISSED_40 = "No reading recorded: none was taken near 40 min (within 20 min of the run-sheet's 40-minute check at 10:55)."


def _url(name: str, session: TreatmentSession) -> str:
    return reverse(f"treatments:{name}", kwargs={"session_id": session.public_id})


class Nurse:
    """Posts the run-sheet's forms at the session's clock, with the times the forms prefill."""

    def __init__(self, client: Any, session: TreatmentSession) -> None:
        self.client = client
        self.session = session
        self.zone = zoneinfo.ZoneInfo(session.clinic.time_zone)

    def at(self, when: dt.datetime) -> Any:
        return time_machine.travel(when, tick=False)

    def wall(self, when: dt.datetime) -> str:
        return when.astimezone(self.zone).strftime("%Y-%m-%dT%H:%M")

    def post(self, name: str, data: dict[str, Any]) -> Any:
        response = self.client.post(_url(name, self.session), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        return response

    def vitals(self, when: dt.datetime, bp: tuple[int, int]) -> None:
        with self.at(when):
            self.post(
                "vitals",
                {
                    "measured_at": self.wall(when),
                    "systolic_mmhg": bp[0],
                    "diastolic_mmhg": bp[1],
                    "heart_rate_bpm": 72,
                    "spo2_pct": 98,
                },
            )

    def run_sheet(self, when: dt.datetime) -> str:
        with self.at(when):
            response = self.client.get(_url("run_sheet", self.session))
        assert response.status_code == 200
        return response.content.decode()

    def check_in_and_dose(self) -> list[selectors.CheckpointView]:
        """Check-in, the pre-dose set and both devices; returns the checkpoints the run-sheet then shows."""
        with self.at(START):
            self.post(
                "check_in",
                {
                    "weight_kg": 70,
                    "fasting_confirmed": "on",
                    "ride_home_confirmed": "on",
                    "checked_in_at": self.wall(START),
                },
            )
            skip_pre_dose_questionnaires(self.session)
        self.vitals(START + dt.timedelta(minutes=5), PRE)
        for minutes in (10, 15):
            when = START + dt.timedelta(minutes=minutes)
            with self.at(when):
                self.post("dose", {"dose_mg": 28, "lot_number": "LOT-7", "started_at": self.wall(when)})
        self.session.refresh_from_db()
        if self.session.state == TreatmentSession.State.DOSING:  # fewer devices than planned
            with self.at(START + dt.timedelta(minutes=16)):
                self.post("end_dosing", {"ended_at": self.wall(START + dt.timedelta(minutes=15))})
            self.session.refresh_from_db()
        assert self.session.state == TreatmentSession.State.OBSERVING
        return selectors.checkpoints(self.session, START + dt.timedelta(minutes=16))

    def observe_and_discharge(self, when: dt.datetime, **extra: str) -> None:
        with self.at(when):
            self.post(
                "observation", {"observed_at": self.wall(when), "moaas_score": 5, "dissociation": "none"}
            )
            self.post("discharge", {"ride_present": "on", "instructions_given": "on", **extra})
        self.session.refresh_from_db()
        assert self.session.state == TreatmentSession.State.DISCHARGED


def _scheduled_esketamine_session(personas: Any) -> TreatmentSession:
    with time_machine.travel(START, tick=False):
        return make_session(personas.a1, route="esketamine_in", state="scheduled")


def _fact(page: str, field: str) -> str:
    """The text of one blood-pressure fact of the form (its `dd`), tags stripped."""
    found = re.search(rf'<dd data-field="{field}">(.*?)</dd>', page, re.S)
    assert found, f"no {field} fact on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def _pdf_text(client: Any, session: TreatmentSession) -> str:
    response = client.get(_url("rems_pdf", session))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text.split())


def test_the_form_shows_all_three_blood_pressures_a_nurse_took_by_the_run_sheet(personas, client_for):
    client = client_for("clinician_a")
    nurse = Nurse(client, _scheduled_esketamine_session(personas))
    checkpoints = nurse.check_in_and_dose()
    assert [c.code for c in checkpoints] == ["pre_dose", "after_dose", "before_discharge"]
    _, forty, before_discharge = checkpoints
    # The nurse takes each set when the run-sheet shows it due.
    for point, bp in ((forty, FORTY), (before_discharge, END)):
        page = nurse.run_sheet(point.due_at)
        assert re.search(rf'<li class="cp-due">[^<]*<span>[^<]*</span> {point.label} — <strong>due', page)
        nurse.vitals(point.due_at, bp)
    final = nurse.run_sheet(before_discharge.due_at + dt.timedelta(minutes=1))
    assert 'class="cp-overdue"' not in final and 'class="cp-due"' not in final
    nurse.observe_and_discharge(before_discharge.due_at + dt.timedelta(minutes=1))

    page = client.get(_url("rems_form", nurse.session)).content.decode()
    assert _fact(page, "bp_pre") == "121/77 mmHg"
    assert _fact(page, "bp_40min") == "133/84 mmHg"
    assert _fact(page, "bp_end") == "126/79 mmHg"
    assert "No reading recorded" not in page
    pdf = _pdf_text(client, nurse.session)
    assert all(text in pdf for text in ("121/77 mmHg", "133/84 mmHg", "126/79 mmHg"))
    form = RemsForm.objects.get(session=nurse.session)
    assert (form.bp_40min_systolic_mmhg, form.bp_40min_diastolic_mmhg) == FORTY
    assert (form.bp_end_systolic_mmhg, form.bp_end_diastolic_mmhg) == END


def test_a_missed_40_minute_set_is_said_in_words_not_filled_from_the_end_set(personas, client_for):
    client = client_for("clinician_a")
    nurse = Nurse(client, _scheduled_esketamine_session(personas))
    _, _, before_discharge = nurse.check_in_and_dose()
    nurse.vitals(before_discharge.due_at, END)  # the 40-minute set never came
    # A missed check keeps the patient until a prescriber gives a reason (clinician_a is one).
    nurse.observe_and_discharge(
        before_discharge.due_at + dt.timedelta(minutes=1), override_reason="BP taken on the ward monitor"
    )

    page = client.get(_url("rems_form", nurse.session)).content.decode()
    assert _fact(page, "bp_pre") == "121/77 mmHg"
    assert _fact(page, "bp_40min") == MISSED_40
    assert _fact(page, "bp_end") == "126/79 mmHg"
    assert MISSED_40 in _pdf_text(client, nurse.session)
    form = RemsForm.objects.get(session=nurse.session)
    assert form.bp_40min_systolic_mmhg is None and form.bp_40min_diastolic_mmhg is None


def test_only_a_set_within_20_minutes_of_the_run_sheets_40_minute_check_is_the_40_minute_reading(personas):
    # Checks missed: the only in-session set is the one just before discharge, 2 hours after dosing.
    session = make_session(
        personas.a1, route="esketamine_in", state="discharged", minutes_since_dose_end=125, checks_taken=False
    )
    start = session.dose_started_at
    due = forty_minute_checkpoint(session)
    assert due == session.dose_ended_at + dt.timedelta(minutes=40)  # the run-sheet's checkpoint
    sets = {v.measured_at: v for v in selectors.valid_vitals(session) if v.kind == "in_session"}
    assert sets and all(at - due > dt.timedelta(minutes=20) for at in sets)  # only the late sets
    readings = rems_blood_pressures(session, session.discharged_at)
    assert readings.forty is None
    assert readings.end == max(sets.items())[1]
    assert readings.pre == selectors.baseline_vitals(session)
    # A set after discharge is not the end set.
    assert rems_blood_pressures(session, start + dt.timedelta(minutes=30)).end is None


def test_a_set_near_the_run_sheets_check_counts_even_when_devices_were_far_apart(personas):
    """The form's 40 minutes are the run-sheet's: counted from the end of administration."""
    session = make_session(
        personas.a1, route="esketamine_in", state="discharged", minutes_since_dose_end=125, checks_taken=False
    )
    # The last device 30 minutes after the first: the check falls 70 minutes after the first device.
    session.dose_ended_at = session.dose_started_at + dt.timedelta(minutes=30)
    due = forty_minute_checkpoint(session)
    assert due == session.dose_started_at + dt.timedelta(minutes=70)
    VitalSign.objects.create(
        clinic=session.clinic,
        patient=session.patient,
        session=session,
        kind="in_session",
        measured_at=due + dt.timedelta(minutes=3),
        systolic_mmhg=140,
        diastolic_mmhg=88,
        heart_rate_bpm=80,
        spo2_pct=98,
        flags=[],
        created_by=personas.clinician_a,
    )
    readings = rems_blood_pressures(session, session.discharged_at)
    assert readings.forty is not None and (readings.forty.systolic_mmhg, readings.forty.diastolic_mmhg) == (
        140,
        88,
    )
