"""Reads for treatments: the access functions, the run-sheet state and the clinic's lists.

Every clinical number (observation minutes, checkpoints, thresholds) comes from the core; this module
only gathers plain values from the database and passes them in.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.core import monitoring
from ketacare.core.instruments import get_instrument
from ketacare.core.pk import timeline as pk_timeline
from ketacare.core.protocols import get_protocol, get_route
from ketacare.patients import facts
from ketacare.patients.facts import SUICIDE_RISK, Dose, UpcomingAppointment
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient
from ketacare.treatments.models import (
    Appointment,
    ClinicSessionSettings,
    DoseAdministration,
    Observation,
    PreDoseQuestionnaire,
    RemsForm,
    TreatmentPlan,
    TreatmentSession,
    VitalSign,
)

# A reading this close to a checkpoint counts for it, and a checkpoint is "overdue" only this long
# after its time: a user-interface grace period (clinic practice), not a clinical threshold.
CHECKPOINT_GRACE = dt.timedelta(minutes=5)
LIVE_STATES = (
    TreatmentSession.State.CHECKED_IN,
    TreatmentSession.State.DOSING,
    TreatmentSession.State.OBSERVING,
    TreatmentSession.State.READY_FOR_DISCHARGE,
)


def _deny(user: Any, action: str, object_type: str, object_id: str) -> Http404:
    record_access_event(
        user=user, action=action, outcome="denied", object_type=object_type, object_id=object_id
    )
    return Http404("Not found")


def access_session(user: Any, public_id: uuid.UUID | str, *, action: str = "read") -> TreatmentSession:
    """Return the session if this user may see its patient, else raise Http404 (audited either way)."""
    object_id = str(public_id)[:64]
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise _deny(user, action, "treatment_session", object_id) from None
    session = (
        TreatmentSession.objects.select_related("patient", "clinic", "plan", "appointment")
        .filter(public_id=key)
        .first()
    )
    if session is None:
        raise _deny(user, action, "treatment_session", object_id)
    access_patient(user, session.patient.public_id, action=action)
    return session


def access_appointment(user: Any, patient: Patient, public_id: uuid.UUID | str) -> Any:
    """Return the patient's appointment (the patient was already reached through access_patient)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404("Not found") from None
    appointment = Appointment.objects.filter(public_id=key, patient=patient).select_related("plan").first()
    if appointment is None:
        raise Http404("Not found")
    return appointment


def clinic_zone(clinic: Clinic) -> zoneinfo.ZoneInfo:
    """The clinic's IANA zone."""
    return zoneinfo.ZoneInfo(clinic.time_zone)


def patient_zone(patient: Patient) -> zoneinfo.ZoneInfo:
    """The patient's IANA zone."""
    return zoneinfo.ZoneInfo(patient.time_zone)


def age_years(patient: Patient, on: dt.date) -> int:
    """Whole years of age on a date."""
    born = patient.date_of_birth
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def session_settings(session: TreatmentSession) -> ClinicSessionSettings | None:
    """The clinic's own settings for this session's route, if any."""
    return ClinicSessionSettings.objects.filter(clinic_id=session.clinic_id, route=session.route).first()


def observation_minutes(session: TreatmentSession) -> int:
    """Minimum observation for this session (core rule, lengthened by a clinic setting)."""
    setting = session_settings(session)
    return monitoring.observation_minutes(session.route, setting.min_observation_min if setting else None)


def current_plan(patient: Patient) -> TreatmentPlan | None:
    """The patient's active plan, newest first."""
    return (
        TreatmentPlan.objects.filter(patient=patient, status=TreatmentPlan.Status.ACTIVE)
        .order_by("-created_at")
        .first()
    )


def patient_sessions(patient: Patient) -> QuerySet[TreatmentSession]:
    """A patient's sessions, newest first."""
    return TreatmentSession.objects.filter(patient=patient).order_by("-scheduled_at")


def valid_vitals(session: TreatmentSession) -> list[VitalSign]:
    return list(session.vitals.filter(entered_in_error=False).order_by("measured_at", "id"))


def valid_doses(session: TreatmentSession) -> list[DoseAdministration]:
    return list(session.doses.filter(entered_in_error=False).order_by("started_at", "id"))


def valid_observations(session: TreatmentSession) -> list[Observation]:
    return list(session.observations.filter(entered_in_error=False).order_by("observed_at", "id"))


def as_core_vitals(vital: VitalSign | None) -> monitoring.VitalSigns | None:
    if vital is None:
        return None
    return monitoring.VitalSigns(
        vital.systolic_mmhg, vital.diastolic_mmhg, vital.heart_rate_bpm, vital.spo2_pct
    )


def baseline_vitals(session: TreatmentSession) -> VitalSign | None:
    """The latest pre-dose set: the baseline and the hold decision."""
    pre = [v for v in valid_vitals(session) if v.kind == VitalSign.Kind.PRE_DOSE]
    return pre[-1] if pre else None


def latest_in_session_vitals(session: TreatmentSession) -> VitalSign | None:
    after = [v for v in valid_vitals(session) if v.kind == VitalSign.Kind.IN_SESSION]
    return after[-1] if after else None


def planned_dosing_minutes(session: TreatmentSession) -> int:
    """How long dosing is expected to take: the infusion time, or the waits between nasal devices."""
    protocol = get_protocol(session.protocol_id)
    if protocol.dose.infusion_minutes:
        return protocol.dose.infusion_minutes
    if protocol.device is not None and session.planned_dose_mg:
        devices = max(1, int(session.planned_dose_mg) // protocol.device.mg_per_device)
        return (devices - 1) * protocol.device.wait_between_devices_minutes
    return 0


def minutes_since_dose_end(session: TreatmentSession, now: dt.datetime) -> float | None:
    if session.dose_ended_at is None:
        return None
    return max(0.0, (now - session.dose_ended_at).total_seconds() / 60)


def readiness(
    session: TreatmentSession,
    now: dt.datetime,
    *,
    ride_present: bool | None = None,
    instructions_given: bool | None = None,
) -> monitoring.DischargeReadiness | None:
    """The core's discharge readiness at `now`, or None before dosing has ended."""
    minutes = minutes_since_dose_end(session, now)
    if minutes is None:
        return None
    observations = valid_observations(session)
    latest = observations[-1] if observations else None
    setting = session_settings(session)
    return monitoring.discharge_readiness(
        session.route,
        # Whole minutes, rounded down: the clock never shows more observation than there was.
        min(math.floor(minutes), 24 * 60),
        latest.moaas_score if latest else None,
        as_core_vitals(baseline_vitals(session)),
        as_core_vitals(latest_in_session_vitals(session)),
        session.ride_home_confirmed if ride_present is None else ride_present,
        session.instructions_given if instructions_given is None else instructions_given,
        setting.min_observation_min if setting else None,
        dissociation_resolved=(latest.dissociation == Observation.Dissociation.NONE) if latest else None,
    )


# Criteria confirmed at the door when the patient leaves; a session whose only unmet criteria are
# these shows as "ready for discharge".
DOOR_CRITERIA = frozenset({"ride_home", "instructions"})


def effective_state(session: TreatmentSession, now: dt.datetime) -> str:
    """The state to show: an observing session whose clinical criteria are met is ready for discharge."""
    if session.state not in (TreatmentSession.State.OBSERVING, TreatmentSession.State.READY_FOR_DISCHARGE):
        return session.state
    result = readiness(session, now, ride_present=session.ride_home_confirmed, instructions_given=True)
    if result is not None and {c.code for c in result.unmet} <= DOOR_CRITERIA:
        return TreatmentSession.State.READY_FOR_DISCHARGE
    return TreatmentSession.State.OBSERVING


@dataclass(frozen=True)
class CheckpointView:
    """A vital-sign checkpoint with its status at `now`: done, due, overdue or upcoming."""

    due_at: dt.datetime
    code: str
    minutes_after_dose_end: int
    status: str
    projected: bool

    @property
    def label(self) -> str:
        names = {
            "pre_dose": "Before the dose",
            "during_dose": "During dosing",
            "end_of_dose": "End of dosing",
            "after_dose": f"{self.minutes_after_dose_end} min after dosing",
            "before_discharge": "Before discharge",
        }
        return names.get(self.code, self.code)


def checkpoints(session: TreatmentSession, now: dt.datetime) -> list[CheckpointView]:
    """The core's vital-sign checkpoints for this session, each marked done / due / overdue / upcoming.

    Before dosing has ended the times are projected from the planned dosing time (marked `projected`).
    A reading counts for a checkpoint from `CHECKPOINT_GRACE` before it until the next checkpoint's window.
    """
    if session.state in (TreatmentSession.State.SCHEDULED, TreatmentSession.State.CANCELLED):
        return []
    anchor = session.checked_in_at or session.scheduled_at
    projected = session.dose_ended_at is None
    start = session.dose_started_at or max(now, anchor)
    end = session.dose_ended_at or max(start + dt.timedelta(minutes=planned_dosing_minutes(session)), now)
    setting = session_settings(session)
    points = monitoring.vital_checkpoints(
        session.route,
        start,
        end,
        clinic_min_observation_min=setting.min_observation_min if setting else None,
        interval_minutes=setting.vital_interval_min if setting else None,
    )
    vitals = valid_vitals(session)
    out: list[CheckpointView] = []
    for index, point in enumerate(points):
        if point.code == "pre_dose":
            done = any(v.kind == VitalSign.Kind.PRE_DOSE for v in vitals)
        else:
            window_end = points[index + 1].due_at - CHECKPOINT_GRACE if index + 1 < len(points) else None
            done = any(
                v.kind == VitalSign.Kind.IN_SESSION
                and v.measured_at >= point.due_at - CHECKPOINT_GRACE
                and (window_end is None or v.measured_at < window_end)
                for v in vitals
            )
        if done:
            status = "done"
        elif session.state == TreatmentSession.State.DISCHARGED:
            status = "missed"
        elif now > point.due_at + CHECKPOINT_GRACE and not (projected and point.code != "pre_dose"):
            status = "overdue"
        elif now >= point.due_at - CHECKPOINT_GRACE:
            status = "due"
        else:
            status = "upcoming"
        out.append(
            CheckpointView(
                due_at=point.due_at,
                code=point.code,
                minutes_after_dose_end=point.minutes_after_dose_end,
                status=status,
                projected=projected and point.code != "pre_dose",
            )
        )
    return out


def day_bounds(clinic: Clinic, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Midnight to midnight of `day` in the clinic's zone, as aware datetimes."""
    zone = clinic_zone(clinic)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start, end


def today_in(clinic: Clinic, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(clinic_zone(clinic)).date()


@dataclass(frozen=True)
class DayRow:
    session: TreatmentSession
    state: str
    state_label: str
    overdue: list[CheckpointView]
    minutes_observed: float | None


def clinic_day(clinic: Clinic, day: dt.date, now: dt.datetime) -> list[DayRow]:
    """The clinic's sessions on `day` (clinic zone) with their state and overdue checkpoints."""
    start, end = day_bounds(clinic, day)
    sessions = (
        TreatmentSession.objects.filter(clinic=clinic, scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related("patient")
        .order_by("scheduled_at", "id")
    )
    rows = []
    labels = dict(TreatmentSession.State.choices)
    for session in sessions:
        state = effective_state(session, now)
        overdue = (
            [c for c in checkpoints(session, now) if c.status == "overdue"] if state in LIVE_STATES else []
        )
        rows.append(DayRow(session, state, labels[state], overdue, minutes_since_dose_end(session, now)))
    return rows


def forms_due(clinic: Clinic) -> QuerySet[RemsForm]:
    """The clinic's REMS forms not yet submitted, soonest deadline first."""
    return (
        RemsForm.objects.filter(clinic=clinic, submitted_at__isnull=True)
        .select_related("patient", "session")
        .order_by("due_at", "id")
    )


def recent_submitted_forms(clinic: Clinic, limit: int = 25) -> list[RemsForm]:
    return list(
        RemsForm.objects.filter(clinic=clinic, submitted_at__isnull=False)
        .select_related("patient", "session")
        .order_by("-submitted_at")[:limit]
    )


def route_rules(session: TreatmentSession) -> Any:
    return get_route(session.route)


# --------------------------------------------------------------------------------------------------
# Personal recovery timeline (issue 6 item 4): a model estimate from ketacare.core.pk, for display only
# --------------------------------------------------------------------------------------------------

# Virtual patients for the 5-95% band, and the fixed seed that makes the band the same on every page
# view. A display setting (how smooth the band is), not a clinical number; ~30 ms per session.
RECOVERY_POPULATION_SIZE = 500
RECOVERY_SEED = 0
# Crossing times are shown rounded to this many minutes ("around 11:40"): the model is not precise to
# the minute, and a rounded time reads as the estimate it is.
RECOVERY_ROUND_MIN = 5


@dataclass(frozen=True)
class RecoveryThreshold:
    """When the predicted effect falls below one of the core's thresholds, as clock times for display.

    Clock strings are in the patient's zone (with the date when not the day of the dose); minutes are
    after the start of dosing. Both are rounded to ``RECOVERY_ROUND_MIN``. The band bounds the time
    across the simulated population (5th-95th percentile); ``band_from_start`` means at least 5% of the
    simulated people never reached the level, so the band starts at the dose.
    """

    label: str
    fraction_of_c50: float
    concentration_ng_per_ml: float
    reached: bool
    minutes: int | None
    clock: str | None
    clinic_clock: str | None
    band_from_min: int | None
    band_to_min: int | None
    band_from_clock: str | None
    band_to_clock: str | None
    band_from_start: bool
    percent_reaching: int | None

    @property
    def duration_text(self) -> str:
        """The minutes after the dose in plain words ("1 hour 45 minutes")."""
        if self.minutes is None:
            return ""
        hours, minutes = divmod(self.minutes, 60)
        parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
        if minutes or not hours:
            parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
        return " ".join(parts)


@dataclass(frozen=True)
class RecoveryEstimate:
    """A session's personal recovery timeline, as plain data for the run-sheet and the instructions.

    ``available`` is False when the route has no model (``no_model_reason``) or an input is missing
    (``missing_input``). ``patient_threshold`` is the lowest threshold the typical simulated patient
    falls below: the one the patient-facing sentence uses. Every number comes from the core.
    """

    available: bool
    route: str
    caveat: str
    dose_mg: float
    dose_start: dt.datetime
    patient_zone: str
    clinic_zone: str
    no_model_reason: str | None = None
    missing_input: str | None = None
    weight_kg: float | None = None
    age_years: int | None = None
    sex: str = "unknown"
    infusion_min: float | None = None
    model_title: str | None = None
    pk_citation: str | None = None
    pd_citation: str | None = None
    pk_pd_caveat: str | None = None
    thresholds: tuple[RecoveryThreshold, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    population_size: int = 0
    seed: int | None = None

    @property
    def dose_start_clock(self) -> str:
        """When dosing started, in the patient's zone (a string: templates must not convert it again)."""
        return f"{self.dose_start:%H:%M}"

    @property
    def zones_differ(self) -> bool:
        return self.patient_zone != self.clinic_zone

    @property
    def patient_threshold(self) -> RecoveryThreshold | None:
        reached = [t for t in self.thresholds if t.reached]
        return min(reached, key=lambda t: t.fraction_of_c50) if reached else None


@functools.lru_cache(maxsize=512)
def _cached_timeline(
    route: str, dose_mg: float, weight_kg: float, age_years: int, sex: str, infusion_min: float | None
) -> pk_timeline.Timeline:
    """The core's timeline for these inputs (a pure function: cached per input set, i.e. per session)."""
    return pk_timeline.personal_timeline(
        route=route,
        dose_mg=dose_mg,
        weight_kg=weight_kg,
        age_years=age_years,
        sex=sex,
        infusion_min=infusion_min,
        population_size=RECOVERY_POPULATION_SIZE,
        seed=RECOVERY_SEED,
    )


def _round_minutes(minutes: float) -> int:
    return int(RECOVERY_ROUND_MIN * round(minutes / RECOVERY_ROUND_MIN))


def _clock(start: dt.datetime, minutes: float, zone: zoneinfo.ZoneInfo) -> str:
    """The clock time `minutes` after `start` in `zone`, rounded to ``RECOVERY_ROUND_MIN`` ("around 11:40").

    The weekday and date are added when it is not the day dosing started.
    """
    step = RECOVERY_ROUND_MIN * 60
    exact = (start + dt.timedelta(minutes=minutes)).timestamp()
    at = dt.datetime.fromtimestamp(step * round(exact / step), tz=zone)
    return f"{at:%H:%M}" if at.date() == start.astimezone(zone).date() else f"{at:%a %d %b %H:%M}"


def session_recovery_estimate(session: TreatmentSession) -> RecoveryEstimate | None:
    """The model estimate of when this session's effect wears off, or None before dosing has ended.

    Inputs come from the session: route, the administered dose (valid doses only), the check-in weight
    (else the plan's), age on the day of the dose, sex from the current intake (else "unknown") and,
    for IV, the infusion length from the first start to the last stop. Never a discharge rule and never
    dosing advice: the core's caveat travels with every result.
    """
    if session.dose_ended_at is None:
        return None
    doses = valid_doses(session)
    if not doses:
        return None
    patient = session.patient
    p_zone = patient_zone(patient)
    start = min(d.started_at for d in doses)
    dose_mg = float(sum(d.dose_mg for d in doses))
    base: dict[str, Any] = {
        "route": session.route,
        "caveat": pk_timeline.CAVEAT,
        "dose_mg": dose_mg,
        "dose_start": start.astimezone(p_zone),
        "patient_zone": patient.time_zone,
        "clinic_zone": session.clinic.time_zone,
    }
    weight = session.weight_kg or (session.plan.weight_kg if session.plan else None)
    age = age_years(patient, start.astimezone(p_zone).date())
    mapping = pk_timeline.ROUTES.get(session.route)
    if mapping is None:
        reason = "no model for this route"
        if session.route in pk_timeline.ROUTES:
            # The core answers "no model" (with its reason) before it looks at the covariates.
            reason = (
                pk_timeline.personal_timeline(
                    route=session.route,
                    dose_mg=dose_mg,
                    weight_kg=float(weight) if weight is not None else float("nan"),
                    age_years=age,
                ).no_model_reason
                or reason
            )
        return RecoveryEstimate(available=False, no_model_reason=reason, **base)
    if weight is None:
        return RecoveryEstimate(available=False, missing_input="no weight recorded for this session", **base)
    infusion_min = None
    if mapping[1] == "iv":
        stops = [d.ended_at for d in doses if d.ended_at is not None]
        end = max(stops) if stops else session.dose_ended_at
        infusion_min = round((end - start).total_seconds() / 60, 1)
        if infusion_min <= 0:
            return RecoveryEstimate(
                available=False, missing_input="the infusion's start and stop times are the same", **base
            )
    c_zone = clinic_zone(session.clinic)
    sex = facts.patient_sex(patient)
    timeline = _cached_timeline(session.route, dose_mg, float(weight), age, sex, infusion_min)
    crossings = []
    for crossing in timeline.thresholds:
        exact, p05, p95 = crossing.falls_below_min, crossing.band_p05_min, crossing.band_p95_min
        crossings.append(
            RecoveryThreshold(
                label=crossing.label,
                fraction_of_c50=crossing.fraction_of_c50,
                concentration_ng_per_ml=crossing.concentration_ng_per_ml,
                reached=crossing.reached,
                minutes=_round_minutes(exact) if exact is not None else None,
                clock=_clock(start, exact, p_zone) if exact is not None else None,
                clinic_clock=_clock(start, exact, c_zone) if exact is not None else None,
                band_from_min=_round_minutes(p05) if p05 is not None else None,
                band_to_min=_round_minutes(p95) if p95 is not None else None,
                band_from_clock=_clock(start, p05, p_zone) if p05 is not None else None,
                band_to_clock=_clock(start, p95, p_zone) if p95 is not None else None,
                band_from_start=crossing.band_p05_min is not None and crossing.band_p05_min <= 0,
                percent_reaching=(
                    round(100 * crossing.fraction_reaching)
                    if crossing.fraction_reaching is not None
                    else None
                ),
            )
        )
    return RecoveryEstimate(
        available=True,
        weight_kg=float(weight),
        age_years=age,
        sex=sex,
        infusion_min=infusion_min,
        model_title=timeline.model_title,
        pk_citation=timeline.pk_citation,
        pd_citation=timeline.pd_citation,
        pk_pd_caveat=timeline.pk_pd_caveat,
        thresholds=tuple(crossings),
        warnings=timeline.warnings,
        notes=timeline.notes,
        population_size=timeline.population_size,
        seed=timeline.seed,
        **base,
    )


# --------------------------------------------------------------------------------------------------
# Pre-dose questionnaires (the questionnaires app's "before each induction session" schedule)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreDoseItem:
    """One questionnaire due before this session and where it stands at check-in."""

    assignment: Any  # questionnaires.QuestionnaireAssignment
    instrument: Any  # the core instrument definition
    status: str  # "due" | "completed" | "skipped" | "cancelled"
    at: dt.datetime | None = None  # when it was completed or skipped
    where: str = ""  # "phone" | "chair" (completed only)
    by: Any = None  # the staff user who entered or skipped it at the chair
    reason: str = ""  # skip reason
    response: Any = None  # questionnaires.QuestionnaireResponse (completed only)

    @property
    def crisis_alerts(self) -> list[dict[str, Any]]:
        """The response's suicide-risk item alerts (the core's messages), if any."""
        if self.response is None:
            return []
        return [a for a in self.response.item_alerts if a.get("code") == SUICIDE_RISK]


def schedule_id(session: TreatmentSession) -> str | None:
    """The id the questionnaire schedule knows this session by (its appointment), or None (ad hoc)."""
    return str(session.appointment.public_id) if session.appointment is not None else None


def pre_dose_questionnaires(session: TreatmentSession) -> list[PreDoseItem]:
    """The questionnaires due before this session (from the questionnaires schedule) and their state."""
    key = schedule_id(session)
    if key is None:
        return []
    records = {
        r.assignment_id: r
        for r in PreDoseQuestionnaire.objects.filter(session=session, entered_in_error=False).select_related(
            "created_by"
        )
    }
    items = []
    for assignment in facts.before_session_assignments(session.patient, session_id=key):
        instrument = get_instrument(assignment.instrument_id)
        record = records.get(assignment.pk)
        responses = [r for r in assignment.responses.all() if r.status == "valid"]
        if assignment.state == "completed" and responses:
            response = max(responses, key=lambda r: (r.submitted_at, r.pk))
            chair = record is not None and record.response_id == response.pk
            items.append(
                PreDoseItem(
                    assignment,
                    instrument,
                    "completed",
                    at=response.submitted_at,
                    where="chair" if chair else "phone",
                    by=record.created_by if chair and record is not None else None,
                    response=response,
                )
            )
        elif assignment.state == "due" and (
            earlier := facts.responses_since(
                session.patient, instrument_id=assignment.instrument_id, since=assignment.due_at
            ).last()
        ):
            # Answered on the phone since it fell due, though the answer was filed under another due
            # slot of the same instrument (the oldest one): it is done, nobody asks twice.
            items.append(
                PreDoseItem(
                    assignment,
                    instrument,
                    "completed",
                    at=earlier.submitted_at,
                    where="phone",
                    response=earlier,
                )
            )
        elif record is not None and record.outcome == PreDoseQuestionnaire.Outcome.SKIPPED:
            items.append(
                PreDoseItem(
                    assignment,
                    instrument,
                    "skipped",
                    at=record.recorded_at,
                    by=record.created_by,
                    reason=record.skip_reason,
                )
            )
        elif assignment.state == "due":
            items.append(PreDoseItem(assignment, instrument, "due"))
        else:
            items.append(PreDoseItem(assignment, instrument, "cancelled"))
    return items


def pre_dose_assignment(session: TreatmentSession, assignment_id: str) -> Any:
    """One questionnaire due before this session (the session was already reached by access_session)."""
    key = schedule_id(session)
    try:
        wanted = uuid.UUID(str(assignment_id))
    except ValueError:
        raise Http404("Not found") from None
    if key is None:
        raise Http404("Not found")
    assignment = (
        facts.before_session_assignments(session.patient, session_id=key).filter(public_id=wanted).first()
    )
    if assignment is None:
        raise Http404("Not found")
    return assignment


# The patient's doses and appointments, which sibling record apps read through patients.facts.


def patient_doses(patient: Patient, *, now: dt.datetime) -> list[Dose]:
    """Every dose the patient has started up to ``now`` (cancelled sessions left out), oldest first."""
    sessions = (
        TreatmentSession.objects.filter(
            patient=patient, dose_started_at__isnull=False, dose_started_at__lte=now
        )
        .exclude(state=TreatmentSession.State.CANCELLED)
        .order_by("dose_started_at", "id")
    )
    return [
        Dose(
            route=s.route,
            started_at=s.dose_started_at,  # type: ignore[arg-type]  # filtered non-null above
            ended_at=s.dose_ended_at,
            session_public_id=str(s.public_id),
            dose_mg=sum((float(d.dose_mg) for d in s.doses.all() if not d.entered_in_error), 0.0) or None,
        )
        for s in sessions.prefetch_related("doses")
    ]


def last_dose(patient: Patient, *, now: dt.datetime) -> Dose | None:
    """The most recent dose started at or before ``now``, or None when none is on record."""
    doses = patient_doses(patient, now=now)
    return doses[-1] if doses else None


def next_appointment(patient: Patient, *, now: dt.datetime) -> UpcomingAppointment | None:
    """The next scheduled appointment after ``now`` (None when none is booked)."""
    first = (
        Appointment.objects.filter(patient=patient, starts_at__gt=now, status=Appointment.Status.SCHEDULED)
        .select_related("plan")
        .order_by("starts_at", "id")
        .first()
    )
    if first is None:
        return None
    return UpcomingAppointment(
        starts_at=first.starts_at,
        route=first.plan.route,
        kind=first.phase or "session",
        public_id=str(first.public_id),
    )


def upcoming_appointments(
    patient: Patient, *, now: dt.datetime, until: dt.datetime
) -> list[UpcomingAppointment]:
    """Scheduled appointments between ``now`` and ``until``, in time order."""
    rows = (
        Appointment.objects.filter(
            patient=patient, starts_at__gt=now, starts_at__lte=until, status=Appointment.Status.SCHEDULED
        )
        .select_related("plan")
        .order_by("starts_at", "id")
    )
    return [
        UpcomingAppointment(a.starts_at, a.plan.route, a.phase or "session", str(a.public_id)) for a in rows
    ]


def patient_route(patient: Patient, *, now: dt.datetime) -> str:
    """The route the patient is treated with: the last dose's, else the latest plan's, else ""."""
    dose = last_dose(patient, now=now)
    if dose is not None and dose.route:
        return dose.route
    plan = TreatmentPlan.objects.filter(patient=patient).order_by("-created_at", "-id").first()
    return plan.route if plan is not None else ""


def maintenance_started_at(patient: Patient, *, now: dt.datetime) -> dt.datetime | None:
    """When the first maintenance dose started (the anchor of the maintenance interval), or None."""
    first = (
        TreatmentSession.objects.filter(
            patient=patient, appointment__phase="maintenance", dose_started_at__lte=now
        )
        .exclude(state=TreatmentSession.State.CANCELLED)
        .order_by("dose_started_at")
        .values_list("dose_started_at", flat=True)
        .first()
    )
    return first
