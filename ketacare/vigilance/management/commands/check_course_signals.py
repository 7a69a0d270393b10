"""Run the core's course rules for recent scores and induction drop-out; run from any scheduler."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ketacare.patients.models import Patient
from ketacare.vigilance.course_signals import evaluate_course_signals, evaluate_dropout_risk


class Command(BaseCommand):
    help = (
        "Raise worsening/relapse alerts for patients scored in the last --hours and drop-out alerts for "
        "patients in induction (idempotent: an alert is raised once per signal)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours", type=int, default=24, help="look back this many hours for new scores (1-720)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["hours"]
        if not 1 <= hours <= 720:
            self.stderr.write(f"--hours {hours} must be from 1 to 720")
            raise SystemExit(2)
        now = timezone.now()
        since = now - dt.timedelta(hours=hours)
        course = dropout = 0
        recent = Patient.objects.filter(questionnaire_responses__submitted_at__gte=since).distinct()
        for patient in recent.iterator():
            course += len(evaluate_course_signals(patient=patient, now=now))
        for patient in Patient.objects.filter(stage="induction").iterator():
            dropout += evaluate_dropout_risk(patient=patient, now=now) is not None
        # Counts only: no patient data in logs.
        self.stdout.write(f"course signals: {course}; induction drop-out flags: {dropout}")
