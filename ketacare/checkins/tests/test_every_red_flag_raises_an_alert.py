"""Every red flag in the core, at every severity, raises exactly one alert with its check-in (docs/security.md S12)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin
from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.core import knowledge as kb
from ketacare.core.triage import SEVERITIES

pytestmark = pytest.mark.django_db


def test_each_red_flag_and_severity_raises_one_alert_for_the_patients_own_clinic(personas: Any) -> None:
    cases = list(itertools.product([flag.id for flag in kb.red_flags()], SEVERITIES))
    for n, (flag_id, severity) in enumerate(cases):
        outcome = submit_checkin(
            patient=personas.b1,
            idempotency_key=f"rf-{n}",
            reports=[ReportIn(flag_id, severity)],
            mood=None,
            note="",
            now=timezone.now(),
        )
        alert = Alert.objects.get(dedupe_key=f"checkin:{outcome.checkin.public_id}")
        assert alert.clinic_id == personas.clinic_b.pk and alert.patient_id == personas.b1.pk
        assert alert.severity == outcome.checkin.triage_level
    assert SymptomCheckin.objects.count() == Alert.objects.count() == len(cases)
    assert not Alert.objects.filter(clinic=personas.clinic_a).exists()


def test_expected_side_effects_alone_raise_no_alert(personas: Any) -> None:
    from tests.support.checkins import make_dose

    make_dose(personas.a1, started_at=timezone.now())
    for n, effect in enumerate(kb.side_effects()):
        submit_checkin(
            patient=personas.a1,
            idempotency_key=f"se-{n}",
            reports=[ReportIn(effect.id)],
            mood=5,
            note="",
            now=timezone.now(),
        )
    assert not Alert.objects.exists()
