"""Retry failed notification deliveries (at most 3 attempts, within 12 hours) and send those the task
queue lost; run by the worker every 15 minutes, or from any scheduler."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from ketacare.notifications.services import retry_failed_deliveries


class Command(BaseCommand):
    help = "Retry failed notification deliveries (idempotent; counts only in the output)."

    def handle(self, *args: Any, **options: Any) -> None:
        retried = retry_failed_deliveries(now=timezone.now())
        sent = sum(1 for d in retried if d.status == "sent")
        self.stdout.write(f"retried {len(retried)} delivery(ies), {sent} sent")
