"""What every PK model shares: cited parameters, covariates, outputs, the effect-site link, the base class.

Each published model lives in its own module of this package and subclasses
:class:`Model`, which turns covariates and random effects into per-patient rate
matrices (1/min), dosing events (mg) and output weights (ng/mL per mg) for
:mod:`ketacare.core.pk.engine`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ketacare.core.pk.engine import Bolus, Event, ZeroOrderInput

# Ketamine free-base molar mass, as used by nlmixr2lib's Simons model [C]: converts nmol/mL to ng/mL.
KETAMINE_BASE_MW_G_PER_MOL = 237.73
# One SPRAVATO device delivers 28 mg esketamine [V, SPRAVATO label; HCP-Dose3 in docs/clinical-sources.md].
ESKETAMINE_DEVICE_MG = 28.0
# Wait 5 min after each device [HCP-Dose3, MIMS-HK in docs/clinical-sources.md].
DEVICE_INTERVAL_MIN = 5.0
MG_PER_L_TO_NG_PER_ML = 1000.0  # 1 mg/L = 1000 ng/mL
PER_H_TO_PER_MIN = 1.0 / 60.0

# The model routes as staff say them, for sentences shown in the app ("IV dose 150 mg ...").
ROUTE_WORDS: dict[str, str] = {"iv": "IV", "intranasal": "intranasal", "oral": "oral"}

# The status tags of the model package (see ketacare.core.pk.models) in words, for staff pages: the
# tags are shorthand for the reader of the code and the decision record, not for the clinic.
STATUS_WORDS: dict[str, str] = {
    "V": "checked against the published source",
    "C": "taken from public code that cites the paper, not checked against the paper",
    "U": "not checked against a source",
    "Ours": "KetaCare's own choice",
}
_STATUS_TAG = re.compile(r"\s*\[(" + "|".join(map(re.escape, STATUS_WORDS)) + r")\]")


def plain_status(text: str) -> str:
    """``text`` with each bare status tag ("[Ours]", "[U]") replaced by its words in brackets."""
    return _STATUS_TAG.sub(lambda m: f" ({STATUS_WORDS[m.group(1)]})", text)


@dataclass(frozen=True)
class Citation:
    """A literature source: short key, full reference, and how its numbers reached us."""

    key: str
    reference: str
    status: str


@dataclass(frozen=True)
class Parameter:
    """A typical parameter value with its unit and source (table and status tag)."""

    value: float
    unit: str
    source: str


@dataclass(frozen=True)
class RandomEffect:
    """Inter-individual variability on one parameter: a normal eta with ``variance`` (omega squared).

    ``scale`` is ``"log"`` (parameter = typical * exp(eta)) or ``"logit"`` (eta added on the logit scale).
    """

    parameter: str
    variance: float
    scale: str
    source: str


@dataclass(frozen=True)
class ValidityRange:
    """Covariates and doses the model's data covered; outside them results carry a warning."""

    age_years: tuple[float, float]
    weight_kg: tuple[float, float]
    dose_mg: Mapping[str, tuple[float, float]]
    note: str


@dataclass(frozen=True)
class Covariates:
    """Patient characteristics used by the models (all optional; defaults are a 70-kg, 45-year-old adult).

    ``sex`` is ``"female"``, ``"male"`` or ``"unknown"``. ``asian`` and ``japanese``
    are the race covariates of Perez-Ruixo 2021 (``japanese`` implies ``asian``);
    other models ignore them.
    """

    weight_kg: float = 70.0
    age_years: float = 45.0
    sex: str = "unknown"
    asian: bool = False
    japanese: bool = False


@dataclass(frozen=True)
class Output:
    """A model output: a key, the analyte it measures, its unit, and notes for the reader."""

    key: str
    analyte: str
    unit: str
    note: str = ""


@dataclass(frozen=True)
class EffectSite:
    """An effect-site link: ``dCe/dt = ke0 (Cp - Ce)`` on an S-ketamine plasma concentration, with C50.

    Olofsen 2022 fitted a sigmoid Emax model on effect-site S-ketamine; Emax and
    the Hill coefficient were not retrieved, so only Ce and its ratio to C50
    are reported (at Ce = C50 the effect is half-maximal whatever the Hill
    coefficient).
    """

    citation: Citation
    ke0_per_min: Parameter
    c50_ng_per_ml: Parameter
    population: str


@dataclass(frozen=True)
class Model:
    """A named pharmacokinetic model: citation, population, validity, parameters, variability, structure.

    Subclasses define the compartments and how parameters become rates. Public
    methods work on batches: ``etas`` has shape (P, number of random effects);
    individual parameters are arrays of shape (P,).
    """

    name: str
    title: str
    drug: str
    citation: Citation
    population: str
    validity: ValidityRange
    routes: tuple[str, ...]
    outputs: tuple[Output, ...]
    parameters: Mapping[str, Parameter]
    random_effects: tuple[RandomEffect, ...] = ()
    # Covariance between etas (variance on the diagonal); None means independent etas.
    eta_covariance: tuple[tuple[float, ...], ...] | None = None
    effect_site: EffectSite | None = None
    pk_pd_caveat: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    # --- structure, defined by subclasses ------------------------------------------------
    compartments: tuple[str, ...] = ()

    def individual_parameters(self, covariates: Covariates, etas: np.ndarray) -> dict[str, np.ndarray]:
        """Return per-patient parameters (arrays of shape (P,)) for ``covariates`` and ``etas`` (P, E)."""
        raise NotImplementedError

    def rate_matrix_per_min(self, params: Mapping[str, np.ndarray]) -> np.ndarray:
        """Return the rate matrices (P, n, n) in 1/min; ``K[i, j]`` is the rate from ``j`` into ``i``."""
        raise NotImplementedError

    def dosing_events(
        self, route: str, dose_mg: float, params: Mapping[str, np.ndarray], infusion_min: float | None
    ) -> list[Event]:
        """Return the engine events for one dose given by ``route`` (mg, min)."""
        raise NotImplementedError

    def output_weights(self, params: Mapping[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray:
        """Return weights (P, O, n) turning compartment contents into the outputs ``keys`` (ng/mL)."""
        raise NotImplementedError

    # --- shared behaviour ----------------------------------------------------------------

    @property
    def n_random_effects(self) -> int:
        return len(self.random_effects)

    def sample_etas(self, rng: np.random.Generator, n_patients: int) -> np.ndarray:
        """Draw etas (P, E) from the published variability, with the published covariances if any."""
        if not self.random_effects:
            return np.zeros((n_patients, 0))
        if self.eta_covariance is None:
            sd = np.sqrt([effect.variance for effect in self.random_effects])
            return rng.standard_normal((n_patients, len(sd))) * sd
        cholesky = np.linalg.cholesky(np.array(self.eta_covariance))
        return rng.standard_normal((n_patients, cholesky.shape[0])) @ cholesky.T

    def typical_etas(self, n_patients: int = 1) -> np.ndarray:
        """Return zero etas (P, E): the typical individual."""
        return np.zeros((n_patients, self.n_random_effects))

    def compartment(self, name: str) -> int:
        return self.compartments.index(name)

    def output(self, key: str) -> Output:
        for output in self.outputs:
            if output.key == key:
                return output
        raise KeyError(f"model {self.name} has no output {key!r}; it has {[o.key for o in self.outputs]}")

    def validity_warnings(self, route: str, dose_mg: float, covariates: Covariates) -> list[str]:
        """Return one sentence per input outside the range the model's data covered (empty when inside).

        The sentences are read by clinic staff, so they name the model by its title and the route in
        words, never by their ids.
        """
        warnings = []
        studied = f"studied for the model “{self.title}”"
        low, high = self.validity.age_years
        if not low <= covariates.age_years <= high:
            warnings.append(
                f"age {covariates.age_years:g} years is outside the {low:g}-{high:g} years {studied}"
            )
        low, high = self.validity.weight_kg
        if not low <= covariates.weight_kg <= high:
            warnings.append(
                f"weight {covariates.weight_kg:g} kg is outside the {low:g}-{high:g} kg {studied}"
            )
        if route in self.validity.dose_mg:
            low, high = self.validity.dose_mg[route]
            if not low <= dose_mg <= high:
                route_words = ROUTE_WORDS.get(route, route)
                warnings.append(
                    f"{route_words} dose {dose_mg:g} mg is outside the {low:g}-{high:g} mg {studied}"
                )
        return warnings

    def eta(self, etas: np.ndarray, parameter: str) -> np.ndarray:
        """Return the column of ``etas`` (P, E) for ``parameter``, or zeros when it has no variability."""
        for index, effect in enumerate(self.random_effects):
            if effect.parameter == parameter:
                return etas[:, index]
        return np.zeros(etas.shape[0])

    def _effect_site_rows(self, matrix: np.ndarray, source: int, volume_l: np.ndarray) -> None:
        """Add ``dCe/dt = ke0 (1000 A_source / V - Ce)`` (Ce in ng/mL; a pseudo-compartment without mass)."""
        if self.effect_site is None:
            raise TypeError(f"model {self.name} has no effect site")
        ke0 = self.effect_site.ke0_per_min.value
        effect = self.compartment("effect_site")
        matrix[:, effect, source] += ke0 * MG_PER_L_TO_NG_PER_ML / volume_l
        matrix[:, effect, effect] -= ke0


def flow(matrix: np.ndarray, source: int, target: int, rate_per_min: np.ndarray) -> None:
    """First-order transfer ``source -> target`` at ``rate_per_min`` (P,); ``target < 0`` means elimination."""
    matrix[:, source, source] -= rate_per_min
    if target >= 0:
        matrix[:, target, source] += rate_per_min


def iv_events(central: int, dose_mg: float | np.ndarray, infusion_min: float | None) -> list[Event]:
    """Return an IV dose into ``central``: a bolus, or a constant-rate infusion over ``infusion_min``."""
    if infusion_min is None or infusion_min <= 0:
        return [Bolus(0.0, central, dose_mg)]
    return [ZeroOrderInput(0.0, float(infusion_min), central, dose_mg)]


def log_normal_cv_variance(cv: float) -> float:
    """omega^2 = ln(1 + CV^2): the conversion nlmixr2lib applies to Table 3 CV% values [C]."""
    return math.log(1.0 + cv * cv)
