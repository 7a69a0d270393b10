"""S-ketamine IV: the Fanta 2015 parent model (as fixed in Otto 2021) with Otto 2021 S-norketamine.

The S-ketamine parameters and compartments here are shared with the racemic
model (:mod:`ketacare.core.pk.models.racemic_enantiomers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ketacare.core.pk.engine import Event
from ketacare.core.pk.models.base import (
    MG_PER_L_TO_NG_PER_ML,
    PER_H_TO_PER_MIN,
    Citation,
    Covariates,
    Model,
    Output,
    Parameter,
    RandomEffect,
    ValidityRange,
    flow,
    iv_events,
)
from ketacare.core.pk.models.olofsen import OLOFSEN_2022, cross_study_caveat

FANTA_2015 = Citation(
    "fanta_2015",
    "Fanta S, Kinnunen M, Backman JT, Kalso E. Population pharmacokinetics of S-ketamine and norketamine in "
    "healthy volunteers after intravenous and oral dosing. Eur J Clin Pharmacol 2015;71(4):441-7, "
    "doi:10.1007/s00228-015-1826-y; parent values as fixed in Otto ME, Bergmann KR, Jacobs G, van Esdonk MJ. "
    "Eur J Clin Pharmacol 2021;77(8):1181-92, doi:10.1007/s00228-021-03104-1",
    "[V] Fanta abstract (CL 95 L/h/70 kg, IIV 13%); [C] full parent set and Otto 2021 S-norketamine via "
    "nlmixr2lib inst/modeldb/specificDrugs/Otto_2021_s_ketamine.R (Table 3 and supplement)",
)
_OT = "Otto 2021 Table 3 / supplement [C via nlmixr2lib]"
FANTA_PARAMETERS = {
    # S-ketamine, Fanta 2015 values fixed in Otto 2021 (70 kg; V1 x (W/70), CL x (W/70)^0.75).
    "v1_l": Parameter(133.0, "L at 70 kg", f"{_OT}: (S)-ketamine Vd 133 (Fanta, fixed)"),
    "cl_l_per_h": Parameter(95.2, "L/h at 70 kg", f"{_OT}: CL 95.2 (Fanta, fixed); Fanta abstract 95 [V]"),
    "vp1_l": Parameter(187.0, "L", f"{_OT}: Vp1 187 (Fanta, fixed)"),
    "q1_l_per_h": Parameter(23.2, "L/h", f"{_OT}: Q1 23.2 (Fanta, fixed)"),
    "vp2_l": Parameter(98.8, "L", f"{_OT}: Vp2 98.8 (Fanta, fixed)"),
    "q2_l_per_h": Parameter(157.0, "L/h", f"{_OT}: Q2 157 (Fanta, fixed)"),
    # S-norketamine, estimated in Otto 2021; all S-ketamine clearance forms S-norketamine (fm = 1).
    "vn_l": Parameter(98.638, "L at 70 kg", f"{_OT}: (S)-norketamine Vd 98.6"),
    "cln_l_per_h": Parameter(57.72, "L/h at 70 kg", f"{_OT}: (S)-norketamine CL 57.7"),
    "vpn_l": Parameter(160.04, "L", f"{_OT}: (S)-norketamine Vp1 160"),
    "qn_l_per_h": Parameter(42.778, "L/h", f"{_OT}: (S)-norketamine Q1 42.8"),
}
FANTA_RANDOM_EFFECTS = (
    RandomEffect("v1_l", 0.084177, "log", f"{_OT}: omega^2 Vd 0.084 (cov with CL 0.023)"),
    RandomEffect("cl_l_per_h", 0.026048, "log", f"{_OT}: omega^2 CL 0.026"),
    RandomEffect("vn_l", 0.040426, "log", f"{_OT}: (S)-norketamine omega^2 Vd 0.040 (cov with CL 0.044)"),
    RandomEffect("cln_l_per_h", 0.10319, "log", f"{_OT}: (S)-norketamine omega^2 CL 0.103"),
)
FANTA_COVARIANCE = (
    (0.084177, 0.02261, 0.0, 0.0),
    (0.02261, 0.026048, 0.0, 0.0),
    (0.0, 0.0, 0.040426, 0.04456),
    (0.0, 0.0, 0.04456, 0.10319),
)


def s_ketamine_parameters(model: Model, covariates: Covariates, etas: np.ndarray) -> dict[str, np.ndarray]:
    """Individual Fanta/Otto parameters (P,): allometric weight on V1 and CL of both analytes only [C]."""
    p = {name: parameter.value for name, parameter in model.parameters.items()}
    weight = covariates.weight_kg / 70.0
    n = etas.shape[0]

    def scaled(name: str, exponent: float) -> np.ndarray:
        value: np.ndarray = p[name] * weight**exponent * np.exp(model.eta(etas, name))
        return value

    params = {
        name: np.full(n, p[name])
        for name in ("vp1_l", "q1_l_per_h", "vp2_l", "q2_l_per_h", "vpn_l", "qn_l_per_h")
    }
    params.update(
        v1_l=scaled("v1_l", 1.0),
        cl_l_per_h=scaled("cl_l_per_h", 0.75),
        vn_l=scaled("vn_l", 1.0),
        cln_l_per_h=scaled("cln_l_per_h", 0.75),
    )
    return params


def s_ketamine_distribution(
    matrix: np.ndarray, central: int, p1: int, p2: int, params: Mapping[str, np.ndarray]
) -> None:
    """Add the Fanta 2015 exchange between the central and the two peripheral compartments (no elimination)."""
    h = PER_H_TO_PER_MIN
    v1 = params["v1_l"]
    flow(matrix, central, p1, params["q1_l_per_h"] / v1 * h)
    flow(matrix, p1, central, params["q1_l_per_h"] / params["vp1_l"] * h)
    flow(matrix, central, p2, params["q2_l_per_h"] / v1 * h)
    flow(matrix, p2, central, params["q2_l_per_h"] / params["vp2_l"] * h)


def s_norketamine(
    matrix: np.ndarray, parent: int, central: int, peripheral: int, params: Mapping[str, np.ndarray]
) -> None:
    """All S-ketamine clearance forms S-norketamine (fm = 1, Otto 2021), carried in S-ketamine mass units [C]."""
    h = PER_H_TO_PER_MIN
    vn = params["vn_l"]
    flow(matrix, parent, central, params["cl_l_per_h"] / params["v1_l"] * h)
    flow(matrix, central, -1, params["cln_l_per_h"] / vn * h)
    flow(matrix, central, peripheral, params["qn_l_per_h"] / vn * h)
    flow(matrix, peripheral, central, params["qn_l_per_h"] / params["vpn_l"] * h)


@dataclass(frozen=True)
class Fanta2015(Model):
    """S-ketamine IV (Fanta 2015, 3 compartments) with S-norketamine (Otto 2021, 2 compartments, fm = 1)."""

    compartments: tuple[str, ...] = (
        "central",
        "peripheral1",
        "peripheral2",
        "norketamine_central",
        "norketamine_peripheral",
        "effect_site",
    )

    def individual_parameters(self, covariates: Covariates, etas: np.ndarray) -> dict[str, np.ndarray]:
        return s_ketamine_parameters(self, covariates, etas)

    def rate_matrix_per_min(self, params: Mapping[str, np.ndarray]) -> np.ndarray:
        c = self.compartment
        n = params["v1_l"].shape[0]
        matrix = np.zeros((n, len(self.compartments), len(self.compartments)))
        s_ketamine_distribution(matrix, c("central"), c("peripheral1"), c("peripheral2"), params)
        s_norketamine(matrix, c("central"), c("norketamine_central"), c("norketamine_peripheral"), params)
        self._effect_site_rows(matrix, c("central"), params["v1_l"])
        return matrix

    def dosing_events(
        self, route: str, dose_mg: float, params: Mapping[str, np.ndarray], infusion_min: float | None
    ) -> list[Event]:
        if route != "iv":
            raise ValueError(f"route {route!r} is not modelled by {self.name}; routes: iv")
        return iv_events(self.compartment("central"), dose_mg, infusion_min)

    def output_weights(self, params: Mapping[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray:
        c = self.compartment
        weights = np.zeros((params["v1_l"].shape[0], len(keys), len(self.compartments)))
        for index, key in enumerate(keys):
            if key == "parent":
                weights[:, index, c("central")] = MG_PER_L_TO_NG_PER_ML / params["v1_l"]
            elif key == "metabolite":
                weights[:, index, c("norketamine_central")] = MG_PER_L_TO_NG_PER_ML / params["vn_l"]
            elif key == "effect_site":
                weights[:, index, c("effect_site")] = 1.0
            else:
                raise KeyError(f"model {self.name} has no output {key!r}")
        return weights


MODEL = Fanta2015(
    name="fanta_2015",
    title="S-ketamine IV (Fanta 2015) with S-norketamine (Otto 2021)",
    drug="S-ketamine",
    citation=FANTA_2015,
    population=(
        "Fanta: 11 healthy men, 22 +/- 2.4 years, 77 +/- 7.5 kg, 0.125 mg/kg IV bolus; Otto: 48 healthy adults "
        "(45.8% female), about 23 years, 68-71 kg, 10 mg over 30 min or 2-h stepped infusions; venous sampling"
    ),
    validity=ValidityRange(
        age_years=(18.0, 40.0),
        weight_kg=(50.0, 95.0),
        dose_mg={"iv": (5.0, 40.0)},
        note="[Ours] approximate span of the Fanta and Otto cohorts and regimens (means +/- about 3 SD)",
    ),
    routes=("iv",),
    outputs=(
        Output("parent", "S-ketamine", "ng/mL", "venous plasma"),
        Output("metabolite", "S-norketamine", "ng/mL", "in S-ketamine mass units, as fitted (Otto 2021) [C]"),
        Output("effect_site", "S-ketamine (effect site)", "ng/mL", "Olofsen 2022 link, cross-study"),
    ),
    parameters=FANTA_PARAMETERS,
    random_effects=FANTA_RANDOM_EFFECTS,
    eta_covariance=FANTA_COVARIANCE,
    effect_site=OLOFSEN_2022,
    pk_pd_caveat=cross_study_caveat(
        "S-ketamine PK from Fanta 2015 / Otto 2021 (healthy young adults, venous)"
    ),
    notes=(
        "Sex is not a covariate of this model; women cleared S-ketamine about 20% faster in Sigtermans 2009 [V].",
    ),
)
