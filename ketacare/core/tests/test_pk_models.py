"""Every model is a cited parameter set with a population, a validity range and sensible structure."""

from __future__ import annotations

import numpy as np
import pytest

from ketacare.core.pk.models import MODELS, Covariates, get_model, plain_status
from ketacare.core.pk.population import Regimen, simulate

STATUS_TAGS = ("[V", "[C", "[U", "[Ours")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_parameter_and_random_effect_names_its_source(name):
    model = MODELS[name]
    assert model.citation.reference and model.citation.status and model.population
    for parameter in model.parameters.values():
        assert parameter.unit and any(tag in parameter.source for tag in STATUS_TAGS), parameter
    for effect in model.random_effects:
        assert effect.variance > 0 and effect.scale in ("log", "logit") and effect.source


@pytest.mark.parametrize("name", sorted(MODELS))
def test_models_with_an_effect_site_state_the_cross_study_caveat(name):
    model = MODELS[name]
    if model.effect_site is not None:
        assert "different studies" in model.pk_pd_caveat
        assert model.effect_site.c50_ng_per_ml.value == pytest.approx(0.51 * 237.73)
        assert model.effect_site.ke0_per_min.value == pytest.approx(np.log(2) / 8.3)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_rate_matrices_are_compartmental(name):
    model = MODELS[name]
    etas = model.sample_etas(np.random.default_rng(0), 50)
    matrix = model.rate_matrix_per_min(model.individual_parameters(Covariates(), etas))
    off_diagonal = matrix - np.einsum("pii->pi", matrix)[:, :, None] * np.eye(matrix.shape[1])
    assert np.all(off_diagonal >= 0)
    assert np.all(np.einsum("pii->pi", matrix) < 0)


def test_inputs_outside_the_studied_range_give_warnings_naming_the_range():
    run = simulate("perez_ruixo_2021", Regimen("intranasal", 28), Covariates(age_years=90, weight_kg=200))
    assert any("age 90 years is outside the 18-86 years" in w for w in run.warnings)
    assert any("weight 200 kg is outside the 39-170 kg" in w for w in run.warnings)
    assert simulate("perez_ruixo_2021", Regimen("intranasal", 56), Covariates()).warnings == ()


def test_the_warnings_name_the_model_by_its_title_and_the_route_in_words():
    run = simulate("racemic_enantiomers", Regimen("iv", 150, 40), Covariates(age_years=30, weight_kg=45))
    title = get_model("racemic_enantiomers").title
    assert run.warnings == (
        f"weight 45 kg is outside the 50-95 kg studied for the model “{title}”",
        f"IV dose 150 mg is outside the 10-80 mg studied for the model “{title}”",
    )
    assert not any("racemic_enantiomers" in w or "iv dose" in w for w in run.warnings)


def test_status_tags_read_as_words():
    assert (
        plain_status("clearance x 0.020/0.024 [Ours].") == "clearance x 0.020/0.024 (KetaCare's own choice)."
    )
    assert plain_status("is not simulated [U].") == "is not simulated (not checked against a source)."
    assert plain_status("2021 Results [C]); and [V]") == (
        "2021 Results (taken from public code that cites the paper, not checked against the paper)); "
        "and (checked against the published source)"
    )
    assert plain_status("no tags here [REMS-PMF]") == "no tags here [REMS-PMF]"


def test_weight_and_sex_do_not_change_esketamine_but_age_over_60_does():
    base = simulate("perez_ruixo_2021", Regimen("intranasal", 56)).exposures["parent"].auc_ng_h_per_ml
    heavy = simulate("perez_ruixo_2021", Regimen("intranasal", 56), Covariates(weight_kg=120, sex="female"))
    older = simulate("perez_ruixo_2021", Regimen("intranasal", 56), Covariates(age_years=75))
    assert heavy.exposures["parent"].auc_ng_h_per_ml == pytest.approx(base, rel=1e-12)
    assert older.exposures["parent"].auc_ng_h_per_ml > base


def test_weight_scales_the_s_ketamine_volume_and_clearance():
    light = simulate("fanta_2015", Regimen("iv", 17.5, 40), Covariates(weight_kg=55)).curves["parent"][40]
    heavy = simulate("fanta_2015", Regimen("iv", 17.5, 40), Covariates(weight_kg=95)).curves["parent"][40]
    assert light > heavy


def test_an_unknown_model_or_route_is_named_in_the_error():
    with pytest.raises(KeyError, match="known models"):
        get_model("nope")
    with pytest.raises(ValueError, match="allowed: iv"):
        simulate("domino_1982", Regimen("intranasal", 28))


def test_intranasal_devices_are_five_minutes_apart_with_less_nasal_uptake_after_the_first():
    model = get_model("perez_ruixo_2021")
    params = model.individual_parameters(Covariates(), model.typical_etas(1))
    events = model.dosing_events("intranasal", 84, params, None)
    nasal = [e for e in events if e.compartment == model.compartment("nasal_depot")]
    assert [e.time_min for e in nasal] == [0.0, 5.0, 10.0]
    assert nasal[0].amount_mg[0] == pytest.approx(28 * 0.54)
    assert nasal[1].amount_mg[0] == pytest.approx(28 * 0.54 * 0.62)
