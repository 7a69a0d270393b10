"""The demo gives demo patients check-ins, scores (responders and non-responders), journals and alerts."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.core.instruments import classify_change
from ketacare.journal.models import JournalEntry
from ketacare.questionnaires.models import QuestionnaireResponse

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (SymptomCheckin, SymptomReport, QuestionnaireResponse, JournalEntry, Alert)
    )


def test_the_companion_demo_is_realistic_and_running_it_twice_adds_nothing(demo: Any) -> None:
    first = _counts()
    assert all(first), first
    assert SymptomReport.objects.filter(resolved_at__isnull=False).exists()  # durations recorded
    assert set(Alert.objects.values_list("source", flat=True)) >= {"red_flag_checkin", "phq9_item9"}
    assert JournalEntry.objects.filter(shared_with_clinic=True).exists()
    assert JournalEntry.objects.filter(shared_with_clinic=False).exists()
    changes = set()
    for patient_id in QuestionnaireResponse.objects.values_list("patient", flat=True).distinct():
        scores = list(
            QuestionnaireResponse.objects.filter(patient_id=patient_id, instrument_id="phq9")
            .order_by("submitted_at")
            .values_list("total", flat=True)
        )
        if len(scores) > 2:
            changes.add(classify_change("phq9", baseline=scores[0], current=scores[-1]))
    assert changes & {"response", "remission"} and changes & {"no_change", "partial", "worsening"}
    demo.seed_again()
    assert _counts() == first
