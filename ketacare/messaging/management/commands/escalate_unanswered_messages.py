"""Raise an alert for patient messages unanswered past the clinic's response time; run from any scheduler."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from ketacare.messaging.services import escalate_unanswered_messages


class Command(BaseCommand):
    help = "Alert the care team about patient messages left unanswered past the response time (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        escalated = escalate_unanswered_messages(now=timezone.now())
        # Counts only: no patient data in logs.
        self.stdout.write(f"escalated {len(escalated)} message(s)")
