"""The safe pathway as the treatments app sees it: the plan gate and the dose go/no-go, gathered from
this app's rows and the facts sibling record apps keep (``ketacare.patients.facts``), decided by the
core (``ketacare.core.pathway``). See docs/decisions/0013.
"""

from __future__ import annotations

import datetime as dt

from ketacare.core import course, pathway
from ketacare.core.protocols import get_protocol, get_route
from ketacare.patients import facts
from ketacare.patients.models import Patient
from ketacare.treatments.models import DoseAdministration, TreatmentPlan, TreatmentSession
from ketacare.treatments.selectors._common import age_years, clinic_zone
from ketacare.treatments.selectors.run_sheet import baseline_vitals

# Holds that are simply the next step of the run-sheet, not something a prescriber must hear about.
STEP_HOLDS = frozenset({"not_checked_in", "pre_dose_vitals_missing"})


def plan_gate(patient: Patient, route: str) -> pathway.PlanGate:
    """What the patient still lacks before a plan on ``route`` (the core decides from intake's facts)."""
    known = facts.plan_gate_facts(patient)
    return pathway.plan_gate(
        route,
        screening_completed=known.screening_completed,
        decision=known.decision or None,
        consent_routes=known.consent_routes,
    )


def _previous_dose(session: TreatmentSession) -> DoseAdministration | None:
    return (
        DoseAdministration.objects.filter(patient_id=session.patient_id, entered_in_error=False)
        .exclude(session=session)
        .exclude(session__state=TreatmentSession.State.CANCELLED)
        .filter(started_at__lt=session.checked_in_at or session.scheduled_at)
        .order_by("-started_at")
        .first()
    )


def _consent_valid(session: TreatmentSession, known: facts.PlanGateFacts) -> bool:
    """Whether consent still covers the session's route.

    A consent withdrawn (or entered in error) after the plan was made holds every later dose. A plan
    made without consent under a prescriber's override (shown on every run-sheet) is not held for it
    again, unless the patient has since withdrawn a consent for the route.
    """
    if session.route in known.consent_routes:
        return True
    plan = session.plan
    overridden = plan is not None and any(
        item.get("code") == "consent_missing" for item in plan.gate_overridden_items or []
    )
    return overridden and session.route not in known.withdrawn_consent_routes


def fasting_required(session: TreatmentSession) -> bool:
    """The route's label rule (esketamine), else the clinic's own fasting policy when it has one."""
    rule = get_route(session.route).fasting
    if rule.food_minutes_before is not None or rule.liquids_minutes_before is not None:
        return True
    return bool((session.clinic.fasting_instructions or "").strip())


def due_today(session: TreatmentSession, now: dt.datetime) -> bool:
    """Whether the session's scheduled time falls on today's date in the clinic's zone."""
    zone = clinic_zone(session.clinic)
    return session.scheduled_at.astimezone(zone).date() == now.astimezone(zone).date()


def dose_readiness(session: TreatmentSession, now: dt.datetime) -> pathway.Readiness:
    """Every reason not to dose this session now (the core's go/no-go)."""
    patient = session.patient
    zone = clinic_zone(session.clinic)
    known = facts.plan_gate_facts(patient)
    previous = _previous_dose(session)
    since = previous.started_at if previous is not None else known.screened_at
    flags = facts.red_flags_since(patient, since=since)
    risk = facts.suicide_risk_since(patient, since=since)
    base = baseline_vitals(session)
    plan = session.plan
    at = session.checked_in_at or now
    split = pathway.split_red_flags(flags)
    return pathway.dose_readiness(
        pathway.ReadinessInput(
            route=session.route,
            age_years=age_years(patient, now.astimezone(zone).date()),
            plan_active=plan is not None and plan.status == TreatmentPlan.Status.ACTIVE,
            # A decision changed to "not eligible" after the plan was made holds every later dose.
            not_eligible=known.decision == "not_eligible",
            consent_valid=_consent_valid(session, known),
            due_today=due_today(session, now),
            checked_in=session.checked_in_at is not None,
            systolic_mmhg=base.systolic_mmhg if base else None,
            diastolic_mmhg=base.diastolic_mmhg if base else None,
            heart_rate_bpm=base.heart_rate_bpm if base else None,
            spo2_pct=base.spo2_pct if base else None,
            ride_home=session.ride_home_confirmed,
            fasting=session.fasting_confirmed if session.checked_in_at else None,
            fasting_required=fasting_required(session),
            new_medications=[session.medication_changes] if session.medication_changes.strip() else [],
            screened_drug_classes=known.screened_drug_classes,
            red_flags_since_last=split["red_flags_since_last"],  # type: ignore[arg-type]
            suicide_item_positive=risk.item_positive or bool(split["suicide_item_positive"]),
            cssrs_risk=risk.highest_level,
            urinary_symptoms=bool(split["urinary_symptoms"]),
            mania_or_psychosis=bool(split["mania_or_psychosis"]),
            pregnant=session.pregnancy_reported,
            paused_for_review=facts.next_dose_hold(patient),
            hours_since_last_dose=(
                max(0.0, (at - previous.started_at).total_seconds() / 3600) if previous is not None else None
            ),
        )
    )


def open_holds(session: TreatmentSession, now: dt.datetime) -> list[pathway.Hold]:
    """The holds that block a dose now: those not covered by a prescriber's override."""
    if session.dose_started_at is not None:
        # Once dosing has started the go/no-go was passed; later devices only need the dosing rules.
        return []
    covered = set(session.hold_overridden_codes or []) if session.hold_overridden_at else set()
    return [h for h in dose_readiness(session, now).holds if h.code not in covered]


def label_dose_options(session: TreatmentSession, now: dt.datetime) -> course.DoseOptions | None:
    """The doses the esketamine label allows for this session, for the prescriber and nurse (never shown to
    the patient): the core's ``next_dose_options`` from the doses of the plan's earlier sessions.

    None for a protocol without label dose steps, or when an earlier total is not a whole number of
    devices (a dose recorded with a reason): the run-sheet then shows no options rather than wrong ones.
    """
    protocol = get_protocol(session.protocol_id)
    if protocol.device is None or not protocol.first_doses or session.plan_id is None:
        return None
    totals: dict[int, float] = {}
    earlier = (
        DoseAdministration.objects.filter(
            session__plan_id=session.plan_id, entered_in_error=False, started_at__lt=session.scheduled_at
        )
        .exclude(session=session)
        .order_by("started_at")
        .values_list("session_id", "dose_mg")
    )
    for session_id, dose_mg in earlier:
        totals[session_id] = totals.get(session_id, 0.0) + float(dose_mg)
    zone = clinic_zone(session.clinic)
    try:
        return course.next_dose_options(
            protocol.id,
            age_years=age_years(session.patient, now.astimezone(zone).date()),
            previous_doses_mg=[round(t) for t in totals.values()],
            japanese_ancestry=facts.plan_gate_facts(session.patient).japanese_ancestry,
        )
    except ValueError:
        return None
