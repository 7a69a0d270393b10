"""When an open symptom began, as the patient said it: `{% load symptom_words %}`, `{{ report|began }}`."""

from __future__ import annotations

from django import template
from django.utils import timezone

from ketacare.checkins.models import SymptomReport
from ketacare.checkins.onset import began_words

register = template.Library()


@register.filter
def began(report: SymptomReport) -> str:
    """The words after the symptom's name ("since today", "reported on Monday 7 December"), on the
    clock the page is shown in (its ``{% timezone %}``)."""
    return began_words(
        onset_day=report.onset_day,
        onset_min=report.onset_min,
        dose_started_at=report.dose_started_at,
        reported_at=report.started_at,
        zone=timezone.get_current_timezone(),
        now=timezone.now(),
    )
