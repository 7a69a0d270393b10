"""Treatment plans, appointments and the chair-side session run-sheet.

Every row carries `clinic` (the shard key; `ClinicalRecord` gives it with `public_id` and `created_at`)
and `patient`. Clinical rows keep the time the thing happened (`measured_at`, `started_at`,
`observed_at`) apart from `created_at`/`created_by`; a correction is a visible `entered_in_error` flag
that says who, when and why, never a delete. Numeric limits come from the core
(`ketacare.core.protocols.PHYSIOLOGICAL_RANGES`, `ketacare.core.monitoring.MOAAS_RANGE`) so the
database constraints and the service checks cannot drift apart.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

from ketacare.core.monitoring import MOAAS_RANGE
from ketacare.core.protocols import PHYSIOLOGICAL_RANGES
from ketacare.patients.models import ClinicalRecord


class Route(models.TextChoices):
    """Dosing routes: the route ids of ketacare/core/knowledge/data/protocols.toml."""

    IV = "iv", "IV infusion (racemic ketamine)"
    ESKETAMINE_IN = "esketamine_in", "Esketamine nasal spray"
    ORAL = "oral", "Oral ketamine"
    SUBLINGUAL = "sublingual", "Sublingual ketamine"
    IM = "im", "IM ketamine injection"


def _range_q(field: str, *, nullable: bool = False) -> Q:
    low, high = PHYSIOLOGICAL_RANGES[field]
    check = Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return check | Q(**{f"{field}__isnull": True}) if nullable else check


class ClinicSessionSettings(models.Model):
    """A clinic's own session settings per route (clinic-configurable checkpoints and observation).

    Both are optional: None means the route's default from the core. The core refuses an observation
    time below the route's minimum (esketamine 120 min, a hard rule), so a setting can only lengthen it.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=20, choices=Route.choices)
    min_observation_min = models.PositiveIntegerField(null=True, blank=True)
    vital_interval_min = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "route"], name="one_session_setting_per_clinic_route"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic} · {self.route}"


class TreatmentPlan(ClinicalRecord):
    """A patient's course: protocol, preset, dose and the review point; appointments hang off it."""

    class MaintenancePolicy(models.TextChoices):
        DECIDE_AT_REVIEW = "decide_at_review", "Decide at the end-of-induction review"
        WEEKLY = "weekly", "Weekly"
        EVERY_2_WEEKS = "every_2_weeks", "Every 2 weeks"
        INDIVIDUAL = "individual", "Individual interval, set by response"
        NONE = "none", "No maintenance"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    class Ending(models.TextChoices):
        # How an ended plan ended, in the words of the patient stages it leads to.
        COMPLETED = "completed", "Completed"
        DISCONTINUED = "discontinued", "Discontinued"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="treatment_plans")
    protocol_id = models.CharField(max_length=40)
    preset_id = models.CharField(max_length=40)
    route = models.CharField(max_length=20, choices=Route.choices)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    weight_measured_on = models.DateField(null=True, blank=True)
    mg_per_kg = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    # Computed by the core (course.dose_mg / the protocol's first dose), stored with what it came from.
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    devices = models.PositiveSmallIntegerField(null=True, blank=True)
    dose_rule = models.CharField(max_length=200, blank=True)
    review_after_session = models.PositiveSmallIntegerField()
    review_not_before = models.DateTimeField()
    review_due_before = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    maintenance_policy = models.CharField(
        max_length=20, choices=MaintenancePolicy.choices, default=MaintenancePolicy.DECIDE_AT_REVIEW
    )
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # Who ended the plan, when, how and why (services.end_treatment_plan); empty on an active plan, and on
    # a plan ended before these were kept.
    ended_as = models.CharField(max_length=12, choices=Ending.choices, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.TextField(blank=True)
    # The plan gate (core.pathway.plan_gate) a prescriber passed with a written reason: the missing items'
    # codes and messages at the time, shown on every run-sheet of the plan (docs/decisions/0013).
    gate_override_reason = models.TextField(blank=True)
    # The core's plan findings (code, kind, message, the prescriber's reason), as laid out at creation.
    findings = models.JSONField(default=list, blank=True)
    gate_overridden_items = models.JSONField(default=list, blank=True)
    gate_overridden_at = models.DateTimeField(null=True, blank=True)
    gate_overridden_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            # The plan page: a patient's plans, newest first.
            models.Index(fields=["patient", "-created_at"], name="plan_patient_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.protocol_id} plan for {self.patient_id}"


class Appointment(ClinicalRecord):
    """One planned session of a plan, in absolute time (laid out in the clinic's zone by the core)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="appointments")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="appointments")
    number = models.PositiveSmallIntegerField()
    phase = models.CharField(max_length=20)
    week = models.PositiveSmallIntegerField()
    starts_at = models.DateTimeField()
    duration_min = models.PositiveSmallIntegerField()
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    dose_rule = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)

    class Meta:
        ordering = ["starts_at", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="one_appointment_number_per_plan"),
        ]
        indexes = [
            # The patient's appointment list and .ics export, in time order.
            models.Index(fields=["patient", "starts_at"], name="appt_patient_start_idx"),
        ]

    def __str__(self) -> str:
        return f"Appointment {self.number} at {self.starts_at:%Y-%m-%d %H:%M}Z"

    @property
    def ends_at(self) -> dt.datetime:
        """When the visit is booked to end (its length covers the dose and the observation after it)."""
        return self.starts_at + dt.timedelta(minutes=self.duration_min)


class TreatmentSession(ClinicalRecord):
    """A dosing visit: the chair-side run-sheet from check-in to discharge."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CHECKED_IN = "checked_in", "Checked in"
        DOSING = "dosing", "Dosing"
        OBSERVING = "observing", "Observing"
        READY_FOR_DISCHARGE = "ready_for_discharge", "Ready for discharge"
        DISCHARGED = "discharged", "Discharged"
        CANCELLED = "cancelled", "Cancelled"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    plan = models.ForeignKey(
        TreatmentPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="session"
    )
    protocol_id = models.CharField(max_length=40)
    route = models.CharField(max_length=20, choices=Route.choices)
    scheduled_at = models.DateTimeField()
    planned_dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.SCHEDULED)
    inpatient = models.BooleanField(default=False)  # REMS patient forms are for outpatient sessions

    # Check-in
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    fasting_confirmed = models.BooleanField(default=False)
    ride_home_confirmed = models.BooleanField(default=False)
    # Asked at every check-in: a reported or possible pregnancy holds the dose for a prescriber.
    pregnancy_reported = models.BooleanField(default=False)
    medication_changes = models.TextField(blank=True)

    # Pre-dose hold (core monitoring.check_pre_dose) and its prescriber override
    hold = models.BooleanField(default=False)
    hold_reasons = models.JSONField(default=list, blank=True)
    hold_overridden_at = models.DateTimeField(null=True, blank=True)
    hold_overridden_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hold_override_reason = models.TextField(blank=True)
    # The readiness holds (core.pathway.dose_readiness) the override covered, by code: a hold that
    # arises after the override still blocks until it is fixed or overridden in turn.
    hold_overridden_codes = models.JSONField(default=list, blank=True)
    # Dosing entries recorded with a written reason (early stop, outside the range, label total):
    # code, message, reason, by (public id), at; shown on the run-sheet and the discharge record.
    dosing_reasons = models.JSONField(default=list, blank=True)

    # Dosing (derived from DoseAdministration rows, kept here for the day view)
    dose_started_at = models.DateTimeField(null=True, blank=True)
    dose_ended_at = models.DateTimeField(null=True, blank=True)

    # Discharge
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ride_present = models.BooleanField(default=False)
    instructions_given = models.BooleanField(default=False)
    discharge_override_reason = models.TextField(blank=True)
    discharge_overridden_criteria = models.JSONField(default=list, blank=True)

    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["scheduled_at"]
        indexes = [
            # The clinic day view: one clinic's sessions between two instants.
            models.Index(fields=["clinic", "scheduled_at"], name="session_clinic_sched_idx"),
            # A patient's session list (plan page, API), newest first.
            models.Index(fields=["patient", "-scheduled_at"], name="session_patient_sched_idx"),
            # The patient's last dose (patients.facts.last_dose, read by every check-in and the home
            # page): the newest dose start at or before now, one index probe whatever the history.
            models.Index(fields=["patient", "-dose_started_at"], name="session_patient_dose_idx"),
        ]

    def __str__(self) -> str:
        return f"Session {self.public_id}"


# The longest reason a correction may give (the form, the API schema and the service share it).
ENTERED_IN_ERROR_REASON_MAX = 500


class _SessionRow(ClinicalRecord):
    """Common columns of a run-sheet entry.

    A correction says who, when and why: `entered_in_error_by`/`_at`/`_reason` are set together with
    `entered_in_error` by `services.mark_entered_in_error` (server-owned; never taken from input).
    Entries marked before these columns existed keep them empty.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    entered_in_error = models.BooleanField(default=False)
    entered_in_error_reason = models.CharField(max_length=ENTERED_IN_ERROR_REASON_MAX, blank=True)
    entered_in_error_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.public_id}"


class DoseAdministration(_SessionRow):
    """One dose given: an IV infusion (start and stop) or one esketamine nasal device."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="doses")
    drug = models.CharField(max_length=60)
    route = models.CharField(max_length=20, choices=Route.choices)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    lot_number = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)  # None: infusion still running
    device_number = models.PositiveSmallIntegerField(null=True, blank=True)
    out_of_bounds_reason = models.TextField(blank=True)
    # An infusion stopped before its planned time: the dose it was started for (dose_mg is then what
    # was delivered, rate x time) and the nurse's reason when it stopped before 80% of the time.
    planned_dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    early_stop_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.CheckConstraint(condition=Q(dose_mg__gt=0), name="dose_mg_positive"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="dose_ends_after_it_starts",
            ),
        ]
        indexes = [
            # The run-sheet dose panel: a session's doses in time order.
            models.Index(fields=["session", "started_at"], name="dose_session_start_idx"),
        ]


class VitalSign(_SessionRow):
    """One set of vital signs; `pre_dose` sets are the baseline and feed the hold rule."""

    class Kind(models.TextChoices):
        PRE_DOSE = "pre_dose", "Pre-dose"
        IN_SESSION = "in_session", "In session"

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="vitals")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    measured_at = models.DateTimeField()
    systolic_mmhg = models.PositiveSmallIntegerField()
    diastolic_mmhg = models.PositiveSmallIntegerField()
    heart_rate_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)  # core monitoring.flag_vitals at entry time

    class Meta:
        ordering = ["measured_at"]
        constraints = [
            # Physiologically possible readings (core PHYSIOLOGICAL_RANGES): a typing error, never a flag.
            models.CheckConstraint(condition=_range_q("systolic_mmhg"), name="vital_systolic_range"),
            models.CheckConstraint(condition=_range_q("diastolic_mmhg"), name="vital_diastolic_range"),
            models.CheckConstraint(
                condition=_range_q("heart_rate_bpm", nullable=True), name="vital_heart_rate_range"
            ),
            models.CheckConstraint(condition=_range_q("spo2_pct", nullable=True), name="vital_spo2_range"),
        ]
        indexes = [
            # The run-sheet vitals table and timeline; the day view's overdue-checkpoint check.
            models.Index(fields=["session", "measured_at"], name="vital_session_time_idx"),
        ]


class Observation(_SessionRow):
    """Sedation (MOAA/S 0-5) and dissociation at one time."""

    class Dissociation(models.TextChoices):
        # A four-step clinic scale (clinic practice; the CADSS used in trials is a 23-item instrument).
        NONE = "none", "None (resolved)"
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="observations")
    observed_at = models.DateTimeField()
    moaas_score = models.PositiveSmallIntegerField()
    dissociation = models.CharField(max_length=10, choices=Dissociation.choices)
    respiratory_concern = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["observed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(moaas_score__gte=MOAAS_RANGE[0], moaas_score__lte=MOAAS_RANGE[1]),
                name="observation_moaas_range",
            ),
        ]
        indexes = [
            # The run-sheet observation panel and the discharge check (latest observation).
            models.Index(fields=["session", "observed_at"], name="obs_session_time_idx"),
        ]


class AdverseEvent(_SessionRow):
    """Something that went wrong during the session."""

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="adverse_events")
    occurred_at = models.DateTimeField()
    description = models.CharField(max_length=1000)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    action_taken = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["occurred_at"]
        indexes = [
            # The run-sheet adverse-event panel.
            models.Index(fields=["session", "occurred_at"], name="ae_session_time_idx"),
        ]


class PreDoseQuestionnaire(_SessionRow):
    """What happened at the chair to a questionnaire due before this session: entered or skipped.

    The answers and the score live in the questionnaires app (`QuestionnaireResponse`, scored by the
    core); this row records that the nurse entered them on the tablet (who, when) or why they were
    skipped. A questionnaire the patient completed on their phone has no row here.
    """

    class Outcome(models.TextChoices):
        ENTERED = "entered", "Entered at the chair"
        SKIPPED = "skipped", "Skipped"

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="pre_dose_questionnaires"
    )
    assignment = models.ForeignKey(
        "questionnaires.QuestionnaireAssignment", on_delete=models.PROTECT, related_name="+"
    )
    instrument_id = models.CharField(max_length=40)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    response = models.ForeignKey(
        "questionnaires.QuestionnaireResponse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    skip_reason = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(entered_in_error=False),
                name="one_pre_dose_outcome_per_assignment",
            ),
            models.CheckConstraint(
                condition=(Q(outcome="entered") & Q(response__isnull=False))
                | (Q(outcome="skipped") & Q(response__isnull=True) & ~Q(skip_reason="")),
                name="pre_dose_entered_has_response_skipped_has_reason",
            ),
        ]
        indexes = [
            # The run-sheet check-in panel: a session's chair-side questionnaire outcomes.
            models.Index(fields=["session", "recorded_at"], name="pdq_session_time_idx"),
        ]


class RemsForm(ClinicalRecord):
    """The SPRAVATO REMS patient monitoring form of one outpatient session [REMS-PMF].

    Prefilled from the run-sheet at discharge; staff answer the rest and record the submission
    (online or fax) within the deadline the core gives (7 days).
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(TreatmentSession, on_delete=models.PROTECT, related_name="rems_form")
    due_at = models.DateTimeField()
    dose_mg = models.PositiveSmallIntegerField(null=True, blank=True)
    total_monitoring_min = models.PositiveIntegerField(null=True, blank=True)
    bp_pre_systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    bp_pre_diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    bp_40min_systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    bp_40min_diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    bp_end_systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    bp_end_diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    vitals_acceptable_before = models.BooleanField(null=True, blank=True)
    vitals_acceptable_end = models.BooleanField(null=True, blank=True)
    sedation_occurred = models.BooleanField(null=True, blank=True)
    dissociation_occurred = models.BooleanField(null=True, blank=True)
    respiratory_changes_occurred = models.BooleanField(null=True, blank=True)
    ready_to_leave_min = models.PositiveIntegerField(null=True, blank=True)
    benzodiazepines = models.BooleanField(null=True, blank=True)
    non_benzo_sedative_hypnotics = models.BooleanField(null=True, blank=True)
    psychostimulants = models.BooleanField(null=True, blank=True)
    maois = models.BooleanField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submission_reference = models.CharField(max_length=80, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            # The forms-due list: one clinic's unsubmitted forms by deadline.
            models.Index(fields=["clinic", "submitted_at", "due_at"], name="rems_clinic_due_idx"),
        ]

    def __str__(self) -> str:
        return f"REMS form for {self.session_id}"
