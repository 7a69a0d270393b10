"""The run-sheet's state at `now`: valid entries, checkpoints, discharge readiness.

Every clinical number (observation minutes, checkpoints, thresholds) comes from the core; this module
only gathers plain values from the database and passes them in.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from ketacare.alerts.models import Alert
from ketacare.alerts.selectors import SEVERITY_RANK
from ketacare.alerts.services import SUICIDE_RED_FLAGS, SUICIDE_RISK_SOURCES, needs_resolution_note
from ketacare.clinics.models import StaffMembership
from ketacare.core import monitoring, pathway
from ketacare.core.protocols import Protocol, get_protocol, get_route
from ketacare.treatments.models import (
    AdverseEvent,
    ClinicSessionSettings,
    DoseAdministration,
    Observation,
    TreatmentSession,
    VitalSign,
)
from ketacare.treatments.selectors._common import age_years, clinic_zone
from ketacare.treatments.signals import discharge_criteria

# A reading this close to a checkpoint counts for it, and a checkpoint is "overdue" only this long
# after its time: a user-interface grace period (clinic practice), not a clinical threshold.
CHECKPOINT_GRACE = dt.timedelta(minutes=5)
# The states of a session in the chair, when the run-sheet takes entries.
LIVE_STATES = (
    TreatmentSession.State.CHECKED_IN,
    TreatmentSession.State.DOSING,
    TreatmentSession.State.OBSERVING,
    TreatmentSession.State.READY_FOR_DISCHARGE,
)


# One render of the run-sheet asks for the same settings and entries from several rules (readiness,
# state, checkpoints, timeline); inside `one_read_per_render` each is read once. Outside it (services,
# which write between reads) every call reads the database.
_render_memo: ContextVar[dict[tuple[str, int], Any] | None] = ContextVar(
    "run_sheet_render_memo", default=None
)
T = TypeVar("T")
# The entries that can be entered in error, each read once per render.
E = TypeVar("E", VitalSign, DoseAdministration, Observation)


@contextmanager
def one_read_per_render() -> Iterator[None]:
    """Read each session's settings and valid entries once while the block runs (it must not write)."""
    token = _render_memo.set({})
    try:
        yield
    finally:
        _render_memo.reset(token)


def _once(kind: str, session: TreatmentSession, read: Callable[[], T]) -> T:
    memo = _render_memo.get()
    if memo is None:
        return read()
    key = (kind, session.pk)
    if key not in memo:
        memo[key] = read()
    value: T = memo[key]
    return value


def session_settings(session: TreatmentSession) -> ClinicSessionSettings | None:
    """The clinic's own settings for this session's route, if any."""
    return _once(
        "settings",
        session,
        lambda: ClinicSessionSettings.objects.filter(
            clinic_id=session.clinic_id, route=session.route
        ).first(),
    )


def observation_minutes(session: TreatmentSession) -> int:
    """Minimum observation for this session (core rule, lengthened by a clinic setting)."""
    setting = session_settings(session)
    return monitoring.observation_minutes(session.route, setting.min_observation_min if setting else None)


def route_rules(session: TreatmentSession) -> Any:
    return get_route(session.route)


# Each returns a new list, so a caller may change its list without touching the memo's.
def valid_vitals(session: TreatmentSession) -> list[VitalSign]:
    return list(
        _once(
            "vitals",
            session,
            lambda: tuple(session.vitals.filter(entered_in_error=False).order_by("measured_at", "id")),
        )
    )


def valid_doses(session: TreatmentSession) -> list[DoseAdministration]:
    return list(
        _once(
            "doses",
            session,
            lambda: tuple(session.doses.filter(entered_in_error=False).order_by("started_at", "id")),
        )
    )


def valid_observations(session: TreatmentSession) -> list[Observation]:
    return list(
        _once(
            "observations",
            session,
            lambda: tuple(session.observations.filter(entered_in_error=False).order_by("observed_at", "id")),
        )
    )


def _every(kind: str, session: TreatmentSession, rows: Iterable[E]) -> list[E]:
    """Every entry, corrections included; within one render the valid ones need no second read."""
    everything = tuple(rows)
    memo = _render_memo.get()
    if memo is not None:
        memo.setdefault((kind, session.pk), tuple(r for r in everything if not r.entered_in_error))
    return list(everything)


def every_vital(session: TreatmentSession) -> list[VitalSign]:
    """The session's vital signs in time order, those entered in error too (the run-sheet shows them)."""
    return _every("vitals", session, session.vitals.order_by("measured_at", "id"))


def every_dose(session: TreatmentSession) -> list[DoseAdministration]:
    """The session's doses in time order, those entered in error too."""
    return _every("doses", session, session.doses.order_by("started_at", "id"))


def every_observation(session: TreatmentSession) -> list[Observation]:
    """The session's observations in time order, those entered in error too."""
    return _every("observations", session, session.observations.order_by("observed_at", "id"))


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


def vital_phase(session: TreatmentSession, vital: VitalSign, protocol: Protocol) -> str:
    """When a reading was taken, as the vital-signs table names it: before the dose, during dosing (the
    infusion, or between nasal devices), or after the dose, in observation (from the end of dosing)."""
    if vital.kind == VitalSign.Kind.PRE_DOSE:
        return "Before the dose"
    if session.dose_ended_at is None or vital.measured_at < session.dose_ended_at:
        return "During the infusion" if protocol.dose.infusion_minutes else "During dosing"
    return "After the dose, in observation"


def given_at_one_time(protocol: Protocol) -> bool:
    """Whether the protocol's dose is given at one time (an oral or sublingual dose, an IM injection):
    no infusion that runs until it is stopped and no nasal devices with waits between them,
    so the dose has no stop time of its own and observation counts from when it was given."""
    return protocol.device is None and not protocol.dose.infusion_minutes


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
    """Minutes of observation at `now`; the clock stops at discharge."""
    if session.dose_ended_at is None:
        return None
    if session.discharged_at is not None:
        now = min(now, session.discharged_at)
    return max(0.0, (now - session.dose_ended_at).total_seconds() / 60)


def readiness(
    session: TreatmentSession,
    now: dt.datetime,
    *,
    ride_present: bool | None = None,
    instructions_given: bool | None = None,
) -> pathway.DischargeCheck | None:
    """The core's discharge check at `now` (the clock stops at discharge), or None before dosing has ended.

    `core.pathway.discharge_check`: the monitoring criteria plus blood pressure back below the pre-dose
    hold threshold (docs/decisions/0013), plus what the receivers of `signals.discharge_criteria` add
    (the controlled-drug register: a draw of the session not accounted for, docs/decisions/0021).
    """
    if session.discharged_at is not None:
        now = min(now, session.discharged_at)
    minutes = minutes_since_dose_end(session, now)
    if minutes is None:
        return None
    observations = valid_observations(session)
    latest = observations[-1] if observations else None
    setting = session_settings(session)
    zone = clinic_zone(session.clinic)
    # The schedule the run-sheet shows is the one discharge holds to: a checkpoint shown "overdue", or
    # the before-discharge set not taken, keeps the patient from leaving without a prescriber's reason.
    missed = tuple(
        f"{c.due_at.astimezone(zone):%H:%M} ({c.label.lower()})"
        for c in checkpoints(session, now)
        if c.code != "pre_dose"  # a missing pre-dose set is its own criterion
        and (c.status == "overdue" or (c.code == "before_discharge" and c.status == "due"))
    )
    check = pathway.discharge_check(
        session.route,
        age_years=age_years(session.patient, now.astimezone(zone).date()),
        # Whole minutes, rounded down: the clock never shows more observation than there was.
        minutes_since_dose=min(math.floor(minutes), 24 * 60),
        moaas_score=latest.moaas_score if latest else None,
        dissociation_resolved=(latest.dissociation == Observation.Dissociation.NONE) if latest else None,
        baseline_vitals=as_core_vitals(baseline_vitals(session)),
        latest_vitals=as_core_vitals(latest_in_session_vitals(session)),
        ride_home_confirmed=session.ride_home_confirmed if ride_present is None else ride_present,
        instructions_given=session.instructions_given if instructions_given is None else instructions_given,
        clinic_min_observation_min=setting.min_observation_min if setting else None,
        missed_checks=missed,
    )
    added = (
        criteria_of_higher_floors(session, now)
        + safety_alert_criteria(session, now)
        + adverse_event_criteria(session)
    )
    if not added:
        return check
    return pathway.DischargeCheck(
        ready=False,
        unmet=check.unmet + added,
        required_observation_minutes=check.required_observation_minutes,
    )


def criteria_of_higher_floors(
    session: TreatmentSession, now: dt.datetime
) -> tuple[monitoring.UnmetCriterion, ...]:
    """What the receivers of `discharge_criteria` add (apps above this one, which it never imports)."""

    def ask() -> tuple[monitoring.UnmetCriterion, ...]:
        found: list[monitoring.UnmetCriterion] = []
        for _, reply in discharge_criteria.send(sender=TreatmentSession, session=session, now=now):
            found.extend(cast("Sequence[monitoring.UnmetCriterion]", reply or ()))
        return tuple(found)

    # Once per render: the run-sheet asks for the state and the checklist of the same session.
    return _once("discharge_criteria", session, ask)


# A patient does not leave while one of their suicide-risk or emergency alerts is unresolved, whatever a
# prescriber writes: resolving one takes a note of what was done (the risk assessment, the emergency
# response), and that note is the point (docs/decisions/0013). Never overridable.
SAFETY_ALERT_CODES = frozenset({"suicide_risk_alert", "emergency_alert"})


@dataclass(frozen=True)
class SafetyAlertCriterion(monitoring.UnmetCriterion):
    """An unresolved alert that keeps the patient from leaving; ``alert_id`` links the run-sheet to it."""

    alert_id: str = ""


def _is_suicide_risk(alert: Alert) -> bool:
    flags = (alert.evidence or {}).get("red_flags") or ()
    return alert.source in SUICIDE_RISK_SOURCES or any(flag in SUICIDE_RED_FLAGS for flag in flags)


def discharge_blocking_alerts(session: TreatmentSession) -> list[Alert]:
    """The patient's unresolved alerts that hold discharge: every suicide-risk alert and every emergency
    (the alerts whose resolution needs a note, ``alerts.services.needs_resolution_note``), most severe
    first, then oldest first. Open or acknowledged: only resolving one records what was done."""

    return list(
        _once(
            "safety_alerts",
            session,
            lambda: tuple(
                unresolved_safety_alerts(patient_id=session.patient_id, clinic_id=session.clinic_id)
            ),
        )
    )


def unresolved_safety_alerts(*, patient_id: int, clinic_id: int) -> list[Alert]:
    """The patient's unresolved suicide-risk and emergency alerts at the clinic, most severe first, then
    oldest first: what holds a dose, a discharge and the end of a course (decision 0013)."""
    unresolved = (
        Alert.objects.filter(patient_id=patient_id, clinic_id=clinic_id)
        .exclude(state=Alert.State.RESOLVED)
        .only("public_id", "source", "severity", "title", "evidence", "state", "created_at")
        .order_by("created_at", "id")
    )
    # Few rows (one patient's unresolved alerts); the suicide-risk test reads the evidence's red
    # flags, which is the same in Python on every database.
    return sorted(
        (a for a in unresolved if needs_resolution_note(a)),
        key=lambda a: SEVERITY_RANK.get(a.severity, 9),  # type: ignore[call-overload]
    )


def safety_alert_criteria(session: TreatmentSession, now: dt.datetime) -> tuple[SafetyAlertCriterion, ...]:
    """One unmet criterion per alert of `discharge_blocking_alerts`, naming it; none once discharged
    (the record keeps what held at the time, not the alerts raised since)."""
    if session.discharged_at is not None:
        return ()
    zone = clinic_zone(session.clinic)
    today = now.astimezone(zone).date()
    found = []
    for alert in discharge_blocking_alerts(session):
        raised = alert.created_at.astimezone(zone)
        when = f"{raised:%H:%M}" if raised.date() == today else f"{raised:%a %-d %b %H:%M}"
        if _is_suicide_risk(alert):
            code, kind, example = "suicide_risk_alert", "suicide-risk", "for example the C-SSRS result"
        else:
            code, kind, example = "emergency_alert", "emergency", "for example the response and its outcome"
        found.append(
            SafetyAlertCriterion(
                code,
                f"Unresolved {kind} alert \u201c{alert.title}\u201d (raised {when}): resolve it with what was "
                f"done ({example}) first; a prescriber's override does not cover it.",
                alert_id=str(alert.public_id),
            )
        )
    return tuple(found)


# Observation lasts until a clinician judges the patient clinically stable, not only the minimum time
# [REMS-FDA] [HCP-Dose]; after a severe adverse event that judgement is a prescriber's, written down:
# resolving the event's alert with the assessment, or a discharge override's reason. Severe, not
# moderate, is the clinic-practice cut-off (a moderate event's alert still reaches the prescribers).
ADVERSE_EVENT_CODE = "severe_adverse_event"


def adverse_event_criteria(session: TreatmentSession) -> tuple[monitoring.UnmetCriterion, ...]:
    """One unmet criterion per severe adverse event of the session whose alert is not resolved; none
    once discharged."""
    if session.discharged_at is not None:
        return ()

    def read() -> tuple[monitoring.UnmetCriterion, ...]:
        events = list(
            session.adverse_events.filter(
                severity=AdverseEvent.Severity.SEVERE, entered_in_error=False
            ).order_by("occurred_at", "id")
        )
        if not events:
            return ()
        resolved = set(
            Alert.objects.filter(
                patient_id=session.patient_id,
                clinic_id=session.clinic_id,
                state=Alert.State.RESOLVED,
                dedupe_key__in=[f"adverse_event:{e.public_id}" for e in events],
                # A nurse may resolve the alert (the inbox lets them); the judgement is a prescriber's.
                resolved_by__memberships__clinic_id=session.clinic_id,
                resolved_by__memberships__role=StaffMembership.Role.PRESCRIBER,
                resolved_by__memberships__is_active=True,
            ).values_list("dedupe_key", flat=True)
        )
        zone = clinic_zone(session.clinic)
        return tuple(
            monitoring.UnmetCriterion(
                ADVERSE_EVENT_CODE,
                f"Severe adverse event at {e.occurred_at.astimezone(zone):%H:%M} (\u201c{e.description}\u201d): "
                "a prescriber judges the patient clinically stable before they leave: resolve its alert "
                "with the assessment, or discharge with a prescriber's reason.",
            )
            for e in events
            if f"adverse_event:{e.public_id}" not in resolved
        )

    return _once("adverse_events", session, read)


def not_overridable(session: TreatmentSession, code: str) -> bool:
    """Whether no prescriber's override passes the unmet discharge criterion ``code``: an unresolved
    suicide-risk or emergency alert, or the minimum observation of a route whose rule does not yield
    (esketamine, REMS)."""
    if code in SAFETY_ALERT_CODES:
        return True
    return code == "observation_time" and not route_rules(session).observation.overridable


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
        elif session.discharged_at is not None and point.due_at > session.discharged_at:
            # The patient had left: the checkpoint never came, it was not missed.
            status = "after_discharge"
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
