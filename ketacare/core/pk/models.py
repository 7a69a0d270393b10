"""Named pharmacokinetic models of ketamine and esketamine, each a cited parameter set with its population.

Every model here is a linear compartment system for :mod:`ketacare.core.pk.engine`:
it turns covariates and random effects into per-patient rate matrices (1/min),
dosing events (mg) and output weights (ng/mL per mg). Each parameter carries its
source; the status tags follow ``shared/clinical/pk.md``:

- ``[V]`` checked against a retrieved source (abstract or label);
- ``[C]`` from public code that cites the paper's table (nlmixr2lib, opentiva);
  the number was not checked against the paper itself;
- ``[U]`` unverified;
- ``[Ours]`` our own choice or calculation, to be read as an assumption.

Models:

- ``perez_ruixo_2021``: esketamine and noresketamine, intranasal / IV / oral
  solution (SPRAVATO population PK).
- ``fanta_2015``: S-ketamine IV (Fanta 2015 parent, as fixed in Otto 2021) with
  S-norketamine (Otto 2021).
- ``racemic_enantiomers``: racemic ketamine IV as S (Fanta/Otto) plus R with a
  lower clearance (Persson 2002): the documented choice for racemic IV
  (docs/decisions/0005-pk-models.md).
- ``kamp_2020``: one-compartment racemic meta-analysis values, cross-check.
- ``domino_1982``: three-compartment racemic micro-constants, cross-check only.

The effect site follows Olofsen 2022 (S-ketamine, t1/2ke0 8.3 min, C50
0.51 nmol/mL); it is linked to models from other studies, which the
``pk_pd_caveat`` of each model states.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ketacare.core.pk.engine import Bolus, Event, ZeroOrderInput

__all__ = [
    "Citation",
    "Covariates",
    "EffectSite",
    "Model",
    "Output",
    "Parameter",
    "RandomEffect",
    "ValidityRange",
    "MODELS",
    "OLOFSEN_2022",
    "get_model",
    "KETAMINE_BASE_MW_G_PER_MOL",
    "ESKETAMINE_DEVICE_MG",
    "DEVICE_INTERVAL_MIN",
]

# Ketamine free-base molar mass, as used by nlmixr2lib's Simons model [C] (pk.md, Units).
KETAMINE_BASE_MW_G_PER_MOL = 237.73
# One SPRAVATO device delivers 28 mg esketamine [V, SPRAVATO label; pk.md Units; brief.md 1b].
ESKETAMINE_DEVICE_MG = 28.0
# Wait 5 min after each device [brief.md 1b, HCP-Dose3 / MIMS-HK].
DEVICE_INTERVAL_MIN = 5.0
_MG_PER_L_TO_NG_PER_ML = 1000.0  # 1 mg/L = 1000 ng/mL
_PER_H_TO_PER_MIN = 1.0 / 60.0


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


OLOFSEN_2022 = EffectSite(
    citation=Citation(
        "olofsen_2022",
        "Olofsen E, et al. Anesthesiology 2022;136:792-801, doi:10.1097/ALN.0000000000004176",
        "[V] abstract: C50 0.51 (95% CI 0.38-0.66) nmol/mL S-ketamine, t1/2ke0 8.3 (5.1-13.0) min; "
        "Emax and Hill coefficient not retrieved",
    ),
    # ke0 = ln 2 / t1/2ke0 with t1/2ke0 = 8.3 min [V abstract] -> 0.0835/min.
    ke0_per_min=Parameter(math.log(2) / 8.3, "1/min", "Olofsen 2022 abstract: t1/2ke0 8.3 min [V]"),
    # C50 0.51 nmol/mL x 237.73 g/mol = 121.2 ng/mL S-ketamine [V abstract; MW from pk.md].
    c50_ng_per_ml=Parameter(
        0.51 * KETAMINE_BASE_MW_G_PER_MOL, "ng/mL", "Olofsen 2022 abstract: 0.51 nmol/mL [V] x 237.73 g/mol"
    ),
    population="17 healthy men, escalating S- and racemic ketamine infusions (psychedelic effect, antinociception)",
)


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
        """Return one sentence per input outside the range the model's data covered (empty when inside)."""
        warnings = []
        low, high = self.validity.age_years
        if not low <= covariates.age_years <= high:
            warnings.append(
                f"age {covariates.age_years:g} years is outside the {low:g}-{high:g} years studied for {self.name}"
            )
        low, high = self.validity.weight_kg
        if not low <= covariates.weight_kg <= high:
            warnings.append(
                f"weight {covariates.weight_kg:g} kg is outside the {low:g}-{high:g} kg studied for {self.name}"
            )
        if route in self.validity.dose_mg:
            low, high = self.validity.dose_mg[route]
            if not low <= dose_mg <= high:
                warnings.append(
                    f"{route} dose {dose_mg:g} mg is outside the {low:g}-{high:g} mg studied for {self.name}"
                )
        return warnings

    def _eta(self, etas: np.ndarray, parameter: str) -> np.ndarray:
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
        matrix[:, effect, source] += ke0 * _MG_PER_L_TO_NG_PER_ML / volume_l
        matrix[:, effect, effect] -= ke0


def _flow(matrix: np.ndarray, source: int, target: int, rate_per_min: np.ndarray) -> None:
    """First-order transfer ``source -> target`` at ``rate_per_min`` (P,); ``target < 0`` means elimination."""
    matrix[:, source, source] -= rate_per_min
    if target >= 0:
        matrix[:, target, source] += rate_per_min


def _iv_events(central: int, dose_mg: float | np.ndarray, infusion_min: float | None) -> list[Event]:
    if infusion_min is None or infusion_min <= 0:
        return [Bolus(0.0, central, dose_mg)]
    return [ZeroOrderInput(0.0, float(infusion_min), central, dose_mg)]


def _log_normal_cv_variance(cv: float) -> float:
    """omega^2 = ln(1 + CV^2): the conversion nlmixr2lib applies to Table 3 CV% values [C]."""
    return math.log(1.0 + cv * cv)


# ======================================================================================
# Esketamine: Perez-Ruixo 2021
# ======================================================================================

PEREZ_RUIXO_2021 = Citation(
    "perez_ruixo_2021",
    "Perez-Ruixo C, Rossenu S, Zannikos P, Nandy P, Singh J, Drevets WC, Perez-Ruixo JJ. Population "
    "pharmacokinetics of esketamine nasal spray and its metabolite noresketamine in healthy subjects and "
    "patients with treatment-resistant depression. Clin Pharmacokinet 2021;60(4):501-16, "
    "doi:10.1007/s40262-020-00953-4",
    "[V] abstract (FRn 54%, F 54%/51% for 56/84 mg, Vss 752 L, CL 114 L/h); [C] Table 3 values via "
    "nlmixr2lib inst/modeldb/specificDrugs/PerezRuixo_2020_esketamine.R",
)

_PR = "Perez-Ruixo 2021 Table 3 [C via nlmixr2lib]"
_PEREZ_RUIXO_PARAMETERS = {
    # Absorption (Table 3): nasal-cavity fraction per 28-mg device, its reduction for each later device,
    # the Japanese effect, nasal and swallowed absorption, oral solution, gut availability.
    "frn": Parameter(0.54, "fraction", f"{_PR}: FRn 0.54 per 28-mg spray; abstract 54% [V]"),
    "frn_later_device_factor": Parameter(
        0.62, "factor", f"{_PR}: dose effect on FRn 0.62 per later 28-mg spray"
    ),
    "frn_japanese_factor": Parameter(1.34, "factor", f"{_PR}: Japanese on FRn 1.34"),
    "ka_nasal_per_h": Parameter(2.93, "1/h", f"{_PR}: ka,n 2.93"),
    "swallow_duration_h": Parameter(0.53, "h", f"{_PR}: Dsw 0.53 (zero-order into the oral depot)"),
    "ka_swallowed_per_h": Parameter(1.45, "1/h", f"{_PR}: ka,sw 1.45"),
    "oral_duration_h": Parameter(0.32, "h", f"{_PR}: Dpo 0.32"),
    "ka_oral_per_h": Parameter(0.97, "1/h", f"{_PR}: ka,po 0.97"),
    "f_gut": Parameter(0.64, "fraction", f"{_PR}: Fgut 0.64"),
    # Esketamine disposition with a well-stirred hepato-portal compartment.
    "vc_l": Parameter(192.0, "L", f"{_PR}: Vc 192"),
    "q1_l_per_h": Parameter(84.3, "L/h", f"{_PR}: Q1 84.3"),
    "vp1_l": Parameter(143.0, "L", f"{_PR}: Vp1 143"),
    "q2_l_per_h": Parameter(37.6, "L/h", f"{_PR}: Q2 37.6"),
    "vp2_l": Parameter(417.0, "L", f"{_PR}: Vp2 417"),
    "qh_l_per_h": Parameter(151.0, "L/h", f"{_PR}: Qh 151"),
    "qh_age_slope_l_per_h_per_year": Parameter(
        2.19, "L/h per year over 60", f"{_PR}: age on Qh -2.19 L/h/year"
    ),
    "vh_l": Parameter(101.0, "L", f"{_PR}: Vh 101"),
    "kel_per_h": Parameter(1.11, "1/h", f"{_PR}: kel 1.11 (elimination to other metabolites)"),
    "kel_asian_factor": Parameter(0.36, "factor", f"{_PR}: Asian on kel 0.36"),
    "kmet_per_h": Parameter(2.77, "1/h", f"{_PR}: kmet 2.77 (formation of noresketamine)"),
    # Noresketamine, apparent (scaled by the unknown fraction metabolised).
    "vcn_l": Parameter(70.0, "L", f"{_PR}: Vcn/F 70.0"),
    "cln_l_per_h": Parameter(38.0, "L/h", f"{_PR}: CLn/F 38.0; abstract 38 L/h [V]"),
    "cln_asian_factor": Parameter(0.81, "factor", f"{_PR}: Asian on CLn/F 0.81"),
    "vpn_l": Parameter(115.0, "L", f"{_PR}: Vpn/F 115"),
    "q3_l_per_h": Parameter(26.1, "L/h", f"{_PR}: Q3/F 26.1"),
}

_PR_IIV = f"{_PR}; omega^2 = ln(1 + CV^2) as converted by nlmixr2lib [C]"
_PEREZ_RUIXO_RANDOM_EFFECTS = (
    # FRn variability is additive on the logit scale; nlmixr2lib reads 70.8 as the SD (variance 0.501) [C].
    RandomEffect("frn", 0.708**2, "logit", f"{_PR}: omega(FRn) 70.8, logit-additive [C interpretation]"),
    RandomEffect("ka_nasal_per_h", _log_normal_cv_variance(0.615), "log", f"{_PR_IIV}: 61.5%"),
    RandomEffect("ka_swallowed_per_h", _log_normal_cv_variance(1.32), "log", f"{_PR_IIV}: 132%"),
    RandomEffect("ka_oral_per_h", _log_normal_cv_variance(1.32), "log", f"{_PR_IIV}: 132%"),
    RandomEffect("vc_l", _log_normal_cv_variance(0.275), "log", f"{_PR_IIV}: 27.5%"),
    RandomEffect("vp1_l", _log_normal_cv_variance(0.493), "log", f"{_PR_IIV}: 49.3%"),
    RandomEffect("qh_l_per_h", _log_normal_cv_variance(0.232), "log", f"{_PR_IIV}: 23.2%"),
    RandomEffect("vh_l", _log_normal_cv_variance(0.346), "log", f"{_PR_IIV}: 34.6%"),
    RandomEffect("kel_per_h", _log_normal_cv_variance(1.20), "log", f"{_PR_IIV}: 120%"),
    # omega(kmet): estimated per the paper's methods but left blank in Table 3, so not simulated here
    # (nlmixr2lib substitutes a 30% placeholder; we do not invent one) [U].
    RandomEffect("vcn_l", _log_normal_cv_variance(0.316), "log", f"{_PR_IIV}: 31.6%"),
    RandomEffect("cln_l_per_h", _log_normal_cv_variance(0.254), "log", f"{_PR_IIV}: 25.4%"),
)


@dataclass(frozen=True)
class PerezRuixo2021(Model):
    """Esketamine (3 compartments + hepato-portal) and apparent noresketamine (2 compartments), Perez-Ruixo 2021.

    Intranasal doses are given device by device (28 mg each, 5 min apart): the
    first device puts FRn into the nasal depot (first-order ka,n into plasma),
    each later device FRn x 0.62; the rest is swallowed, of which Fgut enters an
    oral depot at a constant rate over Dsw and is absorbed first-order (ka,sw)
    into the hepato-portal compartment. Typical-value reproduction of Table 4:
    see ``ketacare/core/tests/test_pk_perez_ruixo_table4.py``.
    """

    compartments: tuple[str, ...] = (
        "nasal_depot",
        "swallowed_depot",
        "oral_depot",
        "central",
        "peripheral1",
        "peripheral2",
        "liver",
        "noresketamine_central",
        "noresketamine_peripheral",
        "effect_site",
    )

    def individual_parameters(self, covariates: Covariates, etas: np.ndarray) -> dict[str, np.ndarray]:
        p = {name: parameter.value for name, parameter in self.parameters.items()}
        n = etas.shape[0]

        def eta(name: str) -> np.ndarray:
            return self._eta(etas, name)

        def full(value: float) -> np.ndarray:
            return np.full(n, float(value))

        # Japanese subjects are Asian too (Perez-Ruixo 2021 Table 2: 72 of the 112 Asian subjects).
        asian = covariates.asian or covariates.japanese
        logit = math.log(p["frn"] / (1 - p["frn"])) + eta("frn")
        frn = 1.0 / (1.0 + np.exp(-logit))
        if covariates.japanese:
            frn = frn * p["frn_japanese_factor"]
        # Qh falls by 2.19 L/h per year of age above 60 (Table 3), then the eta applies (nlmixr2lib form) [C].
        qh = (
            p["qh_l_per_h"] - p["qh_age_slope_l_per_h_per_year"] * max(0.0, covariates.age_years - 60.0)
        ) * np.exp(eta("qh_l_per_h"))
        kel = p["kel_per_h"] * np.exp(eta("kel_per_h")) * (p["kel_asian_factor"] if asian else 1.0)
        cln = p["cln_l_per_h"] * np.exp(eta("cln_l_per_h")) * (p["cln_asian_factor"] if asian else 1.0)
        return {
            "frn": np.minimum(frn, 1.0),
            "frn_later_device_factor": full(p["frn_later_device_factor"]),
            "ka_nasal_per_h": p["ka_nasal_per_h"] * np.exp(eta("ka_nasal_per_h")),
            "swallow_duration_h": full(p["swallow_duration_h"]),
            "ka_swallowed_per_h": p["ka_swallowed_per_h"] * np.exp(eta("ka_swallowed_per_h")),
            "oral_duration_h": full(p["oral_duration_h"]),
            "ka_oral_per_h": p["ka_oral_per_h"] * np.exp(eta("ka_oral_per_h")),
            "f_gut": full(p["f_gut"]),
            "vc_l": p["vc_l"] * np.exp(eta("vc_l")),
            "q1_l_per_h": full(p["q1_l_per_h"]),
            "vp1_l": p["vp1_l"] * np.exp(eta("vp1_l")),
            "q2_l_per_h": full(p["q2_l_per_h"]),
            "vp2_l": full(p["vp2_l"]),
            "qh_l_per_h": qh,
            "vh_l": p["vh_l"] * np.exp(eta("vh_l")),
            "kel_per_h": kel,
            "kmet_per_h": full(p["kmet_per_h"]),
            "vcn_l": p["vcn_l"] * np.exp(eta("vcn_l")),
            "cln_l_per_h": cln,
            "vpn_l": full(p["vpn_l"]),
            "q3_l_per_h": full(p["q3_l_per_h"]),
        }

    def rate_matrix_per_min(self, params: Mapping[str, np.ndarray]) -> np.ndarray:
        c = self.compartment
        n = params["vc_l"].shape[0]
        matrix = np.zeros((n, len(self.compartments), len(self.compartments)))
        h = _PER_H_TO_PER_MIN
        _flow(matrix, c("nasal_depot"), c("central"), params["ka_nasal_per_h"] * h)
        _flow(matrix, c("swallowed_depot"), c("liver"), params["ka_swallowed_per_h"] * h)
        _flow(matrix, c("oral_depot"), c("liver"), params["ka_oral_per_h"] * h)
        vc = params["vc_l"]
        _flow(matrix, c("central"), c("peripheral1"), params["q1_l_per_h"] / vc * h)
        _flow(matrix, c("peripheral1"), c("central"), params["q1_l_per_h"] / params["vp1_l"] * h)
        _flow(matrix, c("central"), c("peripheral2"), params["q2_l_per_h"] / vc * h)
        _flow(matrix, c("peripheral2"), c("central"), params["q2_l_per_h"] / params["vp2_l"] * h)
        _flow(matrix, c("central"), c("liver"), params["qh_l_per_h"] / vc * h)
        _flow(matrix, c("liver"), c("central"), params["qh_l_per_h"] / params["vh_l"] * h)
        _flow(matrix, c("liver"), -1, params["kel_per_h"] * h)
        _flow(matrix, c("liver"), c("noresketamine_central"), params["kmet_per_h"] * h)
        vcn = params["vcn_l"]
        _flow(matrix, c("noresketamine_central"), -1, params["cln_l_per_h"] / vcn * h)
        _flow(
            matrix, c("noresketamine_central"), c("noresketamine_peripheral"), params["q3_l_per_h"] / vcn * h
        )
        _flow(
            matrix,
            c("noresketamine_peripheral"),
            c("noresketamine_central"),
            params["q3_l_per_h"] / params["vpn_l"] * h,
        )
        self._effect_site_rows(matrix, c("central"), vc)
        return matrix

    def dosing_events(
        self, route: str, dose_mg: float, params: Mapping[str, np.ndarray], infusion_min: float | None
    ) -> list[Event]:
        c = self.compartment
        if route == "iv":
            return _iv_events(c("central"), dose_mg, infusion_min)
        if route == "oral":
            # Oral solution: Fgut reaches the oral depot at a constant rate over Dpo (Table 3) [C].
            amount = dose_mg * params["f_gut"]
            return [ZeroOrderInput(0.0, float(params["oral_duration_h"][0]) * 60.0, c("oral_depot"), amount)]
        if route == "intranasal":
            devices = round(dose_mg / ESKETAMINE_DEVICE_MG)
            events: list[Event] = []
            for device in range(devices):
                time_min = device * DEVICE_INTERVAL_MIN
                factor = 1.0 if device == 0 else params["frn_later_device_factor"]
                nasal_fraction = np.minimum(params["frn"] * factor, 1.0)
                events.append(Bolus(time_min, c("nasal_depot"), ESKETAMINE_DEVICE_MG * nasal_fraction))
                swallowed = ESKETAMINE_DEVICE_MG * (1.0 - nasal_fraction) * params["f_gut"]
                duration = float(params["swallow_duration_h"][0]) * 60.0
                events.append(ZeroOrderInput(time_min, duration, c("swallowed_depot"), swallowed))
            return events
        raise ValueError(f"route {route!r} is not modelled by {self.name}; routes: {', '.join(self.routes)}")

    def output_weights(self, params: Mapping[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray:
        c = self.compartment
        n = params["vc_l"].shape[0]
        weights = np.zeros((n, len(keys), len(self.compartments)))
        for index, key in enumerate(keys):
            if key == "parent":
                weights[:, index, c("central")] = _MG_PER_L_TO_NG_PER_ML / params["vc_l"]
            elif key == "metabolite":
                weights[:, index, c("noresketamine_central")] = _MG_PER_L_TO_NG_PER_ML / params["vcn_l"]
            elif key == "effect_site":
                weights[:, index, c("effect_site")] = 1.0
            else:
                raise KeyError(f"model {self.name} has no output {key!r}")
        return weights


# ======================================================================================
# S-ketamine: Fanta 2015 parent (as fixed in Otto 2021) + Otto 2021 S-norketamine
# ======================================================================================

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
_FANTA_PARAMETERS = {
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
_FANTA_RANDOM_EFFECTS = (
    RandomEffect("v1_l", 0.084177, "log", f"{_OT}: omega^2 Vd 0.084 (cov with CL 0.023)"),
    RandomEffect("cl_l_per_h", 0.026048, "log", f"{_OT}: omega^2 CL 0.026"),
    RandomEffect("vn_l", 0.040426, "log", f"{_OT}: (S)-norketamine omega^2 Vd 0.040 (cov with CL 0.044)"),
    RandomEffect("cln_l_per_h", 0.10319, "log", f"{_OT}: (S)-norketamine omega^2 CL 0.103"),
)
_FANTA_COVARIANCE = (
    (0.084177, 0.02261, 0.0, 0.0),
    (0.02261, 0.026048, 0.0, 0.0),
    (0.0, 0.0, 0.040426, 0.04456),
    (0.0, 0.0, 0.04456, 0.10319),
)

# R-ketamine clearance relative to S-ketamine: 0.020 vs 0.024 L/min/kg with arterial sampling
# (Persson 2002, Eur J Clin Pharmacol 2002;57:869-75 [V abstract; first author U]).
_R_TO_S_CLEARANCE_RATIO = 0.020 / 0.024


def _s_ketamine_parameters(model: Model, covariates: Covariates, etas: np.ndarray) -> dict[str, np.ndarray]:
    """Individual Fanta/Otto parameters (P,): allometric weight on V1 and CL of both analytes only [C]."""
    p = {name: parameter.value for name, parameter in model.parameters.items()}
    weight = covariates.weight_kg / 70.0
    n = etas.shape[0]

    def scaled(name: str, exponent: float) -> np.ndarray:
        return p[name] * weight**exponent * np.exp(model._eta(etas, name))

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


def _s_ketamine_distribution(
    matrix: np.ndarray, central: int, p1: int, p2: int, params: Mapping[str, np.ndarray]
) -> None:
    """Add the Fanta 2015 exchange between the central and the two peripheral compartments (no elimination)."""
    h = _PER_H_TO_PER_MIN
    v1 = params["v1_l"]
    _flow(matrix, central, p1, params["q1_l_per_h"] / v1 * h)
    _flow(matrix, p1, central, params["q1_l_per_h"] / params["vp1_l"] * h)
    _flow(matrix, central, p2, params["q2_l_per_h"] / v1 * h)
    _flow(matrix, p2, central, params["q2_l_per_h"] / params["vp2_l"] * h)


def _s_norketamine(
    matrix: np.ndarray, parent: int, central: int, peripheral: int, params: Mapping[str, np.ndarray]
) -> None:
    """All S-ketamine clearance forms S-norketamine (fm = 1, Otto 2021), carried in S-ketamine mass units [C]."""
    h = _PER_H_TO_PER_MIN
    vn = params["vn_l"]
    _flow(matrix, parent, central, params["cl_l_per_h"] / params["v1_l"] * h)
    _flow(matrix, central, -1, params["cln_l_per_h"] / vn * h)
    _flow(matrix, central, peripheral, params["qn_l_per_h"] / vn * h)
    _flow(matrix, peripheral, central, params["qn_l_per_h"] / params["vpn_l"] * h)


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
        return _s_ketamine_parameters(self, covariates, etas)

    def rate_matrix_per_min(self, params: Mapping[str, np.ndarray]) -> np.ndarray:
        c = self.compartment
        n = params["v1_l"].shape[0]
        matrix = np.zeros((n, len(self.compartments), len(self.compartments)))
        _s_ketamine_distribution(matrix, c("central"), c("peripheral1"), c("peripheral2"), params)
        _s_norketamine(matrix, c("central"), c("norketamine_central"), c("norketamine_peripheral"), params)
        self._effect_site_rows(matrix, c("central"), params["v1_l"])
        return matrix

    def dosing_events(
        self, route: str, dose_mg: float, params: Mapping[str, np.ndarray], infusion_min: float | None
    ) -> list[Event]:
        if route != "iv":
            raise ValueError(f"route {route!r} is not modelled by {self.name}; routes: iv")
        return _iv_events(self.compartment("central"), dose_mg, infusion_min)

    def output_weights(self, params: Mapping[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray:
        c = self.compartment
        weights = np.zeros((params["v1_l"].shape[0], len(keys), len(self.compartments)))
        for index, key in enumerate(keys):
            if key == "parent":
                weights[:, index, c("central")] = _MG_PER_L_TO_NG_PER_ML / params["v1_l"]
            elif key == "metabolite":
                weights[:, index, c("norketamine_central")] = _MG_PER_L_TO_NG_PER_ML / params["vn_l"]
            elif key == "effect_site":
                weights[:, index, c("effect_site")] = 1.0
            else:
                raise KeyError(f"model {self.name} has no output {key!r}")
        return weights


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
        params = _s_ketamine_parameters(self, covariates, etas)
        params["r_cl_l_per_h"] = params["cl_l_per_h"] * _R_TO_S_CLEARANCE_RATIO
        return params

    def rate_matrix_per_min(self, params: Mapping[str, np.ndarray]) -> np.ndarray:
        c = self.compartment
        n = params["v1_l"].shape[0]
        matrix = np.zeros((n, len(self.compartments), len(self.compartments)))
        for prefix in ("s", "r"):
            _s_ketamine_distribution(
                matrix, c(f"{prefix}_central"), c(f"{prefix}_peripheral1"), c(f"{prefix}_peripheral2"), params
            )
        _s_norketamine(
            matrix, c("s_central"), c("s_norketamine_central"), c("s_norketamine_peripheral"), params
        )
        _flow(matrix, c("r_central"), -1, params["r_cl_l_per_h"] / params["v1_l"] * _PER_H_TO_PER_MIN)
        self._effect_site_rows(matrix, c("s_central"), params["v1_l"])
        return matrix

    def dosing_events(
        self, route: str, dose_mg: float, params: Mapping[str, np.ndarray], infusion_min: float | None
    ) -> list[Event]:
        if route != "iv":
            raise ValueError(f"route {route!r} is not modelled by {self.name}; routes: iv")
        half = dose_mg / 2.0  # a racemate is 50% S and 50% R
        return _iv_events(self.compartment("s_central"), half, infusion_min) + _iv_events(
            self.compartment("r_central"), half, infusion_min
        )

    def output_weights(self, params: Mapping[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray:
        c = self.compartment
        weights = np.zeros((params["v1_l"].shape[0], len(keys), len(self.compartments)))
        per_volume = _MG_PER_L_TO_NG_PER_ML / params["v1_l"]
        for index, key in enumerate(keys):
            if key == "parent":
                weights[:, index, c("s_central")] = per_volume
                weights[:, index, c("r_central")] = per_volume
            elif key == "s_ketamine":
                weights[:, index, c("s_central")] = per_volume
            elif key == "r_ketamine":
                weights[:, index, c("r_central")] = per_volume
            elif key == "metabolite":
                weights[:, index, c("s_norketamine_central")] = _MG_PER_L_TO_NG_PER_ML / params["vn_l"]
            elif key == "effect_site":
                weights[:, index, c("effect_site")] = 1.0
            else:
                raise KeyError(f"model {self.name} has no output {key!r}")
        return weights


# ======================================================================================
# Racemic cross-checks: Kamp 2020 (one compartment) and Domino 1982 (three compartments)
# ======================================================================================

KAMP_2020 = Citation(
    "kamp_2020",
    "Kamp J, Olofsen E, Henthorn TK, van Velzen M, Niesters M, Dahan A; Ketamine Pharmacokinetic Study Group. "
    "Ketamine pharmacokinetics: a systematic review of the literature, meta-analysis, and population analysis. "
    "Anesthesiology 2020;133(6):1192-213, doi:10.1097/ALN.0000000000003577",
    "[V] abstract and bibliographic record (pubs.asahq.org; ouci.dntb.gov.ua): weighted mean V 252 L/70 kg "
    "(95% CI 200-304), CL 79 L/h at 70 kg (69-90), no covariate effects; title after 'A Systematic Review of' "
    "[U]; raw-data model parameters not retrieved",
)
_KAMP_PARAMETERS = {
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
        _flow(matrix, 0, -1, params["cl_l_per_h"] / params["v_l"] * _PER_H_TO_PER_MIN)
        return matrix

    def dosing_events(
        self, route: str, dose_mg: float, params: Mapping[str, np.ndarray], infusion_min: float | None
    ) -> list[Event]:
        if route != "iv":
            raise ValueError(f"route {route!r} is not modelled by {self.name}; routes: iv")
        return _iv_events(0, dose_mg, infusion_min)

    def output_weights(self, params: Mapping[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray:
        if keys != ("parent",):
            raise KeyError(f"model {self.name} has only the output 'parent'")
        return (_MG_PER_L_TO_NG_PER_ML / params["v_l"])[:, None, None]


DOMINO_1982 = Citation(
    "domino_1982",
    "Domino 1982 (ketamine three-compartment model as carried by STANPUMP / TIVA-trainer); authors, journal "
    "and original tables not retrieved [U]",
    "[C] opentiva opentiva/ketamine.py (same constants rounded in bensondaled/fus_anes tci/ketamine.py)",
)
_DOMINO_PARAMETERS = {
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
        _flow(matrix, 0, 1, params["k12_per_min"])
        _flow(matrix, 1, 0, params["k21_per_min"])
        _flow(matrix, 0, 2, params["k13_per_min"])
        _flow(matrix, 2, 0, params["k31_per_min"])
        _flow(matrix, 0, -1, params["k10_per_min"])
        return matrix

    def dosing_events(
        self, route: str, dose_mg: float, params: Mapping[str, np.ndarray], infusion_min: float | None
    ) -> list[Event]:
        if route != "iv":
            raise ValueError(f"route {route!r} is not modelled by {self.name}; routes: iv")
        return _iv_events(0, dose_mg, infusion_min)

    def output_weights(self, params: Mapping[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray:
        if keys != ("parent",):
            raise KeyError(f"model {self.name} has only the output 'parent'")
        weights = np.zeros((params["v1_l"].shape[0], 1, 3))
        weights[:, 0, 0] = _MG_PER_L_TO_NG_PER_ML / params["v1_l"]
        return weights


# ======================================================================================
# The registry
# ======================================================================================

_CROSS_STUDY = (
    "PK and effect come from different studies: the effect site (t1/2ke0 8.3 min, C50 121 ng/mL S-ketamine) was "
    "fitted by Olofsen 2022 in 17 healthy men with their own PK model, and is applied here to {pk}. Treat the "
    "effect-site curve as illustrative, not as a validated prediction of how a patient feels."
)

MODELS: dict[str, Model] = {
    "perez_ruixo_2021": PerezRuixo2021(
        name="perez_ruixo_2021",
        title="Esketamine and noresketamine (Perez-Ruixo 2021)",
        drug="esketamine",
        citation=PEREZ_RUIXO_2021,
        population=(
            "820 subjects (256 healthy, 564 with treatment-resistant depression) from 13 studies; age 18-86 "
            "(median 45) years, 39-170 (median 74) kg, 58.4% female; intranasal 14-112 mg, IV 28 mg, oral 84 mg"
        ),
        validity=ValidityRange(
            age_years=(18.0, 86.0),
            weight_kg=(39.0, 170.0),
            dose_mg={"intranasal": (14.0, 112.0), "iv": (28.0, 28.0), "oral": (84.0, 84.0)},
            note="Perez-Ruixo 2021 Table 2 / abstract [C, V]",
        ),
        routes=("intranasal", "iv", "oral"),
        outputs=(
            Output("parent", "esketamine", "ng/mL", "venous plasma"),
            Output(
                "metabolite",
                "noresketamine",
                "ng/mL",
                "apparent concentration (scaled by the unidentified fraction metabolised); the literal Table 3 "
                "model over-predicts the published noresketamine AUC0-24 about 1.4-fold (nlmixr2lib errata) [C]",
            ),
            Output("effect_site", "esketamine (effect site)", "ng/mL", "Olofsen 2022 link, cross-study"),
        ),
        parameters=_PEREZ_RUIXO_PARAMETERS,
        random_effects=_PEREZ_RUIXO_RANDOM_EFFECTS,
        effect_site=OLOFSEN_2022,
        pk_pd_caveat=_CROSS_STUDY.format(
            pk="esketamine PK from Perez-Ruixo 2021 (venous, patients with TRD)"
        ),
        notes=(
            "Weight, sex, liver and renal markers and disease state were tested and not retained (Perez-Ruixo "
            "2021 Results [C]); weight and sex are therefore accepted but do not change the prediction.",
            "The inter-individual variability of kmet is missing from Table 3 and is not simulated [U].",
        ),
    ),
    "fanta_2015": Fanta2015(
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
            Output(
                "metabolite", "S-norketamine", "ng/mL", "in S-ketamine mass units, as fitted (Otto 2021) [C]"
            ),
            Output("effect_site", "S-ketamine (effect site)", "ng/mL", "Olofsen 2022 link, cross-study"),
        ),
        parameters=_FANTA_PARAMETERS,
        random_effects=_FANTA_RANDOM_EFFECTS,
        eta_covariance=_FANTA_COVARIANCE,
        effect_site=OLOFSEN_2022,
        pk_pd_caveat=_CROSS_STUDY.format(
            pk="S-ketamine PK from Fanta 2015 / Otto 2021 (healthy young adults, venous)"
        ),
        notes=(
            "Sex is not a covariate of this model; women cleared S-ketamine about 20% faster in Sigtermans 2009 [V].",
        ),
    ),
    "racemic_enantiomers": RacemicEnantiomers(
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
            Output(
                "metabolite", "S-norketamine", "ng/mL", "in S-ketamine mass units, as fitted (Otto 2021) [C]"
            ),
            Output("effect_site", "S-ketamine (effect site)", "ng/mL", "Olofsen 2022 link, cross-study"),
        ),
        parameters=_FANTA_PARAMETERS,
        random_effects=_FANTA_RANDOM_EFFECTS,
        eta_covariance=_FANTA_COVARIANCE,
        effect_site=OLOFSEN_2022,
        pk_pd_caveat=_CROSS_STUDY.format(
            pk="S-ketamine PK from Fanta 2015 / Otto 2021 (healthy young adults, venous) inside a racemic model"
        ),
        notes=(
            "R-ketamine uses the S volumes and random effects with clearance x 0.020/0.024 [Ours].",
            "Doses are taken as ketamine base; whether clinic doses mean the HCl salt is unverified [U].",
        ),
    ),
    "kamp_2020": Kamp2020(
        name="kamp_2020",
        title="Racemic ketamine, one compartment (Kamp 2020 meta-analysis): cross-check",
        drug="racemic ketamine",
        citation=KAMP_2020,
        population="18 studies (11 healthy adults, 3 adult patient groups, 5 paediatric); no covariate effects",
        validity=ValidityRange(
            (18.0, 90.0), (40.0, 150.0), {"iv": (5.0, 150.0)}, "[Ours] broad; adult studies"
        ),
        routes=("iv",),
        outputs=(Output("parent", "ketamine", "ng/mL", "one-compartment summary of pooled studies"),),
        parameters=_KAMP_PARAMETERS,
    ),
    "domino_1982": Domino1982(
        name="domino_1982",
        title="Racemic ketamine, three compartments (Domino 1982 via opentiva): cross-check only",
        drug="racemic ketamine",
        citation=DOMINO_1982,
        population="surgical patients [U]; no variability reported",
        validity=ValidityRange(
            (18.0, 90.0), (40.0, 150.0), {"iv": (5.0, 150.0)}, "[U] population not retrieved"
        ),
        routes=("iv",),
        outputs=(
            Output("parent", "ketamine", "ng/mL", "V1 4.4 L at 70 kg: implausibly small for venous data"),
        ),
        parameters=_DOMINO_PARAMETERS,
    ),
}


def get_model(name: str) -> Model:
    """Return the model called ``name``; raise ``KeyError`` naming the known models otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown PK model {name!r}; known models: {', '.join(MODELS)}") from None
