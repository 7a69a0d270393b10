"""The patient-facts port: every fact has its provider, and a missing or misplaced one fails loudly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from ketacare.patients import facts
from ketacare.patients.apps import _every_patient_fact_has_a_provider


def test_every_fact_has_a_provider_once_the_apps_are_ready() -> None:
    assert facts.missing() == []
    assert _every_patient_fact_has_a_provider(None) == []


def test_a_missing_provider_is_a_system_check_error_and_fails_at_the_call(monkeypatch: Any) -> None:
    monkeypatch.delitem(facts._registry, "last_dose")
    errors = _every_patient_fact_has_a_provider(None)
    assert [e.id for e in errors] == ["ketacare.E010"]
    assert "last_dose" in errors[0].msg and "treatments" in (errors[0].hint or "")
    with pytest.raises(ImproperlyConfigured, match="no app provides the patient fact 'last_dose'"):
        facts.last_dose(None, now=None)  # type: ignore[arg-type]


def test_an_app_cannot_register_a_fact_it_does_not_own_or_an_unknown_one() -> None:
    with pytest.raises(ImproperlyConfigured, match="provided by 'treatments', not 'journal'"):
        facts.provide("journal", last_dose=lambda patient, now: None)
    with pytest.raises(ImproperlyConfigured, match="unknown patient fact 'last_dos'"):
        facts.provide("treatments", last_dos=lambda patient, now: None)


@pytest.mark.django_db
def test_the_dosing_facts_answer_from_treatments(personas: Any) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert facts.last_dose(personas.a1, now=now) is None
    assert facts.patient_doses(personas.a1, now=now) == []
    assert facts.patient_route(personas.a1, now=now) == ""
