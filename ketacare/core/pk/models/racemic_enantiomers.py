"""Racemic ketamine IV as S-ketamine (Fanta 2015 / Otto 2021) plus R-ketamine (Persson 2002 clearance).

The documented choice for racemic IV (docs/decisions/0005-pk-models.md).
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
    ValidityRange,
    flow,
    iv_events,
)
from ketacare.core.pk.models.fanta import (
    FANTA_2015,
    FANTA_COVARIANCE,
    FANTA_PARAMETERS,
    FANTA_RANDOM_EFFECTS,
    s_ketamine_distribution,
    s_ketamine_parameters,
    s_norketamine,
)
from ketacare.core.pk.models.olofsen import OLOFSEN_2022, cross_study_caveat

# R-ketamine clearance relative to S-ketamine: 0.020 vs 0.024 L/min/kg with arterial sampling
# (Persson 2002, Eur J Clin Pharmacol 2002;57:869-75 [V abstract; first author U]).
_R_TO_S_CLEARANCE_RATIO = 0.020 / 0.024


@dataclass(frozen=True)
class RacemicEnantiomers(Model):
    """Racemic ketamine IV as two enantiomers: S by Fanta/Otto, R by the same model with CL x 0.020/0.024.

    Half of a racemic dose is S-ketamine. R-ketamine shares the S volumes and
    random effects [Ours] and has the clearance ratio of Persson 2002 [V
    abstract, arterial data applied to a venous model: Ours]. The ``parent``
    output is S + R (total ketamine, venous); the effect site is driven by S
    alone, as Olofsen 2022 found R contributed nothing.
    """

    compartments: tuple[str, ...] = (
        "s_central",
        "s_peripheral1",
        "s_peripheral2",
        "r_central",
        "r_peripheral1",
        "r_peripheral2",
        "s_norketamine_central",
        "s_norketamine_peripheral",
        "effect_site",
    )

    def individual_parameters(self, covariates: Covariates, etas: np.ndarray) -> dict[str, np.ndarray]:
        params = s_ketamine_parameters(self, covariates, etas)
        params["r_cl_l_per_h"] = params["cl_l_per_h"] * _R_TO_S_CLEARANCE_RATIO
        return params

    def rate_matrix_per_min(self, params: Mapping[str, np.ndarray]) -> np.ndarray:
        c = self.compartment
        n = params["v1_l"].shape[0]
        matrix = np.zeros((n, len(self.compartments), len(self.compartments)))
        for prefix in ("s", "r"):
            s_ketamine_distribution(
                matrix, c(f"{prefix}_central"), c(f"{prefix}_peripheral1"), c(f"{prefix}_peripheral2"), params
            )
        s_norketamine(
            matrix, c("s_central"), c("s_norketamine_central"), c("s_norketamine_peripheral"), params
        )
        flow(matrix, c("r_central"), -1, params["r_cl_l_per_h"] / params["v1_l"] * PER_H_TO_PER_MIN)
        self._effect_site_rows(matrix, c("s_central"), params["v1_l"])
        return matrix

    def dosing_events(
        self, route: str, dose_mg: float, params: Mapping[str, np.ndarray], infusion_min: float | None
    ) -> list[Event]:
        if route != "iv":
            raise ValueError(f"route {route!r} is not modelled by {self.name}; routes: iv")
        half = dose_mg / 2.0  # a racemate is 50% S and 50% R
        return iv_events(self.compartment("s_central"), half, infusion_min) + iv_events(
            self.compartment("r_central"), half, infusion_min
        )

    def output_weights(self, params: Mapping[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray:
        c = self.compartment
        weights = np.zeros((params["v1_l"].shape[0], len(keys), len(self.compartments)))
        per_volume = MG_PER_L_TO_NG_PER_ML / params["v1_l"]
        for index, key in enumerate(keys):
            if key == "parent":
                weights[:, index, c("s_central")] = per_volume
                weights[:, index, c("r_central")] = per_volume
            elif key == "s_ketamine":
                weights[:, index, c("s_central")] = per_volume
            elif key == "r_ketamine":
                weights[:, index, c("r_central")] = per_volume
            elif key == "metabolite":
                weights[:, index, c("s_norketamine_central")] = MG_PER_L_TO_NG_PER_ML / params["vn_l"]
            elif key == "effect_site":
                weights[:, index, c("effect_site")] = 1.0
            else:
                raise KeyError(f"model {self.name} has no output {key!r}")
        return weights


MODEL = RacemicEnantiomers(
    name="racemic_enantiomers",
    title="Racemic ketamine IV as S (Fanta 2015 / Otto 2021) plus R (clearance ratio of Persson 2002)",
    drug="racemic ketamine",
    citation=Citation(
        "racemic_enantiomers",
        f"{FANTA_2015.reference}; Persson et al. Eur J Clin Pharmacol 2002;57:869-75 (R/S clearance "
        "0.020/0.024 L/min/kg, arterial)",
        f"{FANTA_2015.status}; Persson [V] abstract, first author [U]; the combination is [Ours] "
        "(docs/decisions/0005-pk-models.md)",
    ),
    population=(
        "S-ketamine data from healthy young adults (Fanta 2015, Otto 2021); R-ketamine not fitted, derived "
        "[Ours]; no depressed patients"
    ),
    validity=ValidityRange(
        age_years=(18.0, 40.0),
        weight_kg=(50.0, 95.0),
        dose_mg={"iv": (10.0, 80.0)},
        note="[Ours] the Fanta/Otto S-ketamine range doubled for the racemate",
    ),
    routes=("iv",),
    outputs=(
        Output("parent", "ketamine (S + R)", "ng/mL", "venous plasma, total of both enantiomers"),
        Output("s_ketamine", "S-ketamine", "ng/mL", "venous plasma"),
        Output("r_ketamine", "R-ketamine", "ng/mL", "derived [Ours]"),
        Output("metabolite", "S-norketamine", "ng/mL", "in S-ketamine mass units, as fitted (Otto 2021) [C]"),
        Output("effect_site", "S-ketamine (effect site)", "ng/mL", "Olofsen 2022 link, cross-study"),
    ),
    parameters=FANTA_PARAMETERS,
    random_effects=FANTA_RANDOM_EFFECTS,
    eta_covariance=FANTA_COVARIANCE,
    effect_site=OLOFSEN_2022,
    pk_pd_caveat=cross_study_caveat(
        "S-ketamine PK from Fanta 2015 / Otto 2021 (healthy young adults, venous) inside a racemic model"
    ),
    notes=(
        "R-ketamine uses the S volumes and random effects with clearance x 0.020/0.024 [Ours].",
        "Doses are taken as ketamine base; whether clinic doses mean the HCl salt is unverified [U].",
    ),
)
