"""The maintained course summary the outcomes page aggregates: one row per patient and instrument.

A derived table, never a record: every row is recomputed from the patient's valid questionnaire
responses and intake baselines (``outcomes.services``) in the transaction that stores or changes one,
and the whole table can be rebuilt (`ketacare outcomes-rebuild`). The definitions are those of
``outcomes.course_sql`` (baseline, endpoint within 8 weeks, response, remission, relapse).
"""

from __future__ import annotations

from django.db import models


class CourseSummary(models.Model):
    """One patient's course on one instrument with change rules (PHQ-9, GAD-7, ...)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    instrument_id = models.CharField(max_length=40)
    baseline_at = models.DateTimeField()  # the first valid score: the cohort's baseline date
    baseline_total = models.FloatField()
    latest_at = models.DateTimeField()  # the latest valid score: when the patient was last seen on it
    latest_total = models.FloatField()
    best_total = models.FloatField()  # the lowest score (these scales are higher-is-worse)
    scores = models.PositiveIntegerField()
    # 0 or 1, so the page sums them: a later score within the endpoint window, and the endpoint's class.
    evaluable = models.PositiveSmallIntegerField()
    responder = models.PositiveSmallIntegerField()
    remitter = models.PositiveSmallIntegerField()
    first_response_at = models.DateTimeField(null=True)
    first_remission_at = models.DateTimeField(null=True)
    relapse_at = models.DateTimeField(null=True)  # the second of two non-responding scores after a response

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "instrument_id"], name="course_summary_one_per_scale"),
        ]
        indexes = [
            # The outcomes page: the clinics' rows of the chosen scales, by baseline date.
            models.Index(fields=["clinic", "instrument_id", "baseline_at"], name="course_summary_page_idx"),
        ]

    def __str__(self) -> str:
        return f"Course of {self.instrument_id} for patient {self.patient_id}"


class PlanFunnel(models.Model):
    """One treatment plan's completed induction appointments (each with its session discharged): the
    drop-out funnel's count for the plan.

    Kept by ``outcomes.services`` in the transaction that saves or deletes one of the plan's
    appointments or discharges one of their sessions (``outcomes.apps``). A plan without a row has
    none completed; the plan's clinic, patient and creation (the page's period) are read from the plan.
    """

    plan = models.OneToOneField(
        "treatments.TreatmentPlan", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    completed_induction = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"Funnel of plan {self.plan_id}: {self.completed_induction} completed"
