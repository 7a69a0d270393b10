"""Facts about a patient that one record app keeps and a sibling record app reads (docs/decisions/0010).

The record apps (intake, treatments, checkins, questionnaires, journal) stand on one floor and never
import each other. When one needs what another keeps — check-in triage needs the last dose, the
questionnaire schedule needs doses and appointments, the run-sheet needs the questionnaires due
before a session — it asks here, and the app that keeps the fact answers: each provider registers its
functions in its ``AppConfig.ready()``. Every dependency between record apps is therefore listed in
this one file, typed, and a missing provider fails at once (a system check and the first call), never
silently.

Apps above the records (vigilance, companion, outcomes, interop) import the record apps directly. The
foundation's own pages read the one floor between them and the records, ``alerts``, here too
(``open_alert_counts``): the foundation may not import it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from ketacare.clinics.models import Clinic
    from ketacare.patients.models import Patient


@dataclass(frozen=True, slots=True)
class Dose:
    """The start of one dose: what the personal timeline and triage count from."""

    route: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    session_public_id: str
    dose_mg: float | None = None


@dataclass(frozen=True, slots=True)
class DoseStart:
    """The most recent dose without its amount: what triage, "days since" and the home page count from."""

    route: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    session_public_id: str


@dataclass(frozen=True, slots=True)
class UpcomingAppointment:
    """The next booked visit (a dosing session or another appointment)."""

    starts_at: dt.datetime
    route: str
    kind: str
    public_id: str


# The item alert code the core raises for PHQ-9 item 9 (and other suicide-risk items).
SUICIDE_RISK = "suicide_risk"


@dataclass(frozen=True, slots=True)
class ResponseOutcome:
    """The stored response and whether this call created it (False: an idempotent retry)."""

    response: Any  # questionnaires.QuestionnaireResponse
    created: bool

    @property
    def crisis(self) -> bool:
        """Whether the answers carry a suicide-risk alert (crisis resources are shown at once)."""
        return any(a.get("code") == SUICIDE_RISK for a in self.response.item_alerts)


# Which app answers each fact; `provide` refuses any other name, so a typo cannot register nothing.
PROVIDERS: dict[str, str] = {
    "patient_doses": "treatments",
    "last_dose": "treatments",
    "last_dose_start": "treatments",
    "next_appointment": "treatments",
    "upcoming_appointments": "treatments",
    "patient_route": "treatments",
    "maintenance_started_at": "treatments",
    "at_the_clinic": "treatments",
    "clinic_booked_starts": "treatments",
    "patient_sex": "intake",
    "recorded_sex": "intake",
    "patient_conditions": "intake",
    "intake_baselines": "intake",
    "plan_gate_facts": "intake",
    "latest_weight": "intake",
    "eligibility_precautions": "intake",
    "red_flags_since": "checkins",
    "next_dose_hold": "checkins",
    "suicide_risk_since": "questionnaires",
    "due_assignments": "questionnaires",
    "schedule_before_session": "questionnaires",
    "before_session_assignments": "questionnaires",
    "responses_since": "questionnaires",
    "lock_assignment": "questionnaires",
    "submit_questionnaire": "questionnaires",
    "cancel_assignment": "questionnaires",
    "open_alert_counts": "alerts",
}
_registry: dict[str, Callable[..., Any]] = {}


def provide(app_label: str, **functions: Callable[..., Any]) -> None:
    """Register ``app_label``'s answers (called from that app's ``AppConfig.ready``)."""
    for name, function in functions.items():
        owner = PROVIDERS.get(name)
        if owner is None:
            raise ImproperlyConfigured(f"unknown patient fact {name!r}: known facts are {sorted(PROVIDERS)}")
        if owner != app_label:
            raise ImproperlyConfigured(f"patient fact {name!r} is provided by {owner!r}, not {app_label!r}")
        _registry[name] = function


def missing() -> list[str]:
    """The facts no installed app provides (the system check reports them)."""
    return sorted(set(PROVIDERS) - set(_registry))


def _get(name: str) -> Callable[..., Any]:
    try:
        return _registry[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"no app provides the patient fact {name!r} (expected {PROVIDERS[name]!r} in INSTALLED_APPS)"
        ) from None


# Dosing facts, kept by treatments.


def patient_doses(patient: Patient, *, now: dt.datetime) -> list[Dose]:
    """Every dose the patient has started up to ``now`` (cancelled sessions left out), oldest first."""
    result: list[Dose] = _get("patient_doses")(patient, now=now)
    return result


def last_dose(patient: Patient, *, now: dt.datetime) -> Dose | None:
    """The most recent dose started at or before ``now``, or None when none is on record."""
    result: Dose | None = _get("last_dose")(patient, now=now)
    return result


def last_dose_start(patient: Patient, *, now: dt.datetime) -> DoseStart | None:
    """The most recent dose at or before ``now`` without its amount (None when none is on record).

    ``last_dose`` without the summed amount, for the busy paths that need only when and how (a
    check-in, the patient home).
    """
    result: DoseStart | None = _get("last_dose_start")(patient, now=now)
    return result


def next_appointment(patient: Patient, *, now: dt.datetime) -> UpcomingAppointment | None:
    """The next scheduled appointment after ``now`` (None when none is booked)."""
    result: UpcomingAppointment | None = _get("next_appointment")(patient, now=now)
    return result


def upcoming_appointments(
    patient: Patient, *, now: dt.datetime, until: dt.datetime
) -> list[UpcomingAppointment]:
    """Scheduled appointments between ``now`` and ``until``, in time order."""
    result: list[UpcomingAppointment] = _get("upcoming_appointments")(patient, now=now, until=until)
    return result


def at_the_clinic(patient: Patient) -> bool:
    """Whether the patient is in the chair now: a session checked in and not yet discharged or cancelled."""
    return bool(_get("at_the_clinic")(patient))


def clinic_booked_starts(clinic: Clinic, *, now: dt.datetime) -> list[dt.datetime]:
    """When each of the clinic's visits booked after ``now`` starts (every patient's), in time order.

    A clinic-wide fact for the clinic settings: a new time zone keeps these instants and so changes
    the clock time each one reads at.
    """
    result: list[dt.datetime] = _get("clinic_booked_starts")(clinic, now=now)
    return result


def patient_route(patient: Patient, *, now: dt.datetime) -> str:
    """The route the patient is treated with: the last dose's, else the latest plan's, else ""."""
    result: str = _get("patient_route")(patient, now=now)
    return result


def maintenance_started_at(patient: Patient, *, now: dt.datetime) -> dt.datetime | None:
    """When the first maintenance dose started (the anchor of the maintenance interval), or None."""
    result: dt.datetime | None = _get("maintenance_started_at")(patient, now=now)
    return result


# Intake facts, kept by intake.


def patient_sex(patient: Patient) -> str:
    """The sex on the patient's current intake as the core's covariate ("female", "male", else "unknown")."""
    result: str = _get("patient_sex")(patient)
    return result


def recorded_sex(patient: Patient) -> str:
    """The sex the patient's current intake records, as recorded ("female", "male", "other", "unknown"),
    or "" when there is no current intake (the patient summary then shows what registration recorded)."""
    result: str = _get("recorded_sex")(patient)
    return result


def patient_conditions(patient: Patient) -> list[str]:
    """The indications of the patient's current intake (e.g. "ptsd", "chronic_pain")."""
    result: list[str] = _get("patient_conditions")(patient)
    return result


@dataclass(frozen=True, slots=True)
class WeightFact:
    """The patient's latest valid weight recorded at intake."""

    weight_kg: float
    measured_at: dt.datetime


@dataclass(frozen=True, slots=True)
class BaselinePoint:
    """A staff-entered baseline score from intake."""

    instrument_id: str
    completed_at: dt.datetime
    total: float
    band: str


def intake_baselines(patient: Patient, *, instrument_id: str | None = None) -> list[BaselinePoint]:
    """The patient's valid intake baselines, oldest first (one instrument's when ``instrument_id``)."""
    result: list[BaselinePoint] = _get("intake_baselines")(patient, instrument_id=instrument_id)
    return result


@dataclass(frozen=True, slots=True)
class PlanGateFacts:
    """What the plan gate and the dose readiness read from intake (docs/decisions/0013).

    ``decision`` is the prescriber's decision on the current screening ("" when none); ``consent_routes``
    the routes the patient's valid, unwithdrawn consents cover; ``screened_drug_classes`` the interacting medicine
    classes the current screening saw (a class named at check-in that is not among them is new).
    """

    screening_completed: bool
    screening_public_id: str
    screened_at: dt.datetime | None
    decision: str
    decided_at: dt.datetime | None
    consent_routes: tuple[str, ...]
    screened_drug_classes: tuple[str, ...]
    # Routes a consent covered until the patient withdrew it (a plan made without consent under a
    # prescriber's override still holds once the patient withdraws).
    withdrawn_consent_routes: tuple[str, ...] = ()
    # From the current intake: the esketamine 28 mg start applies (clinic practice, protocols.toml).
    japanese_ancestry: bool = False


def plan_gate_facts(patient: Patient) -> PlanGateFacts:
    """The patient's current screening, its decision and the routes their valid consents cover."""
    result: PlanGateFacts = _get("plan_gate_facts")(patient)
    return result


@dataclass(frozen=True, slots=True)
class ScreeningFinding:
    """One finding of the current screening the people dosing must weigh, in words (never an id).

    ``level`` is "contraindication" or "precaution"; ``name`` what it is ("Benzodiazepines");
    ``detail`` what it means and what to do, as the screening recorded it; ``medications`` the patient's
    medicines that matched, as their list writes them (interactions only).
    """

    level: str
    name: str
    detail: str
    medications: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EligibilityPrecautions:
    """The prescriber's eligibility decision on the current screening, their note, and the findings.

    What the plan page and the run-sheet show before anyone doses (docs/decisions/0013): the note is the
    prescriber's instruction ("Hold lorazepam 24 h before each session"), the findings what screening
    found to weigh. ``decision`` is "" (and the rest empty) when no prescriber has decided yet.
    """

    decision: str
    decision_label: str  # "Eligible with precautions"
    note: str
    decided_by: str
    decided_at: dt.datetime | None
    findings: tuple[ScreeningFinding, ...] = ()


def eligibility_precautions(patient: Patient) -> EligibilityPrecautions | None:
    """The current screening's decision, its note and its contraindications and precautions; None when
    the patient has no current screening."""
    result: EligibilityPrecautions | None = _get("eligibility_precautions")(patient)
    return result


def latest_weight(patient: Patient) -> WeightFact | None:
    """The latest valid weight recorded at intake, or None (a plan offers it instead of asking again)."""
    result: WeightFact | None = _get("latest_weight")(patient)
    return result


# Check-in facts, kept by checkins.


def red_flags_since(patient: Patient, *, since: dt.datetime | None) -> list[str]:
    """The red-flag ids (core knowledge ids) the patient reported in valid check-ins since ``since``
    (every one on record when None), oldest first, each once."""
    result: list[str] = _get("red_flags_since")(patient, since=since)
    return result


def next_dose_hold(patient: Patient) -> str | None:
    """Why the patient's next dose is paused until a prescriber reviews (decision 0012 rule 9: urinary
    symptoms in a check-in or a positive bladder check), in plain words; None when nothing holds it.
    The hold lasts until the alert that carries it is resolved."""
    result: str | None = _get("next_dose_hold")(patient)
    return result


# Questionnaire facts, kept by questionnaires.


@dataclass(frozen=True, slots=True)
class SuicideRisk:
    """Suicide-risk answers since a time: any positive item, and the highest graded level (C-SSRS)."""

    item_positive: bool
    highest_level: str | None  # "low", "moderate", "high" or None when no graded answer


def suicide_risk_since(patient: Patient, *, since: dt.datetime | None) -> SuicideRisk:
    """Suicide-risk item alerts in the patient's valid responses submitted since ``since``."""
    result: SuicideRisk = _get("suicide_risk_since")(patient, since=since)
    return result


def due_assignments(patient: Patient, *, now: dt.datetime) -> list[Any]:
    """The questionnaires due for the patient now, oldest first (QuestionnaireAssignment rows)."""
    result: list[Any] = list(_get("due_assignments")(patient=patient, now=now))
    return result


def schedule_before_session(
    *, patient: Patient, session_id: str, starts_at: dt.datetime, kind: str, now: dt.datetime
) -> int:
    """Create the questionnaire slots due before one session (idempotent); returns how many were new."""
    result: int = _get("schedule_before_session")(
        patient=patient, session_id=session_id, starts_at=starts_at, kind=kind, now=now
    )
    return result


def before_session_assignments(patient: Patient, *, session_id: str) -> Any:
    """The questionnaires scheduled before one session (a QuerySet of QuestionnaireAssignment rows)."""
    return _get("before_session_assignments")(patient=patient, session_id=session_id)


def responses_since(patient: Patient, *, instrument_id: str, since: dt.datetime) -> Any:
    """The patient's valid responses to one instrument submitted at or after ``since``, oldest first."""
    return _get("responses_since")(patient=patient, instrument_id=instrument_id, since=since)


def lock_assignment(pk: int) -> Any:
    """One QuestionnaireAssignment, locked for update inside the caller's transaction."""
    return _get("lock_assignment")(pk)


def submit_questionnaire(**kwargs: Any) -> Any:
    """Score and store a response through the questionnaires service (its keyword arguments).

    Raises the service's FieldError on invalid answers; the outcome has ``response`` and ``created``.
    """
    return _get("submit_questionnaire")(**kwargs)


def cancel_assignment(*, assignment: Any) -> Any:
    """Take a due questionnaire off the patient's list (FieldError when it is not due)."""
    return _get("cancel_assignment")(assignment=assignment)


# Alert facts, kept by alerts.


@dataclass(frozen=True, slots=True)
class OpenAlerts:
    """How many of a patient's alerts of one severity are not resolved yet (open or acknowledged)."""

    severity: str  # the alert's severity value, e.g. "emergency"
    label: str  # as staff read it, e.g. "Emergency"
    count: int
    acknowledged: int  # of ``count``, those a member of staff has acknowledged


def open_alert_counts(patient: Patient) -> list[OpenAlerts]:
    """The patient's unresolved alerts counted by severity, most severe first; severities with none left out."""
    result: list[OpenAlerts] = _get("open_alert_counts")(patient)
    return result
