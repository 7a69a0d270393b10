"""An intake baseline is the baseline of the outcomes (docs/decisions/0030).

The nurse takes the PHQ-9 at intake and the patient is not asked it again at home: a patient whose
only pre-treatment score is that one must count as the same patient answering it at home would.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from ketacare.intake.models import BaselineScore
from ketacare.intake.services import record_baseline_score
from ketacare.intake.tests.conftest import intake_url
from ketacare.outcomes.models import CourseSummary
from ketacare.outcomes.services import rebuild_course_summaries
from tests.support.cohort import COHORT, add_scores, day, make_patient

pytestmark = pytest.mark.django_db

COURSE = (
    "instrument_id", "baseline_at", "baseline_total", "latest_at", "latest_total", "best_total", "scores",
    "evaluable", "responder", "remitter", "first_response_at", "first_remission_at", "relapse_at",
)  # fmt: skip


def _phq9(total: int) -> dict[str, int]:
    """PHQ-9 answers adding up to ``total`` (items 1-8 first, 3 points each)."""
    answers, left = {}, total
    for n in range(1, 10):
        answers[f"phq9.q{n}"] = min(3, left)
        left -= answers[f"phq9.q{n}"]
    return answers


def _take_at_intake(patient: Any, author: Any, total: int, at_day: float = 0) -> BaselineScore:
    return record_baseline_score(
        patient=patient, user=author, instrument_id="phq9", answers=_phq9(total), completed_at=day(at_day)
    )


def _course(patient: Any) -> tuple[Any, ...]:
    return CourseSummary.objects.filter(patient=patient).values_list(*COURSE).get()


def test_a_cohort_whose_baselines_were_taken_at_intake_counts_as_if_answered_at_home(
    personas: Any, client_for: Any
) -> None:
    # The hand-computed cohort (tests/support/cohort.py) twice: at Clinic B every score answered at
    # home; at Clinic A the first score of each patient (day 0) taken by the nurse at intake instead.
    home, intake = {}, {}
    for name, days in COHORT.items():
        series = [(float(d), float(total)) for d, total in days]
        home[name] = make_patient(personas.clinic_b, f"Home {name}")
        add_scores(home[name], series)
        intake[name] = make_patient(personas.clinic_a, f"Intake {name}")
        (first_day, first_total), *later = series
        _take_at_intake(intake[name], personas.clinician_a, int(first_total), first_day)
        add_scores(intake[name], later)
    for name in COHORT:
        assert _course(intake[name]) == _course(home[name]), name
    # Cohort P1..P6 = 6, evaluable 5; responders P2 and P6 (2/5), remitter P2; relapses of P1 and P4
    # 28 days after their first response (median 28), as the page shows for the cohort answered at home.
    for clinician in ("clinician_a", "clinician_b"):
        body = client_for(clinician).get("/clinic/outcomes/").content.decode()
        assert "2/5 = 40%" in body and "(12–77%)" in body, clinician
        assert "median time to relapse: <strong>28 days" in body, clinician
    kept = sorted(CourseSummary.objects.values_list("patient_id", *COURSE))
    rebuild_course_summaries(clinic_ids=[personas.clinic_a.pk, personas.clinic_b.pk])
    assert sorted(CourseSummary.objects.values_list("patient_id", *COURSE)) == kept


def test_an_intake_baseline_updates_the_summary_row_when_entered_and_when_corrected(
    personas: Any, client_for: Any
) -> None:
    patient = make_patient(personas.clinic_a, "Summary Intake")
    add_scores(patient, [(14, 9), (28, 8)])
    assert _course(patient)[1:3] == (day(14), 9)  # baseline: the first answer at home
    with transaction.atomic():
        taken = _take_at_intake(patient, personas.clinician_a, 20)
        row = CourseSummary.objects.get(patient=patient)
    assert (row.baseline_at, row.baseline_total, row.scores) == (day(0), 20, 3)
    assert (row.evaluable, row.responder, row.first_response_at) == (1, 1, day(14))
    response = client_for("clinician_a").post(
        intake_url("entered_in_error", patient),
        {"kind": "baseline", "record": str(taken.public_id), "reason": "another patient's answers"},
    )
    assert response.status_code == 302
    row = CourseSummary.objects.get(patient=patient)
    assert (row.baseline_at, row.baseline_total, row.scores, row.responder) == (day(14), 9, 2, 0)


def test_an_intake_baseline_alone_puts_the_patient_in_the_cohort(personas: Any, client_for: Any) -> None:
    patient = make_patient(personas.clinic_a, "Only Intake")
    _take_at_intake(patient, personas.clinician_a, 16)
    assert _course(patient)[1:9] == (day(0), 16, day(0), 16, 16, 1, 0, 0)


def test_the_timeline_lists_the_intake_baseline_among_the_scores(personas: Any, client_for: Any) -> None:
    _take_at_intake(personas.a1, personas.clinician_a, 20)
    add_scores(personas.a1, [(14, 9)])
    body = (
        client_for("clinician_a").get(f"/clinic/patients/{personas.a1.public_id}/timeline/").content.decode()
    )
    assert "PHQ-9 20" in body and "entered by the clinic at intake" in body and "PHQ-9 9" in body
    assert body.index("PHQ-9 9") < body.index("PHQ-9 20")  # newest first
