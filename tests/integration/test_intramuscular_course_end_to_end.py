"""An intramuscular (IM) ketamine course end to end, through the pages a clinic uses and the JSON API.

A prescriber plans the IM protocol on the plan page; on the session's day the run-sheet takes the
check-in, the pre-dose vital signs and the injection (one time: an injection has no infusion to stop),
shows IM's checkpoints (every 15 minutes after the injection and before discharge, clinic practice in
protocols.toml), says plainly that no published IM PK model exists, and discharges after IM's 60-minute
observation. The patient's FHIR export then carries the IM route (SNOMED CT 78421000) and ketamine's
RxNorm ingredient on the MedicationAdministration and on the plan's MedicationRequest.

Crosses intake (consent), treatments (plan and run-sheet) and interop (FHIR), so it lives here.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from conftest import login
from ketacare.core.pk.timeline import personal_timeline
from ketacare.treatments.models import DoseAdministration, TreatmentPlan, TreatmentSession
from tests.support.fhir import strict_validate
from tests.support.pathway import ready_for_plan
from tests.support.treatments import skip_pre_dose_questionnaires, words

pytestmark = pytest.mark.django_db

# Planned on a Tuesday; the first injection on the Monday after at 10:00 in New York (clinic A).
PLANNED_AT = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
FIRST_SESSION_LOCAL = "2026-11-30T10:00"
SESSION_AT = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
# 0.5 mg/kg IM, the protocol's standard [Chilukuri2014], for 70 kg.
WEIGHT_KG = 70
DOSE_MG = 35
IM_SNOMED = ("78421000", "Intramuscular route (qualifier value)")
KETAMINE_RXNORM = "6130"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NORMAL = {"systolic_mmhg": 124, "diastolic_mmhg": 79, "heart_rate_bpm": 73, "spo2_pct": 98}


def _session_url(name: str, session: TreatmentSession) -> str:
    return reverse(f"treatments:{name}", kwargs={"session_id": session.public_id})


def _plan_im_course(client: Client, patient: Any) -> Any:
    return client.post(
        reverse("treatments:plan", kwargs={"patient_id": str(patient.public_id)}),
        {
            "protocol_id": "im_ketamine",
            "preset_id": "custom",
            "first_session_at": FIRST_SESSION_LOCAL,
            "weight_kg": str(WEIGHT_KG),
            "weekdays": ["0"],
            "session_count": "4",
            "maintenance_policy": "decide_at_review",
        },
    )


def _codings(concept: dict[str, Any] | None) -> set[tuple[str, str, str]]:
    return {(c["system"], c["code"], c.get("display", "")) for c in (concept or {}).get("coding", [])}


def test_an_im_course_is_planned_dosed_observed_discharged_and_exported(personas: Any) -> None:
    patient = personas.a1
    prescriber = login(Client(), personas.clinician_a)
    with time_machine.travel(PLANNED_AT, tick=False):
        ready_for_plan(patient, routes=["im"])
        planned = _plan_im_course(prescriber, patient)
        assert planned.status_code == 302, words(planned)
        plan_page = words(prescriber.get(planned["Location"]))
    plan = TreatmentPlan.objects.get(patient=patient)
    assert (plan.route, plan.protocol_id, float(plan.dose_mg)) == ("im", "im_ketamine", DOSE_MG)
    assert plan.get_route_display() == "IM ketamine injection"
    assert plan.appointments.count() == 4
    # The plan page names the route in words and lists IM among the routes the plan gate checks.
    assert "IM ketamine injection" in plan_page
    session = TreatmentSession.objects.filter(plan=plan).order_by("scheduled_at").first()
    assert session is not None and session.route == "im"

    with time_machine.travel(SESSION_AT, tick=False) as clock:
        checked_in = prescriber.post(
            _session_url("check_in", session),
            {"weight_kg": str(WEIGHT_KG), "fasting_confirmed": "on", "ride_home_confirmed": "on"},
        )
        assert checked_in.status_code == 302, words(checked_in)
        clock.shift(dt.timedelta(minutes=2))
        assert prescriber.post(_session_url("vitals", session), NORMAL).status_code == 302
        # The questionnaires due before the dose are not what this test is about: skipped with a reason.
        skip_pre_dose_questionnaires(session)

        # The dose form of an injection asks for one time: no infusion stop time to fill.
        sheet = prescriber.get(_session_url("run_sheet", session)).content.decode()
        dose_card = sheet[sheet.index('id="dose-h"') : sheet.index('id="vitals-h"')]
        assert 'name="dose_mg"' in dose_card and 'name="ended_at"' not in dose_card
        assert "Stop infusion" not in dose_card and "IV; blank while running" not in dose_card

        clock.shift(dt.timedelta(minutes=3))
        injected_at = SESSION_AT + dt.timedelta(minutes=5)
        dosed = prescriber.post(
            _session_url("dose", session), {"dose_mg": str(DOSE_MG), "lot_number": "IM-LOT-7"}
        )
        assert dosed.status_code == 302, words(dosed)
        session.refresh_from_db()
        # The injection is given at one time: observation counts from it, with nothing left running.
        assert session.state == "observing"
        assert session.dose_started_at == session.dose_ended_at == injected_at
        dose = DoseAdministration.objects.get(session=session)
        assert (dose.route, float(dose.dose_mg), dose.ended_at) == ("im", DOSE_MG, injected_at)

        observing = prescriber.get(_session_url("run_sheet", session))
        body = observing.content.decode()
        read = words(observing)
        assert "Stop infusion" not in body and "running" not in read
        # The PK panel says plainly that no published IM model exists, with the core's reason.
        reason = personal_timeline(route="im", dose_mg=DOSE_MG, weight_kg=WEIGHT_KG, age_years=40)
        assert reason.no_model_reason
        assert (
            "No model exists for this route (IM ketamine injection), so no recovery estimate is shown: "
            + escape(reason.no_model_reason)
        ) in body
        assert "around <strong>" not in body
        # IM's checkpoints: at the injection, every 15 minutes after it, then before discharge at 60 minutes.
        listed = body[body.index('<ul class="checkpoints">') :]
        listed = listed[: listed.index("</ul>")]
        times = re.findall(r"<span>[^<]*?(\d\d:\d\d)[^<]*</span>", listed)
        assert times == ["10:05", "10:20", "10:35", "10:50", "11:05"], times
        labels = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", listed)).split())
        assert "10:20 15 min after dosing" in labels and "11:05 Before discharge" in labels

        for minutes in (15, 30, 45):
            clock.move_to(injected_at + dt.timedelta(minutes=minutes))
            assert prescriber.post(_session_url("vitals", session), NORMAL).status_code == 302
        clock.move_to(injected_at + dt.timedelta(minutes=55))
        observed = prescriber.post(
            _session_url("observation", session), {"moaas_score": "5", "dissociation": "none"}
        )
        assert observed.status_code == 302, words(observed)
        clock.move_to(injected_at + dt.timedelta(minutes=60))
        assert prescriber.post(_session_url("vitals", session), NORMAL).status_code == 302
        # Before IM's 60 minutes have passed the door stays shut; at 61 it opens without an override.
        clock.move_to(injected_at + dt.timedelta(minutes=61))
        left = prescriber.post(
            _session_url("discharge", session), {"ride_present": "on", "instructions_given": "on"}
        )
        assert left.status_code == 302, words(left)
        session.refresh_from_db()
        assert session.state == "discharged" and session.discharge_override_reason == ""
        instructions = prescriber.get(_session_url("instructions", session))
        assert instructions.status_code == 200
        # The patient's sheet gives the injection one time, not a start and an end.
        assert (
            "your IM ketamine injection at Clinic A was on Monday 30 November, booked for 10:00. "
            "The medicine was given at 10:05; you went home at 11:06."
        ) in words(instructions)

        export = login(Client(), patient.user).get(reverse("interop:records_fhir"))
    assert export.status_code == 200
    bundle = json.loads(b"".join(export.streaming_content) if export.streaming else export.content)
    strict_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    [administration] = [r for r in resources if r["resourceType"] == "MedicationAdministration"]
    assert (SNOMED, *IM_SNOMED) in _codings(administration["dosage"]["route"])
    assert (RXNORM, KETAMINE_RXNORM, "ketamine") in _codings(administration["medicationCodeableConcept"])
    [care_plan] = [r for r in resources if r["resourceType"] == "CarePlan"]
    [request] = [a["detail"] for a in care_plan["activity"] if "detail" in a]
    assert request["kind"] == "MedicationRequest"
    assert (SNOMED, *IM_SNOMED) in _codings(request["code"])
    assert (RXNORM, KETAMINE_RXNORM, "ketamine") in _codings(request["productCodeableConcept"])
    [consent] = [r for r in resources if r["resourceType"] == "Consent"]
    assert (SNOMED, *IM_SNOMED) in _codings(consent["provision"]["code"][0])
    assert html.unescape(request["code"]["text"]) == "IM ketamine injection"


def _api_post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_api_plans_an_im_course_and_records_the_injection_at_one_time(personas: Any) -> None:
    with time_machine.travel(PLANNED_AT, tick=False):
        ready_for_plan(personas.a1, routes=["im"])
    prescriber = login(Client(), personas.clinician_a)
    with time_machine.travel(PLANNED_AT, tick=False):
        created = _api_post(
            prescriber,
            f"/api/v1/patients/{personas.a1.public_id}/plans",
            {
                "protocol_id": "im_ketamine",
                "preset_id": "custom",
                "first_session_at": SESSION_AT.isoformat(),
                "weight_kg": WEIGHT_KG,
                "mg_per_kg": 0.25,
                "weekdays": [0, 3],
                "session_count": 4,
            },
        )
    assert created.status_code == 201, created.content
    plan = created.json()
    assert (plan["route"], plan["protocol_id"], plan["dose_mg"]) == ("im", "im_ketamine", 17.5)
    assert len(plan["appointments"]) == 4
    stored = TreatmentPlan.objects.get(public_id=plan["public_id"])
    assert stored.get_route_display() == "IM ketamine injection"

    session_url = f"/api/v1/sessions/{plan['appointments'][0]['session_id']}"
    with time_machine.travel(SESSION_AT, tick=False) as clock:
        checked_in = _api_post(
            prescriber,
            f"{session_url}/check-in",
            {"weight_kg": WEIGHT_KG, "fasting_confirmed": True, "ride_home_confirmed": True},
        )
        assert checked_in.status_code == 200, checked_in.content
        clock.shift(dt.timedelta(minutes=2))
        assert _api_post(prescriber, f"{session_url}/vitals", NORMAL).status_code == 201
        # The questionnaires due before the dose are not what this test is about: skipped with a reason.
        skip_pre_dose_questionnaires(
            TreatmentSession.objects.get(public_id=plan["appointments"][0]["session_id"])
        )
        clock.shift(dt.timedelta(minutes=3))
        dosed = _api_post(prescriber, f"{session_url}/doses", {"dose_mg": 17.5, "lot_number": "IM-LOT-7"})
        assert dosed.status_code == 201, dosed.content
        assert dosed.json()["started_at"] == dosed.json()["ended_at"]
        session = prescriber.get(session_url).json()
    assert session["route"] == "im" and session["state"] == "observing"
    assert session["dose_started_at"] == session["dose_ended_at"]


def test_the_api_refuses_an_im_dose_per_kg_above_what_was_studied(personas: Any) -> None:
    ready_for_plan(personas.a1, routes=["im"])
    prescriber = login(Client(), personas.clinician_a)
    with time_machine.travel(PLANNED_AT, tick=False):
        refused = prescriber.post(
            f"/api/v1/patients/{personas.a1.public_id}/plans",
            json.dumps(
                {
                    "protocol_id": "im_ketamine",
                    "preset_id": "custom",
                    "first_session_at": (SESSION_AT + dt.timedelta(days=7)).isoformat(),
                    "weight_kg": WEIGHT_KG,
                    "mg_per_kg": 0.8,
                    "weekdays": [0],
                    "session_count": 4,
                }
            ),
            content_type="application/json",
        )
    assert refused.status_code == 422, refused.content
    [error] = [e for e in refused.json()["errors"] if e["field"] == "mg_per_kg"]
    assert "0.1" in error["message"] and "0.5" in error["message"]
    assert not TreatmentPlan.objects.filter(patient=personas.a1).exists()
