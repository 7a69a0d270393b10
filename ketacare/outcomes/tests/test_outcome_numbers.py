"""Outcome numbers against a hand-computed cohort (rates, Wilson CIs, Kaplan-Meier steps)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from ketacare.core.stats import Z_95
from ketacare.outcomes.selectors import Period, clinic_outcomes
from ketacare.treatments.models import DoseAdministration
from tests.support.checkins import make_dose
from tests.support.cohort import add_appointments, day, seed_cohort

pytestmark = pytest.mark.django_db


def _wilson(k: int, n: int) -> tuple[float, float]:
    # Written out again on purpose (not the core function): centre +- half, Wilson 1927.
    p, z2 = k / n, Z_95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return centre - half, centre + half


def test_response_and_remission_rates_match_the_hand_count(personas: Any) -> None:
    seed_cohort(personas)
    o = clinic_outcomes(clinics=[personas.clinic_a], period=Period(), instrument_id="phq9")
    phq9 = next(r for r in o.by_instrument if r.group == "phq9")
    # Cohort P1..P6 = 6; evaluable (a later score) = 5 (not P5); Clinic B's patient not counted.
    assert (phq9.cohort, phq9.evaluable) == (6, 5)
    # Responders at the endpoint: P2 (18 -> 4) and P6 (12 -> 5) = 2/5; remitters: P2 = 1/5.
    assert phq9.responders is not None and phq9.remitters is not None
    assert (phq9.responders.successes, phq9.remitters.successes) == (2, 1)
    # 2/5: centre = (0.4 + 0.384146) / 1.768292 = 0.443448, half = 1.108393 * sqrt(0.048 + 0.038415)
    #      = 1.108393 * 0.293963 = 0.325826 -> (0.117622, 0.769274)
    assert (phq9.responders.low, phq9.responders.high) == pytest.approx((0.117622, 0.769274), abs=2e-6)
    assert (phq9.responders.low, phq9.responders.high) == pytest.approx(_wilson(2, 5), abs=1e-12)
    # 1/5: centre = (0.2 + 0.384146) / 1.768292 = 0.330345, half = 1.108393 * sqrt(0.032 + 0.038415)
    #      = 1.108393 * 0.265357 = 0.294120 -> (0.036224, 0.624465)
    assert (phq9.remitters.low, phq9.remitters.high) == pytest.approx((0.036224, 0.624465), abs=2e-6)


def _dose(patient: Any, route: str, author: Any) -> None:
    """One valid dose by ``route`` (a route's cohort is the patients dosed by it)."""
    session = make_dose(patient, route=route, started_at=day(1))
    DoseAdministration.objects.create(
        clinic=patient.clinic, patient=patient, session=session, created_by=author, drug="ketamine",
        route=route, dose_mg=Decimal("35"), lot_number="L1", started_at=day(1),
    )  # fmt: skip


def test_rates_by_route_and_condition_split_the_cohort(personas: Any) -> None:
    patients = seed_cohort(personas)
    for name, route in (("P1", "iv"), ("P2", "iv"), ("P4", "esketamine_in"), ("P6", "esketamine_in")):
        _dose(patients[name], route, personas.clinician_a)
    o = clinic_outcomes(clinics=[personas.clinic_a], period=Period(), instrument_id="phq9")
    by_route = {r.group: r for r in o.by_route}
    # iv: P1 (no), P2 (yes) -> 1/2; esketamine: P4 (no), P6 (yes) -> 1/2; never dosed: P3, P5 -> 0/1.
    assert (by_route["iv"].evaluable, by_route["iv"].responders.successes) == (2, 1)  # type: ignore[union-attr]
    assert (by_route["esketamine_in"].evaluable, by_route["esketamine_in"].responders.successes) == (2, 1)  # type: ignore[union-attr]
    assert (by_route["none"].cohort, by_route["none"].evaluable) == (2, 1)
    assert by_route["none"].label == "No dose recorded"
    # A plan gives no dose: without P2's dose, P2 leaves the IV row for the never-dosed one.
    DoseAdministration.objects.filter(patient=patients["P2"]).delete()
    o = clinic_outcomes(clinics=[personas.clinic_a], period=Period(), instrument_id="phq9")
    by_route = {r.group: r for r in o.by_route}
    assert (by_route["iv"].cohort, by_route["none"].cohort) == (1, 3)
    by_condition = {r.group: r for r in o.by_condition}
    # TRD: P1, P2 -> 1/2 respond; anxiety: P2, P3 -> 1/2 respond, 1/2 remit.
    assert by_condition["treatment_resistant_depression"].responders.successes == 1  # type: ignore[union-attr]
    assert by_condition["anxiety"].remitters.successes == 1  # type: ignore[union-attr]
    # P4, P5 and P6 have no recorded indication: their own row, so every patient of the cohort is
    # under at least one condition row (P2, with two, under both). P4 no, P5 not evaluable, P6 responds.
    assert set(by_condition) == {"treatment_resistant_depression", "anxiety", "none"}
    none = by_condition["none"]
    assert none.label == "No condition recorded"
    assert (none.cohort, none.evaluable) == (3, 2)
    assert (none.responders.successes, none.remitters.successes) == (1, 0)  # type: ignore[union-attr]
    assert sum(r.cohort for r in o.by_condition) == 6 + 1  # P2 twice


def test_time_to_relapse_follows_the_hand_computed_kaplan_meier_steps(personas: Any) -> None:
    seed_cohort(personas)
    km = clinic_outcomes(clinics=[personas.clinic_a], period=Period(), instrument_id="phq9").relapse
    # Responders (a first responding score): P1 (28 days, relapse), P2 (7, censored),
    # P4 (28, relapse), P6 (33, censored). P3 and P5 never responded.
    assert [(s.time, s.at_risk, s.events, s.censored) for s in km.steps] == [
        (7, 4, 0, 1),
        (28, 3, 2, 0),
        (33, 1, 0, 1),
    ]
    # S(7) = 1; S(28) = 1 - 2/3 = 1/3; Greenwood: 2 / (3 * 1) -> se = 1/3 * sqrt(2/3) = 0.272166
    assert [s.survival for s in km.steps] == pytest.approx([1.0, 1 / 3, 1 / 3])
    assert km.steps[1].std_err == pytest.approx(0.272166, abs=1e-6)
    assert km.median == 28


def test_the_period_filters_by_baseline_date(personas: Any) -> None:
    seed_cohort(personas)
    o = clinic_outcomes(
        clinics=[personas.clinic_a],
        period=Period(start=day(1).date(), end=day(60).date()),
        instrument_id="phq9",
    )
    assert next(r for r in o.by_instrument if r.group == "phq9").cohort == 0


def test_the_funnel_counts_patients_by_completed_induction_appointments(personas: Any) -> None:
    patients = seed_cohort(personas)
    add_appointments(patients["P1"].plan, ["completed"] * 6)
    add_appointments(patients["P2"].plan, ["completed"] * 3 + ["cancelled", "scheduled", "scheduled"])
    add_appointments(patients["P4"].plan, ["completed", "cancelled"])
    o = clinic_outcomes(clinics=[personas.clinic_a], period=Period(), instrument_id="phq9")
    # Plans: P1, P2, P4, P6 = 4; completed >= 1: P1, P2, P4; >= 2..3: P1, P2; >= 4..6: P1.
    assert o.funnel_planned == 4
    assert [s.patients for s in o.funnel] == [3, 2, 2, 1, 1, 1]


def test_the_endpoint_is_the_last_score_within_eight_weeks_so_a_later_relapse_is_not_a_non_response(
    personas: Any,
) -> None:
    from tests.support.cohort import add_scores, make_patient

    patient = make_patient(personas.clinic_a, "Late relapse")
    # 20 -> 8 at day 56 (inside 8 weeks: response), then 18 and 19 at days 70 and 77 (relapse).
    add_scores(patient, [(0, 20), (56, 8), (70, 18), (77, 19)])
    late_only = make_patient(personas.clinic_a, "Late follow-up only")
    add_scores(late_only, [(0, 20), (57, 5)])  # first follow-up after 8 weeks: not evaluable
    o = clinic_outcomes(clinics=[personas.clinic_a], period=Period(), instrument_id="phq9")
    phq9 = next(r for r in o.by_instrument if r.group == "phq9")
    assert (phq9.cohort, phq9.evaluable, phq9.responders.successes) == (2, 1, 1)  # type: ignore[union-attr]
    # The relapse still shows on the curve: first response day 56, relapse day 77 -> 21 days;
    # the late-only patient responds at day 57 and is censored there (0 days).
    assert [(s.time, s.events, s.censored) for s in o.relapse.steps] == [(0, 0, 1), (21, 1, 0)]
