"""Send the treatment-timeline prompts now due (check-ins after a session, questionnaires, the day
before an appointment); run from any scheduler every 15 minutes or so."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from ketacare.vigilance.prompts import send_due_prompts


class Command(BaseCommand):
    help = "Send the treatment-timeline prompts now due (each once per channel; quiet hours respected)."

    def handle(self, *args: Any, **options: Any) -> None:
        deliveries = send_due_prompts(now=timezone.now())
        # Written as queued: the task queue sends each one once this command's changes commit.
        queued = sum(1 for d in deliveries if d.status == "queued")
        # Counts only: no patient data in logs.
        self.stdout.write(f"{queued} queued to send, {len(deliveries) - queued} held")
