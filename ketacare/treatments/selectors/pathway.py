"""The safe pathway as the treatments app sees it: the plan gate and the dose go/no-go, gathered from
this app's rows and the facts sibling record apps keep (``ketacare.patients.facts``), decided by the
core (``ketacare.core.pathway``). See docs/decisions/0013.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ketacare.core import course, monitoring, pathway
from ketacare.core.pathway.readiness import reading_message
from ketacare.core.protocols import get_protocol, get_route
from ketacare.patients import facts
from ketacare.patients.models import Patient
from ketacare.treatments.models import DoseAdministration, TreatmentPlan, TreatmentSession, VitalSign
from ketacare.treatments.selectors._common import age_years, clinic_zone
from ketacare.treatments.selectors.interval import INTERVAL_HOLD, interval_hold_message, nearby_dose
from ketacare.treatments.selectors.pre_dose import QUESTIONNAIRES_DUE, questionnaires_hold
from ketacare.treatments.selectors.run_sheet import _once, baseline_vitals, valid_vitals

# Holds that are simply the next step of the run-sheet, not something a prescriber must hear about (and
# so not something a prescriber's override passes: the step is done, or a questionnaire skipped with
# its reason).
STEP_HOLDS = frozenset({"not_checked_in", "pre_dose_vitals_missing", QUESTIONNAIRES_DUE})

# A blood pressure taken again straight after a high one measures the same unsettled patient: a retake
# clears a blood-pressure hold only when it is taken at least this long after the reading that held,
# after the patient has rested seated. Clinic practice: no source KetaCare holds gives the interval
# (docs/decisions/0013).
BP_RETAKE_REST = dt.timedelta(minutes=5)
BP_FIELDS = frozenset({"systolic_mmhg", "diastolic_mmhg"})


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


def _holds_on_blood_pressure(vital: VitalSign) -> bool:
    return any(f.get("level") == "hold" and f.get("field") in BP_FIELDS for f in vital.flags or [])


@dataclass(frozen=True)
class RetakeTooSoon:
    """A pre-dose blood-pressure hold the latest reading does not clear: it was taken before the rest
    after the reading that held was over. ``retake_from`` is when a retake counts."""

    held: VitalSign
    retake_from: dt.datetime


def bp_retake_too_soon(session: TreatmentSession) -> RetakeTooSoon | None:
    """The last pre-dose reading that held on blood pressure, when every reading since it was taken
    within `BP_RETAKE_REST` of it (so none of them counts yet); None otherwise.

    The latest pre-dose set still decides every other hold (heart rate, SpO2) and is the baseline of
    the in-session flags; only the blood-pressure hold waits for a rested retake.
    """
    pre = [v for v in valid_vitals(session) if v.kind == VitalSign.Kind.PRE_DOSE]
    held = [v for v in pre if _holds_on_blood_pressure(v)]
    if not held or pre[-1] is held[-1]:
        return None
    retake_from = held[-1].measured_at + BP_RETAKE_REST
    if pre[-1].measured_at >= retake_from:
        return None
    return RetakeTooSoon(held=held[-1], retake_from=retake_from)


def retake_words(too_soon: RetakeTooSoon, zone: dt.tzinfo) -> str:
    """ "retake from 07:44, after 5 minutes' rest" in the clinic's time."""
    minutes = int(BP_RETAKE_REST.total_seconds() // 60)
    return f"retake from {too_soon.retake_from.astimezone(zone):%H:%M}, after {minutes} minutes' rest"


def _retake_too_soon_holds(
    session: TreatmentSession, too_soon: RetakeTooSoon, age: int
) -> list[pathway.Hold]:
    """The held reading's blood-pressure holds, each saying when a retake counts."""
    held = too_soon.held
    zone = clinic_zone(session.clinic)
    result = monitoring.check_pre_dose(session.route, age, held.systolic_mmhg, held.diastolic_mmhg)
    when = (
        f" at {held.measured_at.astimezone(zone):%H:%M}; a reading taken sooner does not count: "
        f"{retake_words(too_soon, zone)}."
    )
    return [
        pathway.Hold(f"pre_dose_{reason.code}", f"{reading_message(reason)}{when}", "urgent")
        for reason in result.reasons
        if reason.level == "hold" and reason.field in BP_FIELDS
    ]


def pre_dose_hold_flags(session: TreatmentSession) -> tuple[bool, list[dict[str, Any]]]:
    """(hold, reasons) the session stores after a pre-dose reading or its correction: the latest set's
    flags, plus the blood-pressure holds of an earlier reading a too-early retake does not clear."""
    base = baseline_vitals(session)
    flags: list[dict[str, Any]] = list(base.flags) if base else []
    too_soon = bp_retake_too_soon(session)
    if too_soon is not None:
        known = {f.get("code") for f in flags}
        flags += [
            f
            for f in too_soon.held.flags
            if f.get("level") == "hold" and f.get("field") in BP_FIELDS and f.get("code") not in known
        ]
    return any(f.get("level") == "hold" for f in flags), flags


def dose_readiness(session: TreatmentSession, now: dt.datetime) -> pathway.Readiness:
    """Every reason not to dose this session now (the core's go/no-go), a blood-pressure hold a retake
    taken too soon does not clear (`bp_retake_too_soon`), and the questionnaires due before the dose
    that are neither answered nor skipped with a reason (`pre_dose.questionnaires_hold`).

    The "interval" hold (another dose less than 24 h from now, clinic practice) names that dose: its
    time, amount and route (`interval.nearby_dose`)."""
    patient = session.patient
    zone = clinic_zone(session.clinic)
    known = facts.plan_gate_facts(patient)
    previous = _previous_dose(session)
    since = previous.started_at if previous is not None else known.screened_at
    flags = facts.red_flags_since(patient, since=since)
    risk = facts.suicide_risk_since(patient, since=since)
    base = baseline_vitals(session)
    plan = session.plan
    near = nearby_dose(session, now)
    split = pathway.split_red_flags(flags)
    age = age_years(patient, now.astimezone(zone).date())
    readiness = pathway.dose_readiness(
        pathway.ReadinessInput(
            route=session.route,
            age_years=age,
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
            # The other dose nearest to now, whichever session it was given in (one checked in after
            # this one, dosed while this one waited, counts as much as one dosed this morning).
            hours_since_last_dose=near.gap(now).total_seconds() / 3600 if near is not None else None,
        )
    )
    holds = readiness.holds
    if near is not None:
        # The core says how long ago; the people at the chair need which dose: when, how much, how given.
        message = interval_hold_message(session, near, now)
        holds = tuple(
            pathway.Hold(h.code, message, h.severity) if h.code == INTERVAL_HOLD else h for h in holds
        )
    too_soon = bp_retake_too_soon(session) if base is not None else None
    if too_soon is not None:
        present = {h.code for h in holds}
        holds += tuple(h for h in _retake_too_soon_holds(session, too_soon, age) if h.code not in present)
    if session.checked_in_at is not None and (questionnaires := questionnaires_hold(session)) is not None:
        holds += (questionnaires,)
    return pathway.Readiness(go=not holds, holds=holds)


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


# The plan gate's missing steps in a few words, for the line that says what a dose goes ahead under.
_GATE_ITEM_WORDS = {
    "screening_missing": "no completed screening",
    "decision_missing": "no eligibility decision",
    "consent_missing": "no consent on file",
}


@dataclass(frozen=True)
class GateOverrideNow:
    """A plan made under a prescriber's override of the plan gate, as it stands now.

    ``still_missing`` are the overridden steps still missing today (what a dose goes ahead under);
    ``recorded_since`` the ones intake has recorded since the plan was made.
    """

    plan: TreatmentPlan
    still_missing: tuple[dict[str, str], ...]
    recorded_since: tuple[dict[str, str], ...]

    @property
    def words(self) -> str:
        """ "no completed screening, no consent on file": the steps still missing, in a few words."""
        return ", ".join(
            _GATE_ITEM_WORDS.get(item.get("code", ""), item.get("message", "")) for item in self.still_missing
        )


def gate_override_now(session: TreatmentSession) -> GateOverrideNow | None:
    """The session's plan gate override and which of its steps are still missing, or None (no override)."""
    plan = session.plan
    if plan is None or not plan.gate_override_reason:
        return None
    # Once per render: the ready line, the dose form and the box above them ask the same question.
    gate = _once("plan_gate_now", session, lambda: plan_gate(session.patient, session.route))
    missing_now = {item.code for item in gate.missing}
    items = [dict(item) for item in plan.gate_overridden_items or []]
    return GateOverrideNow(
        plan=plan,
        still_missing=tuple(i for i in items if i.get("code") in missing_now),
        recorded_since=tuple(i for i in items if i.get("code") not in missing_now),
    )


def gate_override_read_needed(session: TreatmentSession, user: Any) -> GateOverrideNow | None:
    """The override the person recording the session's first dose confirms they have read, or None.

    Needed while a step the prescriber overrode is still missing, unless ``user`` wrote the override.
    """
    if session.dose_started_at is not None:
        return None
    override = gate_override_now(session)
    if override is None or not override.still_missing:
        return None
    if override.plan.gate_overridden_by_id is not None and override.plan.gate_overridden_by_id == user.pk:
        return None
    return override


@dataclass(frozen=True)
class InfusionStop:
    """An infusion stopped at ``ended_at``: how long it ran and what it delivered (rate x time).

    The run-sheet's "Stopping now" line and the services that record the stop use this one function, so
    the minutes and milligrams on screen are the ones recorded.
    """

    ended_at: dt.datetime
    minutes: float  # from the start to `ended_at`, never below 0
    planned_minutes: int
    planned_mg: float
    delivered_mg: float  # rate x time, at least 0.01 mg (a dose row is never 0 mg)
    complete: bool  # ran its planned time: the planned dose is recorded
    early: bool  # before `pathway.EARLY_STOP_FRACTION` of the time: a reason is required

    @property
    def minutes_shown(self) -> str:
        """The minutes it ran as the page writes them: whole minutes, or one decimal under a minute's
        difference ("0.5", "12", "31.3")."""
        rounded = round(self.minutes, 1)
        return f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"

    @property
    def delivered_shown(self) -> str:
        return f"{self.delivered_mg:g}"

    @property
    def planned_shown(self) -> str:
        return f"{self.planned_mg:g}"

    @property
    def words(self) -> str:
        """ "Stopped after 12 of 40 planned min: 12.23 mg of 40.75 mg delivered (rate × time)"."""
        return (
            f"Stopped after {self.minutes_shown} of {self.planned_minutes} planned min: "
            f"{self.delivered_shown} mg of {self.planned_shown} mg delivered (rate \u00d7 time)"
        )

    @property
    def early_words(self) -> str:
        """The early-stop issue recorded with the nurse's reason."""
        fraction = f"{pathway.EARLY_STOP_FRACTION:.0%}"
        return f"{self.words}, before {fraction} of the planned time (clinic practice)"


def infusion_stop(
    protocol_id: str, planned_mg: float, started_at: dt.datetime, ended_at: dt.datetime
) -> InfusionStop | None:
    """What stopping an infusion of ``planned_mg`` started at ``started_at`` delivers at ``ended_at``;
    None for a protocol that is not an infusion."""
    protocol = get_protocol(protocol_id)
    planned_minutes = protocol.dose.infusion_minutes
    if not planned_minutes:
        return None
    minutes = max(0.0, (ended_at - started_at).total_seconds() / 60)
    complete = minutes >= planned_minutes
    delivered = planned_mg if complete else pathway.delivered_mg(planned_mg, planned_minutes, minutes)
    # The core decides what an early stop is; only its early-stop issue counts here (the total's range is
    # the dose's own check).
    issues = pathway.dose_plausibility(
        protocol.id,
        total_mg=max(delivered, 0.01),
        weight_kg=1.0 if protocol.dose.basis == "mg_per_kg" else None,
        planned_minutes=float(planned_minutes),
        actual_minutes=minutes,
    ).issues
    early = not complete and any(code == "early_stop" for code, _ in issues)
    return InfusionStop(
        ended_at=ended_at,
        minutes=minutes,
        planned_minutes=int(planned_minutes),
        planned_mg=float(planned_mg),
        delivered_mg=max(delivered, 0.01),
        complete=complete,
        early=early,
    )
