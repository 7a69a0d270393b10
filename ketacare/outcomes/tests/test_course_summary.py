"""The outcomes page reads a maintained summary: one row per patient and scale, kept with each response."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from ketacare.outcomes.models import CourseSummary
from ketacare.outcomes.services import rebuild_course_summaries
from ketacare.questionnaires.models import QuestionnaireResponse
from tests.support.cohort import add_scores, day, make_patient, seed_cohort

pytestmark = pytest.mark.django_db

FIELDS = (
    "clinic_id", "patient_id", "instrument_id", "baseline_at", "baseline_total", "latest_at", "latest_total",
    "best_total", "scores", "evaluable", "responder", "remitter", "first_response_at", "first_remission_at",
    "relapse_at",
)  # fmt: skip


def _rows() -> list[tuple[Any, ...]]:
    return sorted(CourseSummary.objects.values_list(*FIELDS))


def test_a_stored_score_updates_its_row_in_the_same_transaction(personas: Any) -> None:
    patient = make_patient(personas.clinic_a, "Summary One")
    with transaction.atomic():
        add_scores(patient, [(0, 20), (14, 9), (28, 4), (35, 12), (42, 13)])
        row = CourseSummary.objects.get(patient=patient, instrument_id="phq9")
    assert (row.baseline_total, row.latest_total, row.best_total, row.scores) == (20, 13, 4, 5)
    assert (row.baseline_at, row.latest_at) == (day(0), day(42))
    assert row.first_response_at == day(14) and row.first_remission_at == day(28)
    assert row.relapse_at == day(42)  # the second of two non-responding scores after a response
    # The endpoint is the last score within 8 weeks (day 42: 13, not a response).
    assert (row.evaluable, row.responder, row.remitter) == (1, 0, 0)


def test_a_score_entered_in_error_leaves_the_row_and_the_last_one_leaves_the_cohort(personas: Any) -> None:
    patient = make_patient(personas.clinic_a, "Summary Two")
    add_scores(patient, [(0, 20), (14, 8)])
    later = QuestionnaireResponse.objects.get(patient=patient, submitted_at=day(14))
    later.status = "entered_in_error"
    later.save()
    row = CourseSummary.objects.get(patient=patient, instrument_id="phq9")
    assert (row.scores, row.latest_total, row.evaluable, row.first_response_at) == (1, 20, 0, None)
    first = QuestionnaireResponse.objects.get(patient=patient, submitted_at=day(0))
    first.status = "entered_in_error"
    first.save()
    assert not CourseSummary.objects.filter(patient=patient).exists()


def test_the_rebuild_gives_the_rows_kept_score_by_score(personas: Any) -> None:
    seed_cohort(personas)
    kept = _rows()
    assert len(kept) >= 7
    rebuilt = rebuild_course_summaries(clinic_ids=[personas.clinic_a.pk, personas.clinic_b.pk])
    assert rebuilt == len(kept)
    assert _rows() == kept


def test_the_rebuild_fills_rows_that_bulk_loaded_scores_never_announced(personas: Any) -> None:
    patient = make_patient(personas.clinic_a, "Bulk Loaded")
    QuestionnaireResponse.objects.bulk_create(
        [
            QuestionnaireResponse(
                clinic=patient.clinic,
                patient=patient,
                instrument_id="phq9",
                instrument_version="1",
                answers={},
                total=total,
                submitted_at=day(d),
                idempotency_key=f"bulk-{d}",
            )
            for d, total in ((0, 18), (7, 8))
        ]
    )
    assert not CourseSummary.objects.filter(patient=patient).exists()
    rebuild_course_summaries(clinic_ids=[personas.clinic_a.pk])
    row = CourseSummary.objects.get(patient=patient)
    assert (row.responder, row.first_response_at) == (1, day(7))
    assert row.latest_at - row.baseline_at == dt.timedelta(days=7)
