"""Symptom check-ins and the side effects they record, from first report to resolution."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models

from ketacare.core.episodes import Duration, Episode, Observation, Source, duration
from ketacare.core.knowledge import Level
from ketacare.patients.models import ClinicalRecord

NOTE_MAX_CHARS = 2000
OTHER_TEXT_MAX_CHARS = 2000  # "Something else? Describe it" (the core screens up to 5000)
MOOD_MIN, MOOD_MAX = 0, 10


class SymptomCheckin(ClinicalRecord):
    """One check-in: the symptoms a patient reports at one moment, their mood and the triage answer."""

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    class Worry(models.TextChoices):
        # The patient's own "How worried are you?" about what they described in their own words.
        A_LITTLE = "a_little", "A little"
        QUITE = "quite", "Quite worried"
        VERY = "very", "Very worried"

    class TriageLevel(models.TextChoices):
        # The core's triage levels (ketacare.core.knowledge.Level), lowest to highest.
        EXPECTED = Level.EXPECTED.value, "Expected"
        LONGER_THAN_EXPECTED = Level.LONGER_THAN_EXPECTED.value, "Longer than expected"
        CONTACT_CLINIC = Level.CONTACT_CLINIC.value, "Contact the clinic"
        URGENT = Level.URGENT.value, "Urgent"
        EMERGENCY = Level.EMERGENCY.value, "Emergency"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="checkins")
    submitted_at = models.DateTimeField()
    # A retry or double tap sends the same key: the first row is returned (docs/security.md S10).
    idempotency_key = models.CharField(max_length=64)
    mood_0_10 = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=NOTE_MAX_CHARS)
    # "Something else? Describe it": screened by the core triage, never dropped (decision 0012 rule 5).
    other_text = models.TextField(blank=True, max_length=OTHER_TEXT_MAX_CHARS)
    worry = models.CharField(max_length=10, choices=Worry.choices, blank=True)
    # A home blood-pressure reading given with the check-in (mmHg, beats a minute), judged by the triage.
    home_systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    home_diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    home_pulse_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    # What the triage was computed against: the route and start of the last dose (None: no dose on record).
    route = models.CharField(max_length=20, blank=True)
    dose_started_at = models.DateTimeField(null=True, blank=True)
    minutes_since_dose = models.FloatField(null=True, blank=True)
    triage_level = models.CharField(max_length=30, choices=TriageLevel.choices)
    triage_result = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.VALID)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "idempotency_key"], name="checkin_idempotency_key"),
            models.CheckConstraint(
                condition=models.Q(mood_0_10__isnull=True) | models.Q(mood_0_10__gte=0, mood_0_10__lte=10),
                name="checkin_mood_0_10",
            ),
        ]
        indexes = [
            # The patient's check-ins, newest first (progress chart, staff list).
            models.Index(fields=["patient", "-submitted_at"], name="checkin_patient_time_idx"),
        ]

    def __str__(self) -> str:
        return f"check-in {self.submitted_at:%Y-%m-%d %H:%M} ({self.triage_level})"

    @property
    def is_red_flag(self) -> bool:
        """Whether the answer is the emergency screen (urgent or emergency)."""
        return Level(self.triage_level) >= Level.URGENT


class SymptomReport(ClinicalRecord):
    """One symptom episode, from its first report until it is seen gone (docs/decisions/0014).

    What is known about its end is an interval: ``last_seen_at`` (last seen present) <= end <=
    ``resolved_at`` (first seen gone; None while open). ``ended_at`` is the patient's own "gone at
    about ...". A side effect is closed by a later check-in that no longer ticks it (``closed_by``
    "omission"); a red flag only by the patient or a clinician. ``seen_after_window`` records that it
    was seen present after the route's longer-than-expected threshold: only then is it "longer than
    usual" (or when the patient says so, ``says_longer``), never from the gap between check-ins.
    """

    class ClosedBy(models.TextChoices):
        OMISSION = "omission", "Not ticked at a later check-in"
        PATIENT = "patient", "The patient said it was gone"
        CLINICIAN = "clinician", "Closed by a clinician"
        NEW_DOSE = "new_dose", "A new session started"

    class Severity(models.TextChoices):
        # "How strong" left unanswered: a red flag is never refused for it, nor a side effect sent with
        # one. First, so that any strength given later counts as more (episodes keep the strongest).
        NOT_GIVEN = "", "Not given"
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    class Kind(models.TextChoices):
        SIDE_EFFECT = "side_effect", "Side effect"
        RED_FLAG = "red_flag", "Red flag"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="symptom_reports")
    checkin = models.ForeignKey(SymptomCheckin, on_delete=models.PROTECT, related_name="reports")
    last_checkin = models.ForeignKey(SymptomCheckin, on_delete=models.PROTECT, related_name="+")
    resolved_by = models.ForeignKey(
        SymptomCheckin, on_delete=models.PROTECT, null=True, blank=True, related_name="resolved_reports"
    )
    symptom_id = models.CharField(max_length=60)  # an id from the core knowledge base
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    level = models.CharField(max_length=30, choices=SymptomCheckin.TriageLevel.choices)
    route = models.CharField(max_length=20, blank=True)
    dose_started_at = models.DateTimeField(null=True, blank=True)
    # The core's expected window for this route when it was first reported (minutes after the dose).
    expected_resolution_min = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The patient's estimate of the onset ("started about 30 min after the session"), minutes after the dose.
    onset_min = models.FloatField(null=True, blank=True)
    # The day it began on the patient's clock when they named one ("it began today"): what the pages say
    # back. ``onset_min`` then counts to the start of that day, the earliest it can have begun.
    onset_day = models.DateField(null=True, blank=True)
    # The route's longer-than-expected threshold when first reported (minutes after the dose).
    longer_after_min = models.FloatField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_asked_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=20, choices=ClosedBy.choices, blank=True)
    seen_after_window = models.BooleanField(default=False)
    says_longer = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            # Open symptoms of a patient, closed by their next check-in.
            models.Index(fields=["patient", "resolved_at"], name="symptom_patient_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.symptom_id} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def recorded_minutes_after_dose(self) -> float | None:
        """Minutes from the start of the dose to when it was first seen gone (an upper bound)."""
        if self.resolved_at is None or self.dose_started_at is None:
            return None
        return (self.resolved_at - self.dose_started_at).total_seconds() / 60

    def _minutes(self, moment: dt.datetime | None) -> float | None:
        if moment is None or self.dose_started_at is None:
            return None
        return (moment - self.dose_started_at).total_seconds() / 60

    def episode(self) -> Episode:
        """The core's view of this episode (minutes after the dose), for durations and prompts."""
        dose = self.dose_started_at or self.started_at
        first = (self.started_at - dose).total_seconds() / 60
        last = self.last_seen_at or self.started_at
        observations = [
            Observation((last - dose).total_seconds() / 60, present=True, says_longer=self.says_longer)
        ]
        if self.resolved_at is not None:
            # Rows closed before closed_by existed were closed by omission (decision 0007).
            closers: dict[str, Source] = {"patient": "prompt", "new_dose": "prompt", "clinician": "clinician"}
            source: Source = closers.get(self.closed_by, "omission")
            observations.append(
                Observation(
                    (self.resolved_at - dose).total_seconds() / 60,
                    present=False,
                    source=source,
                    reported_end_min=(self.ended_at - dose).total_seconds() / 60 if self.ended_at else None,
                )
            )
        return Episode(
            kind="red_flag" if self.kind == self.Kind.RED_FLAG else "side_effect",
            first_reported_min=first,
            observations=tuple(observations),
            onset_min=self.onset_min,
            expected_resolution_min=self.expected_resolution_min,
            longer_after_min=self.longer_after_min,
        )

    def duration(self) -> Duration:
        """The honest end interval of this episode (core.episodes.duration)."""
        return duration(self.episode())


class PreparationTick(models.Model):
    """A preparation checklist item the patient ticked before a session (staff see the state)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="preparation_ticks"
    )
    # The session prepared for: the appointment's public id, or "next" while none is booked.
    session_key = models.CharField(max_length=40, default="next")
    item_id = models.CharField(max_length=60)
    done = models.BooleanField(default=True)
    ticked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "session_key", "item_id"], name="preparation_one_tick_per_item"
            ),
        ]
        indexes = [
            # A patient's ticks for the coming session.
            models.Index(fields=["patient", "session_key"], name="preparation_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {'done' if self.done else 'not done'}"
