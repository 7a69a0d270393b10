"""The last dose is one indexed query whatever the history, and gives the same answer as the full list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ketacare.treatments.models import DoseAdministration, TreatmentSession
from ketacare.treatments.selectors import last_dose, last_dose_start, patient_doses
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def test_the_last_dose_is_one_query_with_2_or_20_sessions(
    personas: Any, django_assert_num_queries: Any
) -> None:
    now = timezone.now()
    for patient, sessions in ((personas.a1, 2), (personas.a2, 20)):
        for i in range(sessions):
            make_session(patient, state="discharged", now=now - dt.timedelta(days=sessions - i))
        with django_assert_num_queries(1):
            dose = last_dose(patient, now=now)
        assert dose is not None and dose == patient_doses(patient, now=now)[-1]


def test_the_last_dose_leaves_out_cancelled_sessions_future_doses_and_doses_in_error(personas: Any) -> None:
    now = timezone.now()
    older = make_session(personas.a1, state="discharged", now=now - dt.timedelta(days=2))
    newest = make_session(personas.a1, state="discharged", now=now - dt.timedelta(days=1))
    DoseAdministration.objects.create(
        clinic=newest.clinic,
        patient=newest.patient,
        session=newest,
        drug="ketamine (racemic)",
        route="iv",
        dose_mg=Decimal("20"),
        lot_number="LOT-2",
        started_at=newest.dose_started_at,
        entered_in_error=True,
        created_by=personas.clinician_a,
    )
    cancelled = make_session(personas.a1, state="discharged", now=now - dt.timedelta(hours=5))
    TreatmentSession.objects.filter(pk=cancelled.pk).update(state="cancelled")
    dose = last_dose(personas.a1, now=now)
    assert dose is not None
    assert dose.session_public_id == str(newest.public_id)
    assert dose.dose_mg == 35.0  # the dose entered in error is not counted
    before = last_dose(personas.a1, now=newest.dose_started_at - dt.timedelta(minutes=1))
    assert before is not None and before.session_public_id == str(older.public_id)
    assert last_dose(personas.a2, now=now) is None


def test_the_last_dose_start_is_one_query_and_agrees_with_the_last_dose(
    personas: Any, django_assert_num_queries: Any
) -> None:
    now = timezone.now()
    assert last_dose_start(personas.a1, now=now) is None
    older = make_session(personas.a1, state="discharged", now=now - dt.timedelta(days=2))
    newest = make_session(personas.a1, state="discharged", now=now - dt.timedelta(days=1))
    cancelled = make_session(personas.a1, state="discharged", now=now - dt.timedelta(hours=5))
    TreatmentSession.objects.filter(pk=cancelled.pk).update(state="cancelled")
    for at in (now, newest.dose_started_at - dt.timedelta(minutes=1)):
        with django_assert_num_queries(1):
            start = last_dose_start(personas.a1, now=at)
        dose = last_dose(personas.a1, now=at)
        assert start is not None and dose is not None
        assert (start.route, start.started_at, start.ended_at, start.session_public_id) == (
            dose.route,
            dose.started_at,
            dose.ended_at,
            dose.session_public_id,
        )
    start = last_dose_start(personas.a1, now=newest.dose_started_at - dt.timedelta(minutes=1))
    assert start is not None and start.started_at == older.dose_started_at
