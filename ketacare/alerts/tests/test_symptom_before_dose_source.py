"""A side effect reported before any dose has a source of its own; alerts raised under "side effect
lasting longer than expected" before it existed move to it (migration 0009), and only those."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.alerts.tests.helpers import make_alert

pytestmark = pytest.mark.django_db


def test_an_old_before_any_dose_alert_moves_to_its_own_source_and_its_page_says_so(
    personas: Any, client_for: Any
) -> None:
    migration = importlib.import_module("ketacare.alerts.migrations.0009_symptom_before_dose_source")
    before = make_alert(
        personas.a1,
        severity="contact_clinic",
        source="side_effect_overdue",
        title="Feeling sick (nausea) reported before any dose",
        dedupe_key="side_effect_overdue:one",
    )
    longer = make_alert(
        personas.a1,
        severity="contact_clinic",
        source="side_effect_overdue",
        title="Headache lasting longer than expected",
        dedupe_key="side_effect_overdue:two",
    )
    migration.move_before_any_dose_alerts(django_apps, None)
    before.refresh_from_db()
    longer.refresh_from_db()
    assert before.source == Alert.Source.SYMPTOM_BEFORE_DOSE
    assert longer.source == Alert.Source.SIDE_EFFECT_OVERDUE
    page = client_for("clinician_a").get(reverse("alerts:detail", args=[before.public_id]))
    assert page.status_code == 200
    assert "<dt>Source</dt><dd>Symptom reported before any dose" in page.content.decode()
