"""Monte Carlo population runs: seeded, ordered bands, and the typical value inside the band."""

from __future__ import annotations

import numpy as np
import pytest

from ketacare.core.pk.models import Covariates, get_model
from ketacare.core.pk.population import Regimen, simulate, simulate_curves, simulate_population


def test_the_same_seed_gives_the_same_bands_and_another_seed_does_not():
    first = simulate_population("perez_ruixo_2021", Regimen("intranasal", 56), n_patients=300, seed=7)
    again = simulate_population("perez_ruixo_2021", Regimen("intranasal", 56), n_patients=300, seed=7)
    other = simulate_population("perez_ruixo_2021", Regimen("intranasal", 56), n_patients=300, seed=8)
    np.testing.assert_array_equal(first.curve_bands["parent"].p50, again.curve_bands["parent"].p50)
    assert (
        first.exposure_bands["parent"]["cmax_ng_per_ml"] == again.exposure_bands["parent"]["cmax_ng_per_ml"]
    )
    assert not np.array_equal(first.curve_bands["parent"].p50, other.curve_bands["parent"].p50)


@pytest.mark.parametrize(
    ("model", "regimen"),
    [("perez_ruixo_2021", Regimen("intranasal", 84)), ("racemic_enantiomers", Regimen("iv", 35, 40))],
)
def test_the_5_to_95_band_of_cmax_contains_the_typical_value(model, regimen):
    typical = simulate(model, regimen).exposures["parent"].cmax_ng_per_ml
    band = simulate_population(model, regimen, n_patients=1000, seed=1).exposure_bands["parent"][
        "cmax_ng_per_ml"
    ]
    assert band.p05 < typical < band.p95
    assert band.p05 < band.p50 < band.p95


def test_curve_bands_are_ordered_at_every_time():
    bands = simulate_population(
        "perez_ruixo_2021", Regimen("intranasal", 56), n_patients=500, seed=2
    ).curve_bands
    for band in bands.values():
        assert np.all(band.p05 <= band.p50) and np.all(band.p50 <= band.p95)


def test_a_model_without_published_variability_has_a_zero_width_band_and_says_so():
    run = simulate_population("kamp_2020", Regimen("iv", 35, 40), n_patients=20, seed=0)
    band = run.curve_bands["parent"]
    np.testing.assert_array_equal(band.p05, band.p95)
    assert "no published inter-individual variability" in run.notes[0]


def test_sampled_etas_have_the_published_variances_and_covariance():
    model = get_model("fanta_2015")
    etas = model.sample_etas(np.random.default_rng(0), 200_000)
    covariance = np.cov(etas, rowvar=False)
    np.testing.assert_allclose(covariance, np.array(model.eta_covariance), atol=0.002)
    variances = [effect.variance for effect in get_model("perez_ruixo_2021").random_effects]
    sampled = get_model("perez_ruixo_2021").sample_etas(np.random.default_rng(1), 200_000).var(axis=0)
    np.testing.assert_allclose(sampled, variances, rtol=0.02)


def test_a_population_needs_at_least_one_patient():
    with pytest.raises(ValueError, match="n_patients"):
        simulate_population("perez_ruixo_2021", Regimen("intranasal", 56), n_patients=0, seed=0)


def test_threads_and_blocks_do_not_change_the_curves():
    model = get_model("perez_ruixo_2021")
    etas = model.sample_etas(np.random.default_rng(3), 700)
    args = (model, Regimen("intranasal", 84), Covariates(), etas, ("parent", "metabolite"), 1440.0, 1.0)
    _, one = simulate_curves(*args, threads=1)
    _, many = simulate_curves(*args, threads=3, block_size=128)
    np.testing.assert_array_equal(one, many)
