"""`python manage.py send_reminders`: schedule due questionnaires and remind patients of them (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from ketacare.patients.models import Patient
from ketacare.questionnaires.services import schedule_questionnaires, send_due_reminders


class Command(BaseCommand):
    help = "Lay out due questionnaires for active patients and remind each patient once of those waiting."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        scheduled = 0
        for patient in Patient.objects.filter(stage__in=["screening", "induction", "maintenance"]).iterator():
            scheduled += schedule_questionnaires(patient=patient, now=now)
        sent = send_due_reminders(now=now)
        self.stdout.write(f"scheduled {scheduled} questionnaire(s); reminded {sent} patient(s)")
