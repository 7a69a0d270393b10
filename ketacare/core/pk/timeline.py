"""Personal recovery timeline: when a session's predicted effect-site concentration falls below thresholds.

For one dosing session (route, dose, weight, age, sex, infusion length) this
picks the model for the route, simulates the typical patient with those
covariates (and optionally a seeded virtual population for a band), and reports,
for each threshold, the estimated time in minutes after the start of dosing when
the predicted S-ketamine effect-site concentration falls below it for good.

Thresholds are fractions of the Olofsen 2022 C50 (121 ng/mL S-ketamine, half of
the maximal psychedelic effect): 1, 1/2 and 1/4. The fractions below 1 are our
choice for a readable timeline [Ours, docs/decisions/0005-pk-models.md];
they are not clinical cut-offs. Every result carries :data:`CAVEAT`: this is a
model estimate for display next to clinical observation, never a discharge rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ketacare.core.pk.models import Covariates, get_model
from ketacare.core.pk.population import Regimen, simulate_curves

__all__ = [
    "CAVEAT",
    "CAVEAT_BASIS",
    "ROUTES",
    "THRESHOLD_FRACTIONS_OF_C50",
    "ThresholdCrossing",
    "Timeline",
    "personal_timeline",
]

# What the estimate rests on; a page that already says "not a promise, not a discharge criterion" in its
# own heading shows only this part, so the reader meets each warning once.
CAVEAT_BASIS = (
    "It rests on published population averages, and individual responses vary widely. Discharge follows "
    "the clinic's monitoring protocol and the clinician's assessment of the patient."
)
CAVEAT = "Model estimate; not a promise and not a discharge criterion. " + CAVEAT_BASIS

# Session routes used by the app, mapped to (model, model route); None means no validated model.
ROUTES: dict[str, tuple[str, str] | None] = {
    "iv": ("racemic_enantiomers", "iv"),
    "esketamine_in": ("perez_ruixo_2021", "intranasal"),
    "im": None,
    "oral": None,
    "sublingual": None,
}
_NO_MODEL_REASON = {
    "im": "no intramuscular ketamine PK model with published parameters was retrieved "
    "(docs/decisions/0005-pk-models.md)",
    "oral": "no oral racemic ketamine model with published absorption parameters was retrieved "
    "(Fanta 2015 oral parameters not retrieved; the Pharmacolibrary oral model is unreliable)",
    "sublingual": "no sublingual ketamine model with published parameters was retrieved "
    "(Rolan 2014 gives only bioavailability)",
}

# (fraction of C50, label): C50 itself from Olofsen 2022 [V abstract]; 1/2 and 1/4 are [Ours]. The labels
# are shown to clinic staff, so they say where each level comes from in words.
THRESHOLD_FRACTIONS_OF_C50: tuple[tuple[float, str], ...] = (
    (1.0, "C50: half-maximal psychedelic effect (Olofsen 2022)"),
    (0.5, "half of C50 (KetaCare's own threshold, not a clinical cut-off)"),
    (0.25, "a quarter of C50 (KetaCare's own threshold, not a clinical cut-off)"),
)

# 0.5 mg/kg over 40 min is the trial convention (iv_ketamine in protocols.toml: Murrough2013a, Phillips2019).
_DEFAULT_INFUSION_MIN = 40.0
_HORIZON_MIN = 24 * 60.0
_STEP_MIN = 1.0


@dataclass(frozen=True)
class ThresholdCrossing:
    """When the predicted effect-site concentration falls below one threshold (min after dose start).

    ``falls_below_min`` is ``None`` when the typical patient never reaches the
    threshold (``reached`` False). With a population run, ``band_p05_min`` /
    ``band_p95_min`` bound the time across virtual patients (0 for those who
    never reach it) and ``fraction_reaching`` is the share that does.
    """

    label: str
    fraction_of_c50: float
    concentration_ng_per_ml: float
    reached: bool
    falls_below_min: float | None
    band_p05_min: float | None = None
    band_p95_min: float | None = None
    fraction_reaching: float | None = None


@dataclass(frozen=True)
class Timeline:
    """A personal timeline, or an explicit "no model" answer (``model_available`` False with a reason).

    Times are minutes after the start of dosing. ``time_min`` (T,) and
    ``effect_site_ng_per_ml`` (T,) give the typical curve for a chart.
    ``warnings`` name inputs outside the model's studied range; ``notes`` are
    the model's standing limitations (e.g. covariates it does not use).
    """

    route: str
    dose_mg: float
    model_available: bool
    caveat: str = CAVEAT
    no_model_reason: str | None = None
    model_name: str | None = None
    model_title: str | None = None
    pk_citation: str | None = None
    pd_citation: str | None = None
    pk_pd_caveat: str | None = None
    peak_effect_site_ng_per_ml: float | None = None
    peak_time_min: float | None = None
    thresholds: tuple[ThresholdCrossing, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    population_size: int = 0
    seed: int | None = None
    time_min: np.ndarray | None = field(default=None, repr=False)
    effect_site_ng_per_ml: np.ndarray | None = field(default=None, repr=False)


def _falls_below(time_min: np.ndarray, curves: np.ndarray, threshold: float) -> np.ndarray:
    """Return, per curve (P, T), the time (min) after which it stays below ``threshold``; NaN if never above.

    The crossing is interpolated linearly between the last grid point at or
    above the threshold and the next one.
    """
    above = curves >= threshold
    reached = above.any(axis=1)
    last = curves.shape[1] - 1 - np.argmax(above[:, ::-1], axis=1)
    result = np.full(curves.shape[0], np.nan)
    for patient in np.flatnonzero(reached):
        k = last[patient]
        if k >= curves.shape[1] - 1:
            result[patient] = time_min[-1]  # still above at the end of the horizon
            continue
        c0, c1 = curves[patient, k], curves[patient, k + 1]
        share = (c0 - threshold) / (c0 - c1) if c0 != c1 else 0.0
        result[patient] = time_min[k] + share * (time_min[k + 1] - time_min[k])
    return result


def personal_timeline(
    *,
    route: str,
    dose_mg: float,
    weight_kg: float,
    age_years: float,
    sex: str = "unknown",
    infusion_min: float | None = None,
    population_size: int = 0,
    seed: int = 0,
) -> Timeline:
    """Estimate when the predicted effect of one session falls below each threshold, with its caveat.

    ``route`` is one of :data:`ROUTES` (``iv`` racemic ketamine, ``esketamine_in``
    SPRAVATO, ``im``, ``oral``, ``sublingual``); routes without a model return a
    :class:`Timeline` with ``model_available`` False and the reason. ``dose_mg``
    is the total dose (mg), ``infusion_min`` the IV infusion length (default 40
    min). With ``population_size`` > 0, virtual patients drawn with ``seed`` give
    a 5-95% band for each crossing time. Raises ``ValueError`` for an unknown
    route or a non-positive dose.
    """
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}; allowed: {', '.join(ROUTES)}")
    if not dose_mg > 0:
        raise ValueError(f"dose {dose_mg} mg must be > 0")
    mapping = ROUTES[route]
    if mapping is None:
        return Timeline(
            route=route, dose_mg=dose_mg, model_available=False, no_model_reason=_NO_MODEL_REASON[route]
        )
    model_name, model_route = mapping
    model = get_model(model_name)
    effect_site = model.effect_site
    if effect_site is None:  # every model in ROUTES links an effect site
        raise TypeError(f"model {model_name} has no effect site")
    covariates = Covariates(weight_kg=weight_kg, age_years=age_years, sex=sex)
    infusion = (infusion_min if infusion_min else _DEFAULT_INFUSION_MIN) if model_route == "iv" else None
    regimen = Regimen(model_route, dose_mg, infusion)
    keys = ("effect_site",)
    time_min, typical = simulate_curves(
        model, regimen, covariates, model.typical_etas(1), keys, _HORIZON_MIN, _STEP_MIN, 1
    )
    curve = typical[0, 0]
    population = None
    if population_size > 0:
        etas = model.sample_etas(np.random.default_rng(seed), population_size)
        population = simulate_curves(model, regimen, covariates, etas, keys, _HORIZON_MIN, _STEP_MIN, 1)[1][0]
    c50 = effect_site.c50_ng_per_ml.value
    crossings = []
    for fraction, label in THRESHOLD_FRACTIONS_OF_C50:
        threshold = fraction * c50
        typical_time = _falls_below(time_min, curve[None, :], threshold)[0]
        reached = bool(np.isfinite(typical_time))
        band: tuple[float | None, float | None, float | None] = (None, None, None)
        if population is not None:
            times = _falls_below(time_min, population, threshold)
            reaching = np.isfinite(times)
            low, high = np.percentile(np.where(reaching, times, 0.0), [5.0, 95.0])
            band = (float(low), float(high), float(reaching.mean()))
        crossings.append(
            ThresholdCrossing(
                label=label,
                fraction_of_c50=fraction,
                concentration_ng_per_ml=threshold,
                reached=reached,
                falls_below_min=float(typical_time) if reached else None,
                band_p05_min=band[0],
                band_p95_min=band[1],
                fraction_reaching=band[2],
            )
        )
    peak = int(np.argmax(curve))
    return Timeline(
        route=route,
        dose_mg=dose_mg,
        model_available=True,
        model_name=model.name,
        model_title=model.title,
        pk_citation=model.citation.reference,
        pd_citation=effect_site.citation.reference,
        pk_pd_caveat=model.pk_pd_caveat,
        peak_effect_site_ng_per_ml=float(curve[peak]),
        peak_time_min=float(time_min[peak]),
        thresholds=tuple(crossings),
        warnings=tuple(model.validity_warnings(model_route, dose_mg, covariates)),
        notes=model.notes,
        population_size=population_size,
        seed=seed if population_size > 0 else None,
        time_min=time_min,
        effect_site_ng_per_ml=curve,
    )


def warm_up() -> list[str]:
    """Run one typical timeline per modelled route, so that the compiled PK kernels are in their cache.

    The kernels (decision 0009) compile on first use, a few seconds, and keep the machine code on disk;
    ``make demo`` runs this before serving so that the first run-sheet or discharge page does not wait
    for the compiler. Returns the routes warmed.
    """
    warmed = []
    for route, mapping in ROUTES.items():
        if mapping is None:
            continue
        model_name, model_route = mapping
        dose_mg = 56.0 if model_route == "intranasal" else 35.0
        personal_timeline(route=route, dose_mg=dose_mg, weight_kg=70.0, age_years=45.0, population_size=8)
        warmed.append(route)
    return warmed
