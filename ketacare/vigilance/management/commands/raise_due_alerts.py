"""Raise the time-based alerts (lingering side effects, missed questionnaires, REMS deadlines) and assign
the periodic bladder and misuse checks, alerting on positive ones."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from ketacare.vigilance.scheduled import (
    assign_periodic_checks,
    raise_missed_questionnaire_alerts,
    raise_positive_check_alerts,
    raise_rems_deadline_alerts,
    raise_side_effect_overdue_alerts,
)


class Command(BaseCommand):
    help = "Raise alerts that come from time passing; idempotent (one alert per cause), for any scheduler."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        side = raise_side_effect_overdue_alerts(now=now)
        missed = raise_missed_questionnaire_alerts(now=now)
        rems = raise_rems_deadline_alerts(now=now)
        assigned = assign_periodic_checks(now=now)
        checks = raise_positive_check_alerts()
        # Counts only: no patient data in logs.
        self.stdout.write(
            f"side effects: {len(side)}; missed questionnaires: {len(missed)}; REMS: {len(rems)}; "
            f"periodic checks assigned: {len(assigned)}; positive checks: {len(checks)}"
        )
