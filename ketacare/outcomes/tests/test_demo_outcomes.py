"""The demo makes a meaningful dashboard: responders, non-responders, relapses, drop-outs; idempotent."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.alerts.models import Alert
from ketacare.clinics.models import Clinic
from ketacare.outcomes.selectors import Period, clinic_outcomes
from ketacare.questionnaires.models import QuestionnaireResponse

pytestmark = pytest.mark.django_db


def test_the_demo_dashboard_has_responders_non_responders_relapses_and_drop_outs(demo: Any) -> None:
    clinic = Clinic.objects.order_by("id").first()
    assert clinic is not None
    o = clinic_outcomes(clinics=[clinic], period=Period(), instrument_id="phq9")
    phq9 = next(r for r in o.by_instrument if r.group == "phq9")
    assert phq9.responders is not None
    assert 0 < phq9.responders.successes < phq9.evaluable
    assert o.relapse.events >= 1 and o.relapse.n > o.relapse.events
    assert o.funnel_planned > o.funnel[-1].patients  # some stop before session 6
    assert Alert.objects.filter(source="worsening_trend").exists()
    counts = (QuestionnaireResponse.objects.count(), Alert.objects.count())
    demo.seed_again()
    assert (QuestionnaireResponse.objects.count(), Alert.objects.count()) == counts
