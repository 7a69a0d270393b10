"""Racemic ketamine, three compartments, per-kg micro-constants (Domino 1982 via opentiva): cross-check only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ketacare.core.pk.engine import Event
from ketacare.core.pk.models.base import (
    MG_PER_L_TO_NG_PER_ML,
    Citation,
    Covariates,
    Model,
    Output,
    Parameter,
    ValidityRange,
    flow,
    iv_events,
)

DOMINO_1982 = Citation(
    "domino_1982",
    "Domino 1982 (ketamine three-compartment model as carried by STANPUMP / TIVA-trainer); authors, journal "
    "and original tables not retrieved [U]",
    "[C] opentiva opentiva/ketamine.py (same constants rounded in bensondaled/fus_anes tci/ketamine.py)",
)
PARAMETERS = {
    "v1_l_per_kg": Parameter(0.063, "L/kg", "opentiva Domino: V1 0.063 L/kg [C]"),
    "k10_per_min": Parameter(0.4381, "1/min", "opentiva Domino: k10 0.4381 [C]"),
    "k12_per_min": Parameter(0.5921, "1/min", "opentiva Domino: k12 0.5921 [C]"),
    "k13_per_min": Parameter(0.5900, "1/min", "opentiva Domino: k13 0.5900 [C]"),
    "k21_per_min": Parameter(0.2470, "1/min", "opentiva Domino: k21 0.2470 [C]"),
    "k31_per_min": Parameter(0.0146, "1/min", "opentiva Domino: k31 0.0146 [C]"),
}


@dataclass(frozen=True)
class Domino1982(Model):
    """Racemic ketamine, three compartments with per-kg micro-constants (Domino 1982 via opentiva): cross-check only."""

    compartments: tuple[str, ...] = ("central", "peripheral1", "peripheral2")

    def individual_parameters(self, covariates: Covariates, etas: np.ndarray) -> dict[str, np.ndarray]:
        n = etas.shape[0]
        values = {name: np.full(n, parameter.value) for name, parameter in self.parameters.items()}
        values["v1_l"] = values.pop("v1_l_per_kg") * covariates.weight_kg
        return values

    def rate_matrix_per_min(self, params: Mapping[str, np.ndarray]) -> np.ndarray:
        matrix = np.zeros((params["v1_l"].shape[0], 3, 3))
        flow(matrix, 0, 1, params["k12_per_min"])
        flow(matrix, 1, 0, params["k21_per_min"])
        flow(matrix, 0, 2, params["k13_per_min"])
        flow(matrix, 2, 0, params["k31_per_min"])
        flow(matrix, 0, -1, params["k10_per_min"])
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
        weights = np.zeros((params["v1_l"].shape[0], 1, 3))
        weights[:, 0, 0] = MG_PER_L_TO_NG_PER_ML / params["v1_l"]
        return weights


MODEL = Domino1982(
    name="domino_1982",
    title="Racemic ketamine, three compartments (Domino 1982 via opentiva): cross-check only",
    drug="racemic ketamine",
    citation=DOMINO_1982,
    population="surgical patients [U]; no variability reported",
    validity=ValidityRange((18.0, 90.0), (40.0, 150.0), {"iv": (5.0, 150.0)}, "[U] population not retrieved"),
    routes=("iv",),
    outputs=(Output("parent", "ketamine", "ng/mL", "V1 4.4 L at 70 kg: implausibly small for venous data"),),
    parameters=PARAMETERS,
)
