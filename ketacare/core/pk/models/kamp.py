"""Racemic ketamine as one compartment with the Kamp 2020 meta-analysis volume and clearance: cross-check."""

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
    ValidityRange,
    flow,
    iv_events,
)

KAMP_2020 = Citation(
    "kamp_2020",
    "Kamp J, Olofsen E, Henthorn TK, van Velzen M, Niesters M, Dahan A; Ketamine Pharmacokinetic Study Group. "
    "Ketamine pharmacokinetics: a systematic review of the literature, meta-analysis, and population analysis. "
    "Anesthesiology 2020;133(6):1192-213, doi:10.1097/ALN.0000000000003577",
    "[V] abstract and bibliographic record (pubs.asahq.org; ouci.dntb.gov.ua): weighted mean V 252 L/70 kg "
    "(95% CI 200-304), CL 79 L/h at 70 kg (69-90), no covariate effects; title after 'A Systematic Review of' "
    "[U]; raw-data model parameters not retrieved",
)
PARAMETERS = {
    "v_l": Parameter(252.0, "L at 70 kg", "Kamp 2020 abstract: V 252 L/70 kg [V]; linear in weight [Ours]"),
    "cl_l_per_h": Parameter(
        79.0, "L/h at 70 kg", "Kamp 2020 abstract: CL 79 L/h at 70 kg [V]; (W/70)^0.75 [Ours]"
    ),
}


@dataclass(frozen=True)
class Kamp2020(Model):
    """Racemic ketamine as one compartment with the Kamp 2020 meta-analysis V and CL (cross-check, no variability)."""

    compartments: tuple[str, ...] = ("central",)

    def individual_parameters(self, covariates: Covariates, etas: np.ndarray) -> dict[str, np.ndarray]:
        weight = covariates.weight_kg / 70.0
        n = etas.shape[0]
        return {
            "v_l": np.full(n, self.parameters["v_l"].value * weight),
            "cl_l_per_h": np.full(n, self.parameters["cl_l_per_h"].value * weight**0.75),
        }

    def rate_matrix_per_min(self, params: Mapping[str, np.ndarray]) -> np.ndarray:
        matrix = np.zeros((params["v_l"].shape[0], 1, 1))
        flow(matrix, 0, -1, params["cl_l_per_h"] / params["v_l"] * PER_H_TO_PER_MIN)
        return matrix

    def dosing_events(
        self, route: str, dose_mg: float, params: Mapping[str, np.ndarray], infusion_min: float | None
    ) -> list[Event]:
        if route != "iv":
            raise ValueError(f"route {route!r} is not modelled by {self.name}; routes: iv")
        return iv_events(0, dose_mg, infusion_min)

    def output_weights(self, params: Mapping[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray:
        if keys != ("parent",):
            raise KeyError(f"model {self.name} has only the output 'parent'")
        return (MG_PER_L_TO_NG_PER_ML / params["v_l"])[:, None, None]


MODEL = Kamp2020(
    name="kamp_2020",
    title="Racemic ketamine, one compartment (Kamp 2020 meta-analysis): cross-check",
    drug="racemic ketamine",
    citation=KAMP_2020,
    population="18 studies (11 healthy adults, 3 adult patient groups, 5 paediatric); no covariate effects",
    validity=ValidityRange((18.0, 90.0), (40.0, 150.0), {"iv": (5.0, 150.0)}, "[Ours] broad; adult studies"),
    routes=("iv",),
    outputs=(Output("parent", "ketamine", "ng/mL", "one-compartment summary of pooled studies"),),
    parameters=PARAMETERS,
)
