"""Clinic alerts: what patient submissions and the vigilance rules raise, and the inbox works through."""

from __future__ import annotations

import uuid

from django.db import models

from ketacare.lib.choices import labels_looked_up_once

# Sources about the clinic rather than one patient: the only ones whose alert may lack a patient.
CLINIC_SOURCES = ("register_count",)
# Sources resolved by the record that raised them, with where that is done (the inbox names it):
# a count difference is resolved by the investigation note (docs/decisions/0021).
RESOLVED_BY_CAUSE = {"register_count": "the investigation note in the controlled-drug register"}

# Alerts only a prescriber may resolve, because resolving one is the prescriber's review the rules ask
# for: the hold on the next dose (decision 0012 rule 9) lifts when its alert is resolved
# (checkins.facts_provided.next_dose_hold), and a pre-dose hold's alert is "a prescriber alert".
# Three marks, each set as data when the alert is raised, any one of which is enough, so a hold never
# slips past on one missing mark:
# - the source: every dosing-hold alert (a check-in's pause, a positive bladder check, a session's hold);
PRESCRIBER_SOURCES = ("dosing_hold",)
# - the key of an alert carrying the pause (the same prefix as checkins.facts_provided.HOLD_KEY_PREFIX,
#   which stands on a higher floor and so cannot be imported here);
HOLD_KEY_PREFIX = "next_dose_hold:"
# - this evidence flag, true on every alert that carries a pause: a check-in that also has a red flag
#   keeps the red-flag source and its "checkin:" key, and says the pause here (never by its wording,
#   which may be reworded; migration 0007 set it on the alerts raised before it existed).
HOLDS_NEXT_DOSE = "holds_next_dose"
PRESCRIBER_ONLY_MESSAGE = (
    "Only a prescriber can resolve this alert: it holds the next dose until a prescriber has reviewed "
    "the patient."
)


@labels_looked_up_once
class Alert(models.Model):
    """Something the clinic must see: about one patient (assigned to their primary clinician), or, for
    the few clinic-level sources, about the clinic itself (no patient, assigned to nobody).

    A clinic-level alert (``CLINIC_SOURCES``: a controlled-drug count difference) has no patient; a
    database check keeps every other source tied to one. Its cause's own record resolves it
    (``RESOLVED_BY_CAUSE``): the inbox acknowledges it and escalates it like any other.
    """

    class Source(models.TextChoices):
        RED_FLAG_CHECKIN = "red_flag_checkin", "Red flag in a check-in"
        PHQ9_ITEM9 = "phq9_item9", "PHQ-9 item 9 (thoughts of self-harm)"
        SIDE_EFFECT_OVERDUE = "side_effect_overdue", "Side effect lasting longer than expected"
        # Before the first dose a side effect has no window to outlast: it is not an after-effect at all.
        SYMPTOM_BEFORE_DOSE = "symptom_before_dose", "Symptom reported before any dose"
        VITAL_SIGN = "vital_sign", "Vital sign"
        WORSENING_TREND = "worsening_trend", "Worsening trend"
        MISSED_CHECKIN = "missed_checkin", "Missed check-in"
        DROPOUT_RISK = "dropout_risk", "Drop-out risk"
        REMS_DEADLINE = "rems_deadline", "REMS deadline"
        DOSING_HOLD = "dosing_hold", "Dosing hold"
        ADVERSE_EVENT = "adverse_event", "Adverse event in a session"
        DISCHARGE_OVERRIDE = "discharge_override", "Discharge with a criterion overridden"
        HOME_BLOOD_PRESSURE = "home_blood_pressure", "Home blood pressure"
        CHECKIN_REVIEW = "checkin_review", "Check-in words to review"
        PERIODIC_CHECK = "periodic_check", "Periodic bladder or cravings check"
        PATIENT_MESSAGE = "patient_message", "Patient message"
        REGISTER_COUNT = "register_count", "Controlled-drug count difference"

    class Severity(models.TextChoices):
        # The same words as the core triage levels so a check-in's level maps one to one.
        INFO = "info", "Information"
        CONTACT_CLINIC = "contact_clinic", "Contact today"
        URGENT = "urgent", "Urgent"
        EMERGENCY = "emergency", "Emergency"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    class Outcome(models.TextChoices):
        """What became of the patient, chosen when an emergency or suicide-risk alert is resolved
        (alerts.services.resolve_alert; docs/decisions/0012). Each names who saw them and where they
        are now, so "ok" can no longer close one. The wording is clinic practice."""

        ASSESSED_IN_PERSON_SAFE = (
            "assessed_in_person_safe",
            "Assessed in person by a clinician: safe to go home, with a plan",
        )
        ASSESSED_IN_PERSON_KEPT = (
            "assessed_in_person_kept",
            "Assessed in person by a clinician: kept under observation in the clinic",
        )
        REACHED_BY_PHONE = (
            "reached_by_phone",
            "Reached by phone and assessed by a clinician: safety plan made",
        )
        SENT_TO_EMERGENCY_CARE = (
            "sent_to_emergency_care",
            "Sent to emergency care (emergency department or emergency services)",
        )
        NOT_REACHED_ESCALATED = (
            "not_reached_escalated",
            "Could not be reached: escalated (emergency services or crisis team asked to check on them)",
        )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    source = models.CharField(max_length=30, choices=Source.choices)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    assignee = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_alerts"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    # The same cause raises one alert however often it is submitted (e.g. "checkin:<public_id>").
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The inbox workflow: open -> acknowledged (with a note) -> resolved; escalation when left open
    # past the clinic's AlertPolicy time (an emergency or suicide risk sooner, to its prescribers; the
    # others to its escalation contact). Each transition is audited.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True, max_length=2000)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True, max_length=2000)
    # Required to resolve an emergency or suicide-risk alert (with a note of at least 20 characters):
    # the outcome chosen from a fixed list and who assessed the patient, in their own words (a name and
    # role: it may be someone outside the clinic, an emergency department doctor or the crisis team).
    resolution_outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    resolution_assessed_by = models.CharField(max_length=200, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="escalated_alerts"
    )
    # Why the alert was raised, shown beside it: the rule and its evidence (course signals), as data.
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="alert_one_per_patient_and_dedupe_key",
            ),
            models.UniqueConstraint(
                fields=["clinic", "dedupe_key"],
                condition=models.Q(patient__isnull=True) & ~models.Q(dedupe_key=""),
                name="alert_one_per_clinic_and_dedupe_key",
            ),
            models.CheckConstraint(
                condition=models.Q(patient__isnull=False) | models.Q(source__in=CLINIC_SOURCES),
                name="alert_only_clinic_sources_lack_a_patient",
            ),
        ]
        indexes = [
            # The clinic inbox: one clinic's open alerts, newest first.
            models.Index(fields=["clinic", "state", "-created_at"], name="alert_clinic_state_idx"),
            # A patient's alerts on their staff page.
            models.Index(fields=["patient", "-created_at"], name="alert_patient_idx"),
            # The escalation job: open alerts not yet escalated, oldest first.
            models.Index(fields=["state", "escalated_at", "created_at"], name="alert_escalation_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.title}"

    @property
    def resolved_by_cause(self) -> bool:
        """Only the record that raised it resolves it (the inbox acknowledges it)."""
        return self.source in RESOLVED_BY_CAUSE

    @property
    def needs_prescriber(self) -> bool:
        """Only a prescriber of its clinic may resolve it: resolving it lifts a hold on the dose."""
        return (
            self.source in PRESCRIBER_SOURCES
            or self.dedupe_key.startswith(HOLD_KEY_PREFIX)
            or (self.evidence or {}).get(HOLDS_NEXT_DOSE) is True
        )


class AlertPolicy(models.Model):
    """A clinic's alert escalation times; without a row the defaults apply.

    Two timers, because an emergency cannot wait as long as a routine alert: an emergency or suicide-risk
    alert (``alerts.services.is_emergency_or_suicide_risk``) escalates to the clinic's prescribers after
    ``emergency_escalate_after_min``; every other alert to the clinic's escalation contact after
    ``escalate_after_min``. Both defaults (30 and 5 minutes) are clinic practice, not a published
    standard: each clinic sets what it can staff. The emergency time is never longer than the other one.
    """

    DEFAULT_ESCALATE_AFTER_MIN = 30
    # Clinic practice: long enough for the staff beside the patient to acknowledge it, short enough that
    # a prescriber hears of an unread emergency within minutes. The job runs every minute (ketacare.jobs).
    DEFAULT_EMERGENCY_ESCALATE_AFTER_MIN = 5
    ESCALATE_MIN_RANGE = (5, 10080)  # 5 minutes to 7 days
    EMERGENCY_ESCALATE_MIN_RANGE = (1, 60)

    clinic = models.OneToOneField("clinics.Clinic", on_delete=models.PROTECT, related_name="alert_policy")
    escalate_after_min = models.PositiveIntegerField(default=DEFAULT_ESCALATE_AFTER_MIN)
    emergency_escalate_after_min = models.PositiveIntegerField(default=DEFAULT_EMERGENCY_ESCALATE_AFTER_MIN)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(escalate_after_min__gte=5, escalate_after_min__lte=10080),
                name="alertpolicy_escalate_5_min_to_7_days",
            ),
            models.CheckConstraint(
                condition=models.Q(emergency_escalate_after_min__gte=1, emergency_escalate_after_min__lte=60)
                & models.Q(emergency_escalate_after_min__lte=models.F("escalate_after_min")),
                name="alertpolicy_emergency_1_to_60_min_and_not_longer",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"escalate after {self.escalate_after_min} min, emergencies after "
            f"{self.emergency_escalate_after_min} min ({self.clinic})"
        )
