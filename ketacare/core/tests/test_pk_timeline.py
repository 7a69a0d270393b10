"""The personal timeline: threshold crossings with the caveat, bands, and an explicit answer when no model exists."""

from __future__ import annotations

import pytest

from ketacare.core.pk.timeline import CAVEAT, ROUTES, personal_timeline


def test_the_caveat_is_always_attached_and_says_it_is_no_promise():
    assert CAVEAT.startswith("Model estimate; not a promise and not a discharge criterion.")
    assert "published population averages" in CAVEAT
    for route in ROUTES:
        timeline = personal_timeline(
            route=route, dose_mg=56 if route == "esketamine_in" else 35, weight_kg=70, age_years=45
        )
        assert timeline.caveat == CAVEAT


@pytest.mark.parametrize("route", ["im", "oral", "sublingual"])
def test_routes_without_a_model_say_so_explicitly(route):
    timeline = personal_timeline(route=route, dose_mg=50, weight_kg=70, age_years=45)
    assert timeline.model_available is False
    assert "no" in timeline.no_model_reason and timeline.thresholds == ()


def test_esketamine_thresholds_fall_in_order_after_the_peak():
    timeline = personal_timeline(route="esketamine_in", dose_mg=84, weight_kg=70, age_years=45, sex="female")
    assert timeline.model_name == "perez_ruixo_2021"
    assert "different studies" in timeline.pk_pd_caveat
    reached = [t for t in timeline.thresholds if t.reached]
    assert [t.fraction_of_c50 for t in reached] == sorted(t.fraction_of_c50 for t in reached)[::-1]
    times = [t.falls_below_min for t in reached]
    assert times == sorted(times) and times[0] > timeline.peak_time_min


def test_a_threshold_never_reached_has_no_time():
    timeline = personal_timeline(route="esketamine_in", dose_mg=28, weight_kg=70, age_years=45)
    c50 = timeline.thresholds[0]
    assert c50.fraction_of_c50 == 1.0 and c50.reached is False and c50.falls_below_min is None


def test_the_crossing_time_is_where_the_curve_meets_the_threshold():
    timeline = personal_timeline(route="iv", dose_mg=35, weight_kg=70, age_years=30, infusion_min=40)
    quarter = timeline.thresholds[2]
    minute = int(quarter.falls_below_min)
    curve = timeline.effect_site_ng_per_ml
    assert curve[minute] >= quarter.concentration_ng_per_ml > curve[minute + 1]


def test_a_population_run_gives_a_band_around_the_typical_time():
    timeline = personal_timeline(
        route="iv", dose_mg=35, weight_kg=70, age_years=30, population_size=300, seed=4
    )
    quarter = timeline.thresholds[2]
    assert quarter.band_p05_min < quarter.falls_below_min < quarter.band_p95_min
    assert 0 < quarter.fraction_reaching <= 1 and timeline.seed == 4


def test_a_longer_infusion_moves_the_crossings_later():
    short = personal_timeline(route="iv", dose_mg=35, weight_kg=70, age_years=30, infusion_min=40)
    long = personal_timeline(route="iv", dose_mg=35, weight_kg=70, age_years=30, infusion_min=100)
    assert long.thresholds[2].falls_below_min > short.thresholds[2].falls_below_min


def test_an_unknown_route_or_a_non_positive_dose_is_an_error():
    with pytest.raises(ValueError, match="allowed: iv, esketamine_in"):
        personal_timeline(route="rectal", dose_mg=10, weight_kg=70, age_years=45)
    with pytest.raises(ValueError, match="must be > 0"):
        personal_timeline(route="iv", dose_mg=0, weight_kg=70, age_years=45)
