"""The esketamine model reproduces the published typical-value exposures of Perez-Ruixo 2021, Table 4.

Published values (18-60 years, Caucasian; Cmax in ng/mL, AUC0-24 in ng*h/mL) as
transcribed in nlmixr2lib's PerezRuixo_2020_esketamine vignette [C]. Doses are
given device by device, 28 mg each, 5 min apart.
"""

from __future__ import annotations

import pytest

from ketacare.core.pk.models import Covariates
from ketacare.core.pk.population import Regimen, simulate

# dose_mg: (esketamine Cmax, esketamine AUC0-24, noresketamine Cmax, noresketamine AUC0-24)
TABLE_4 = {
    28: (43.8, 147.3, 59.1, 274.4),
    56: (72.5, 254.7, 119.7, 516.3),
    84: (101.0, 362.2, 180.0, 758.0),
}
# Other strata of Table 4 at 28 mg (esketamine Cmax, AUC0-24), for the covariate effects.
STRATA_28_MG = {
    "asian_non_japanese": (Covariates(asian=True), 44.1, 158.2),
    "japanese": (Covariates(asian=True, japanese=True), 57.5, 194.7),
    "caucasian_70_years": (Covariates(age_years=70), 44.6, 160.4),
}


@pytest.fixture(scope="module")
def runs():
    return {dose: simulate("perez_ruixo_2021", Regimen("intranasal", dose)).exposures for dose in TABLE_4}


@pytest.mark.parametrize("dose_mg", sorted(TABLE_4))
def test_esketamine_cmax_and_auc_are_within_two_percent_of_table_4(runs, dose_mg):
    cmax, auc, _, _ = TABLE_4[dose_mg]
    assert runs[dose_mg]["parent"].cmax_ng_per_ml == pytest.approx(cmax, rel=0.02)
    assert runs[dose_mg]["parent"].auc_ng_h_per_ml == pytest.approx(auc, rel=0.02)


@pytest.mark.parametrize("dose_mg", sorted(TABLE_4))
def test_noresketamine_cmax_is_within_two_percent_of_table_4(runs, dose_mg):
    assert runs[dose_mg]["metabolite"].cmax_ng_per_ml == pytest.approx(TABLE_4[dose_mg][2], rel=0.02)


@pytest.mark.parametrize("dose_mg", sorted(TABLE_4))
def test_noresketamine_auc_shows_the_known_table_3_inconsistency(runs, dose_mg):
    # The literal Table 3 model over-predicts the Table 4 noresketamine AUC0-24 by 1.38-1.56x
    # (nlmixr2lib errata; also found independently by A. Maloney). Our independent implementation
    # lands in the same place: this is a property of the published parameters, not a bug here.
    # If this ever falls within 2%, the model changed: update the Table 4 claim in docs/decisions.
    ratio = runs[dose_mg]["metabolite"].auc_ng_h_per_ml / TABLE_4[dose_mg][3]
    assert 1.38 <= ratio <= 1.50


@pytest.mark.parametrize("stratum", sorted(STRATA_28_MG))
def test_race_and_age_covariates_reproduce_their_table_4_strata(stratum):
    covariates, cmax, auc = STRATA_28_MG[stratum]
    parent = simulate("perez_ruixo_2021", Regimen("intranasal", 28), covariates).exposures["parent"]
    assert parent.cmax_ng_per_ml == pytest.approx(cmax, rel=0.02)
    assert parent.auc_ng_h_per_ml == pytest.approx(auc, rel=0.02)


def test_bioavailability_matches_the_abstract_for_56_and_84_mg():
    # Abstract [V]: absolute bioavailability 54% (56 mg) and 51% (84 mg); AUC0-inf ratio IN / IV.
    for dose_mg, published in ((56, 0.54), (84, 0.51)):
        nasal = simulate(
            "perez_ruixo_2021", Regimen("intranasal", dose_mg), duration_min=14 * 1440, step_min=5.0
        )
        iv = simulate("perez_ruixo_2021", Regimen("iv", dose_mg, 40), duration_min=14 * 1440, step_min=5.0)
        ratio = nasal.exposures["parent"].auc_ng_h_per_ml / iv.exposures["parent"].auc_ng_h_per_ml
        assert ratio == pytest.approx(published, abs=0.01)
