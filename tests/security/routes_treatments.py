"""Authorisation-matrix entries for the treatments app (plan, run-sheet, discharge, REMS, day view)."""

from __future__ import annotations

from typing import Any

from tests.security.routes import Route, patient_kwargs


def _session(route: str = "iv", state: str = "scheduled", **options: Any) -> Any:
    def build(personas: Any, target: Any) -> dict[str, Any]:
        from tests.support.treatments import make_session

        session = make_session(target, route=route, state=state, **options)
        return {"session_id": str(session.public_id)}

    return build


def _appointment(personas: Any, target: Any) -> dict[str, Any]:
    import datetime as dt

    from django.utils import timezone

    from ketacare.treatments.services import create_treatment_plan
    from tests.support.pathway import ready_for_plan

    ready_for_plan(target)
    plan = create_treatment_plan(
        patient=target,
        user=target.primary_clinician,
        protocol_id="iv_ketamine",
        preset_id=None,
        first_session_at=timezone.now() + dt.timedelta(days=2),
        weight_kg=70.0,
    )
    return {"patient_id": str(target.public_id), "appointment_id": str(plan.appointments.first().public_id)}


def _ready_for_plan(personas: Any, target: Any) -> dict[str, Any]:
    """The target has a screening, an eligible decision and consent: the plan gate is open."""
    from tests.support.pathway import ready_for_plan

    ready_for_plan(target)
    return patient_kwargs(personas, target)


def _plan_for_maintenance(personas: Any, target: Any) -> dict[str, Any]:
    _appointment(personas, target)  # gives the target an active plan
    return patient_kwargs(personas, target)


def _plan_to_end(personas: Any, target: Any) -> dict[str, Any]:
    """The target's active plan (booked ahead) and its id, for ending it on the API."""
    from ketacare.treatments.models import TreatmentPlan

    _appointment(personas, target)
    plan = TreatmentPlan.objects.get(patient=target, status="active")
    return {"patient_id": str(target.public_id), "plan_id": str(plan.public_id)}


def _end_form(personas: Any, target: Any) -> dict[str, Any]:
    """The plan page's "End this course" form as the page gives it: the plan, the sessions it cancels."""
    from ketacare.treatments.models import TreatmentPlan

    plan = TreatmentPlan.objects.filter(patient=target, status="active").first()
    if plan is None:  # another clinic's patient with no plan: refused before the form is read
        return {"ended_as": "completed", "confirm": "on"}
    return {
        "plan_id": str(plan.public_id),
        "booked": str(plan.sessions.filter(state="scheduled").count()),
        "ended_as": "discontinued",
        "end_reason": "Stopped at the patient's request",
        "confirm": "on",
    }


def _latest_vital(personas: Any, target: Any) -> dict[str, Any]:
    from ketacare.treatments.models import VitalSign

    vital = VitalSign.objects.filter(patient=target).order_by("-id").first()
    return {
        "kind": "vital",
        "entry_id": str(vital.public_id) if vital else "",
        "reason": "Recorded against the wrong patient",
    }


def _pre_dose(instrument: str) -> Any:
    """A checked-in induction session and its questionnaire due before it (from the schedule)."""

    def build(personas: Any, target: Any) -> dict[str, Any]:
        from ketacare.questionnaires.models import QuestionnaireAssignment
        from ketacare.treatments.services import check_in_session
        from tests.support.treatments import make_planned_session

        session = make_planned_session(target)
        check_in_session(
            session=session,
            user=target.primary_clinician,
            weight_kg=70.0,
            fasting_confirmed=True,
            ride_home_confirmed=True,
        )
        assignment = QuestionnaireAssignment.objects.get(
            patient=target,
            instrument_id=instrument,
            schedule_key__contains=str(session.appointment.public_id),  # type: ignore[union-attr]
        )
        return {"session_id": str(session.public_id), "assignment_id": str(assignment.public_id)}

    return build


def _pre_dose_api(instrument: str | None) -> Any:
    """The same session and questionnaire as `_pre_dose`, named as the API's path names it (None: the
    session alone, for the list)."""
    build_web = _pre_dose(instrument or "phq9")

    def build(personas: Any, target: Any) -> dict[str, Any]:
        session_id = build_web(personas, target)["session_id"]
        return {"session_id": session_id, **({"instrument_id": instrument} if instrument else {})}

    return build


def _in_days(days: int) -> str:
    """A clinic-time `datetime-local` value `days` from now (bookings are refused in the past)."""
    import datetime as dt

    from django.utils import timezone

    return (timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT10:30")


def _aware_in_days(days: int) -> str:
    """An ISO 8601 time with its offset `days` from now (the API takes zoned times only)."""
    import datetime as dt

    from django.utils import timezone

    return (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0).isoformat()


PHQ9_ANSWERS = {f"phq9.q{i}": "1" if i < 9 else "0" for i in range(1, 10)}
VITALS = {"systolic_mmhg": 124, "diastolic_mmhg": 80, "heart_rate_bpm": 72, "spo2_pct": 98}
REMS_ANSWERS = {
    "benzodiazepines": "false",
    "non_benzo_sedative_hypnotics": "false",
    "psychostimulants": "false",
    "maois": "false",
    "ready_to_leave_min": "90",
}

ROUTES: list[Route] = [
    Route("treatments:day", "staff"),
    Route("treatments:rems_due", "staff"),
    Route(
        # Creating a plan is a prescriber's decision: a clinic admin (or nurse) gets a 403 and nothing is
        # written; tests/integration/test_safe_pathway.py proves the refusal for each role.
        "treatments:plan",
        "staff_record",
        methods=("GET", "POST"),
        prescriber_methods=("POST",),
        kwargs=_ready_for_plan,
        ok={"POST": 302},
        data=lambda p, t: {
            "protocol_id": "iv_ketamine",
            "first_session_at": _in_days(3),
            "weight_kg": "70",
            "maintenance_policy": "decide_at_review",
        },
    ),
    Route("treatments:plan_ics", "staff_record", kwargs=patient_kwargs),
    Route(
        # A prescriber's action; other staff get a 403 (see the plan route above).
        "treatments:appointment_reschedule",
        "staff_record",
        methods=("POST",),
        prescriber_methods=("POST",),
        kwargs=_appointment,
        ok={"POST": 302},
        data=lambda p, t: {"starts_at": _in_days(18)},
    ),
    Route(
        # A prescriber's action; other staff get a 403 (see the plan route above).
        "treatments:book_maintenance",
        "staff_record",
        methods=("POST",),
        prescriber_methods=("POST",),
        kwargs=_plan_for_maintenance,
        ok={"POST": 302},
        data=lambda p, t: {"starts_at": _in_days(39)},
    ),
    Route(
        # Ending a course is a prescriber's decision: a clinic admin (or nurse) gets a 403 and nothing is
        # written; ketacare/treatments/tests/test_end_the_course.py proves the refusal for each role.
        "treatments:end_plan",
        "staff_record",
        methods=("POST",),
        prescriber_methods=("POST",),
        kwargs=_plan_for_maintenance,
        ok={"POST": 302},
        data=_end_form,
    ),
    Route("treatments:run_sheet", "staff_record", kwargs=_session(state="observing")),
    Route(
        "treatments:check_in",
        "staff_record",
        methods=("POST",),
        kwargs=_session(),
        ok={"POST": 302},
        data=lambda p, t: {"weight_kg": "70", "fasting_confirmed": "on", "ride_home_confirmed": "on"},
    ),
    Route(
        # After check-in, before the dose: any staff of the clinic records the ride or fasting.
        "treatments:check_in_confirmations",
        "staff_record",
        methods=("POST",),
        kwargs=_session(state="checked_in"),
        ok={"POST": 302},
        data=lambda p, t: {"fasting_confirmed": "on", "ride_home_confirmed": "on"},
    ),
    Route(
        "treatments:pre_dose_questionnaire",
        "staff_record",
        methods=("POST",),
        kwargs=_pre_dose("phq9"),
        ok={"POST": 302},
        data=lambda p, t: PHQ9_ANSWERS,
    ),
    Route(
        "treatments:pre_dose_questionnaire_skip",
        "staff_record",
        methods=("POST",),
        kwargs=_pre_dose("gad7"),
        ok={"POST": 302},
        data=lambda p, t: {"skip_reason": "Patient arrived late"},
    ),
    Route(
        "treatments:vitals",
        "staff_record",
        methods=("POST",),
        kwargs=_session(state="checked_in"),
        ok={"POST": 302},
        data=lambda p, t: VITALS,
    ),
    Route(
        # A nurse or admin is refused (redirect with a message); only a prescriber overrides.
        "treatments:hold_override",
        "staff_record",
        methods=("POST",),
        kwargs=_session(state="checked_in", hold=True),
        ok={"POST": 302},
        data=lambda p, t: {"hold_override_reason": "Repeat BP trending down; benefit outweighs risk"},
    ),
    Route(
        "treatments:dose",
        "staff_record",
        methods=("POST",),
        kwargs=_session(state="checked_in"),
        ok={"POST": 302},
        # The builders' plans pass the plan gate by a prescriber's override: whoever records the first
        # dose confirms they have read it.
        data=lambda p, t: {"dose_mg": "35", "lot_number": "LOT-7", "gate_override_read": "on"},
    ),
    Route(
        "treatments:end_dosing",
        "staff_record",
        methods=("POST",),
        kwargs=_session(state="dosing"),
        ok={"POST": 302},
        data=lambda p, t: {},
    ),
    Route(
        "treatments:observation",
        "staff_record",
        methods=("POST",),
        kwargs=_session(state="observing"),
        ok={"POST": 302},
        data=lambda p, t: {"moaas_score": "5", "dissociation": "none"},
    ),
    Route(
        "treatments:adverse_event",
        "staff_record",
        methods=("POST",),
        kwargs=_session(state="observing"),
        ok={"POST": 302},
        data=lambda p, t: {"description": "Nausea", "severity": "mild"},
    ),
    Route(
        "treatments:entered_in_error",
        "staff_record",
        methods=("POST",),
        kwargs=_session(state="checked_in"),
        ok={"POST": 302},
        data=_latest_vital,
    ),
    Route(
        "treatments:discharge",
        "staff_record",
        methods=("POST",),
        kwargs=_session(route="esketamine_in", state="observing", minutes_since_dose_end=125),
        ok={"POST": 302},
        data=lambda p, t: {"ride_present": "on", "instructions_given": "on"},
    ),
    Route(
        "treatments:cancel",
        "staff_record",
        methods=("POST",),
        kwargs=_session(),
        ok={"POST": 302},
        data=lambda p, t: {"cancel_reason": "Unwell today"},
    ),
    Route("treatments:instructions", "staff_record", kwargs=_session(state="discharged")),
    Route("treatments:instructions_pdf", "staff_record", kwargs=_session(state="discharged")),
    Route(
        "treatments:rems_form",
        "staff_record",
        methods=("GET", "POST"),
        kwargs=_session(route="esketamine_in", state="discharged", minutes_since_dose_end=125),
        ok={"POST": 302},
        data=lambda p, t: REMS_ANSWERS,
    ),
    Route(
        "treatments:rems_csv",
        "staff_record",
        kwargs=_session(route="esketamine_in", state="discharged", minutes_since_dose_end=125),
    ),
    Route(
        "treatments:rems_pdf",
        "staff_record",
        kwargs=_session(route="esketamine_in", state="discharged", minutes_since_dose_end=125),
    ),
    Route("treatments:my_appointments", "patient"),
    Route("treatments:my_appointments_ics", "patient"),
    # API
    Route("api:list_patient_sessions", "staff_record", api=True, kwargs=patient_kwargs),
    Route("api:get_session", "staff_record", api=True, kwargs=_session(state="observing")),
    Route(
        "api:record_session_vitals",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=_session(state="observing"),
        ok={"POST": 201},
        data=lambda p, t: VITALS,
    ),
    # Plans, appointments and the run-sheet's writes on the API: the pages' doors and the same services
    # (a prescriber's decisions answer 403 to other staff, as the pages do).
    Route("api:list_patient_plans", "staff_record", api=True, kwargs=_plan_for_maintenance),
    Route(
        "api:create_patient_plan",
        "staff_record",
        api=True,
        methods=("POST",),
        prescriber_methods=("POST",),
        kwargs=_ready_for_plan,
        ok={"POST": 201},
        data=lambda p, t: {
            "protocol_id": "iv_ketamine",
            "first_session_at": _aware_in_days(3),
            "weight_kg": "70",
        },
    ),
    Route("api:list_patient_appointments", "staff_record", api=True, kwargs=_plan_for_maintenance),
    Route(
        "api:reschedule_patient_appointment",
        "staff_record",
        api=True,
        methods=("POST",),
        prescriber_methods=("POST",),
        kwargs=_appointment,
        data=lambda p, t: {"starts_at": _aware_in_days(18)},
    ),
    Route(
        "api:book_patient_maintenance",
        "staff_record",
        api=True,
        methods=("POST",),
        prescriber_methods=("POST",),
        kwargs=_plan_for_maintenance,
        ok={"POST": 201},
        data=lambda p, t: {"starts_at": _aware_in_days(39)},
    ),
    Route(
        "api:end_patient_plan",
        "staff_record",
        api=True,
        methods=("POST",),
        prescriber_methods=("POST",),
        kwargs=_plan_to_end,
        data=lambda p, t: {"ended_as": "completed", "end_reason": "Course complete"},
    ),
    Route("api:list_my_appointments", "patient", api=True),
    Route(
        "api:check_in_session",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=_session(),
        data=lambda p, t: {"weight_kg": "70", "fasting_confirmed": "true", "ride_home_confirmed": "true"},
    ),
    Route(
        "api:override_session_hold",
        "staff_record",
        api=True,
        methods=("POST",),
        prescriber_methods=("POST",),
        kwargs=_session(state="checked_in", hold=True),
        data=lambda p, t: {"reason": "Repeat BP trending down; benefit outweighs risk"},
    ),
    Route(
        "api:list_session_pre_dose_questionnaires",
        "staff_record",
        api=True,
        kwargs=_pre_dose_api(None),
    ),
    Route(
        "api:skip_session_pre_dose_questionnaire",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=_pre_dose_api("gad7"),
        data=lambda p, t: {"reason": "Patient arrived late"},
    ),
    Route(
        # A form body carries the items as top-level fields, as the matrix sends every body.
        "api:answer_session_pre_dose_questionnaire",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=_pre_dose_api("phq9"),
        ok={"POST": 201},
        data=lambda p, t: PHQ9_ANSWERS,
    ),
    Route(
        "api:record_session_dose",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=_session(state="checked_in"),
        ok={"POST": 201},
        data=lambda p, t: {"dose_mg": "35", "lot_number": "LOT-7", "gate_override_read": True},
    ),
    Route(
        "api:end_session_dosing",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=_session(state="dosing"),
        data=lambda p, t: {},
    ),
    Route(
        "api:record_session_observation",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=_session(state="observing"),
        ok={"POST": 201},
        data=lambda p, t: {"moaas_score": "5", "dissociation": "none"},
    ),
    Route(
        "api:record_session_adverse_event",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=_session(state="observing"),
        ok={"POST": 201},
        data=lambda p, t: {"description": "Nausea", "severity": "mild"},
    ),
    Route(
        "api:mark_session_entry_in_error",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=_session(state="checked_in"),
        data=_latest_vital,
    ),
    Route(
        "api:discharge_treatment_session",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=_session(route="esketamine_in", state="observing", minutes_since_dose_end=125),
        data=lambda p, t: {"ride_present": "true", "instructions_given": "true"},
    ),
    Route(
        "api:cancel_treatment_session",
        "staff_record",
        api=True,
        methods=("POST",),
        kwargs=_session(),
        data=lambda p, t: {"reason": "Unwell today"},
    ),
]
