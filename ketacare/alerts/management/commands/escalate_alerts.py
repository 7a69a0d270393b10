"""Escalate alerts left unacknowledged past the clinic's times; run from any scheduler (cron, systemd)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from ketacare.alerts.services import escalate_overdue_alerts


class Command(BaseCommand):
    help = (
        "Escalate open alerts older than the clinic's AlertPolicy times: emergencies and suicide risk to the "
        "prescribers, the others to the escalation contact (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        escalated = escalate_overdue_alerts(now=timezone.now())
        # Counts only: no patient data in logs.
        self.stdout.write(f"escalated {len(escalated)} alert(s)")
