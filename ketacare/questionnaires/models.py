"""Questionnaire answers, the schedule of due questionnaires and each clinic's schedule policy."""

from __future__ import annotations

from django.db import models

from ketacare.patients.models import ClinicalRecord

# The defaults below are clinic practice, not evidence (docs/decisions/0007-patient-companion.md,
# item 7): a clinic reviews them and saves its own policy.


def default_core_instruments() -> list[str]:
    # PHQ-9 and GAD-7 throughout the course.
    return ["phq9", "gad7"]


def default_condition_instruments() -> dict[str, list[str]]:
    # Condition-specific scales by the intake condition id.
    return {"ptsd": ["pcl5"], "chronic_pain": ["pain_nrs", "bpi_sf"]}


class QuestionnairePolicy(models.Model):
    """A clinic's questionnaire schedule; without a row the defaults (clinic practice) apply.

    Defaults: the core instruments at baseline, before each induction session, 24 h after the first
    dose, weekly during induction and every two weeks in maintenance; condition-specific ones on the
    same schedule; optional daily mood.
    """

    clinic = models.OneToOneField(
        "clinics.Clinic", on_delete=models.PROTECT, related_name="questionnaire_policy"
    )
    core_instruments = models.JSONField(default=default_core_instruments)
    condition_instruments = models.JSONField(default=default_condition_instruments)
    before_each_induction_session = models.BooleanField(default=True)
    after_first_dose_hours = models.PositiveSmallIntegerField(default=24)
    induction_interval_days = models.PositiveSmallIntegerField(default=7)
    maintenance_interval_days = models.PositiveSmallIntegerField(default=14)
    # The local wall-clock hour periodic questionnaires fall due, in the patient's zone.
    due_hour_local = models.PositiveSmallIntegerField(default=18)
    daily_mood = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(induction_interval_days__gte=1), name="qpolicy_induction_days"
            ),
            models.CheckConstraint(
                condition=models.Q(maintenance_interval_days__gte=1), name="qpolicy_maintenance_days"
            ),
            models.CheckConstraint(condition=models.Q(due_hour_local__lte=23), name="qpolicy_due_hour"),
        ]

    def __str__(self) -> str:
        return f"questionnaire policy of {self.clinic}"


class QuestionnaireResponse(ClinicalRecord):
    """One completed questionnaire: raw answers, instrument id and version, and the core's score."""

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="questionnaire_responses"
    )
    instrument_id = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20)
    answers = models.JSONField()
    total = models.FloatField()
    band = models.CharField(max_length=60, blank=True)
    subscores = models.JSONField(default=dict)
    item_alerts = models.JSONField(default=list)
    submitted_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=64)
    assignment = models.ForeignKey(
        "QuestionnaireAssignment", on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.VALID)
    # The clinic named the assignment this answer is for (the chair's pre-dose entry): it completes that
    # one only, never another slot, however the schedule is laid out later (docs/decisions/0025).
    filed_by_clinic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "idempotency_key"], name="qresponse_idempotency_key"),
        ]
        indexes = [
            # Progress: one patient's scores on one instrument over time.
            models.Index(fields=["patient", "instrument_id", "submitted_at"], name="qresponse_series_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.total:g} at {self.submitted_at:%Y-%m-%d}"


class QuestionnaireAssignment(ClinicalRecord):
    """A questionnaire due for a patient at a time computed in the patient's zone."""

    class Reason(models.TextChoices):
        BASELINE = "baseline", "Baseline"
        BEFORE_SESSION = "before_session", "Before an induction session"
        AFTER_FIRST_DOSE = "after_first_dose", "The day after the first session"
        INDUCTION_WEEKLY = "induction_weekly", "Weekly during induction"
        MAINTENANCE = "maintenance", "During maintenance"
        DAILY_MOOD = "daily_mood", "Daily mood"

    class State(models.TextChoices):
        DUE = "due", "Due"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="questionnaire_assignments"
    )
    instrument_id = models.CharField(max_length=40)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    due_at = models.DateTimeField()
    # Makes scheduling idempotent: one row per (patient, schedule slot).
    schedule_key = models.CharField(max_length=120)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DUE)
    reminded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "schedule_key"], name="qassignment_one_per_slot"),
        ]
        indexes = [
            # The reminder job: due, not yet reminded, due time passed.
            models.Index(fields=["state", "reminded_at", "due_at"], name="qassignment_reminder_idx"),
            # A patient's due list.
            models.Index(fields=["patient", "state", "due_at"], name="qassignment_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} due {self.due_at:%Y-%m-%d %H:%M}"
