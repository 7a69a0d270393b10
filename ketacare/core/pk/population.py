"""Typical-value and Monte Carlo population simulations of a named model, with exposure summaries.

:func:`simulate` runs the typical individual (all random effects zero) for one
patient's covariates; :func:`simulate_population` draws ``n_patients`` virtual
patients from the model's published inter-individual variability (seeded, so
runs repeat exactly) and reports the median and the 5-95% band of every curve
and exposure metric. Residual (assay) error is not simulated: the bands describe
true concentrations across people, not measurements.

Units: time in minutes, concentrations in ng/mL, AUC in ng*h/mL, doses in mg.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ketacare.core.pk.engine import Event, fill_from_reference, simulate_grid_partial
from ketacare.core.pk.models import Covariates, Model, get_model

__all__ = [
    "Regimen",
    "Exposure",
    "Band",
    "Simulation",
    "PopulationSimulation",
    "simulate",
    "simulate_population",
    "exposure",
    "simulate_curves",
]

_PERCENTILES = (5.0, 50.0, 95.0)


@dataclass(frozen=True)
class Regimen:
    """One dose: ``route`` (``intranasal``, ``iv`` or ``oral``), ``dose_mg``, and for IV the infusion length.

    ``infusion_min`` of ``None`` or 0 gives an IV bolus.
    """

    route: str
    dose_mg: float
    infusion_min: float | None = None


@dataclass(frozen=True)
class Exposure:
    """Peak and area of one concentration curve: Cmax (ng/mL), its time (min), and AUC over the run (ng*h/mL)."""

    cmax_ng_per_ml: float
    tmax_min: float
    auc_ng_h_per_ml: float


@dataclass(frozen=True)
class Band:
    """5th, 50th and 95th percentiles across virtual patients (scalars or arrays of shape (T,))."""

    p05: np.ndarray | float
    p50: np.ndarray | float
    p95: np.ndarray | float


@dataclass(frozen=True)
class Simulation:
    """A typical-value run: time grid (T,), curves per output key (T,), exposures, and validity warnings."""

    model: Model
    regimen: Regimen
    covariates: Covariates
    time_min: np.ndarray
    curves: Mapping[str, np.ndarray]
    exposures: Mapping[str, Exposure]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class PopulationSimulation:
    """A Monte Carlo run: bands per output curve and per exposure metric, with the seed and size used."""

    model: Model
    regimen: Regimen
    covariates: Covariates
    n_patients: int
    seed: int
    time_min: np.ndarray
    curve_bands: Mapping[str, Band]
    exposure_bands: Mapping[str, Mapping[str, Band]]
    warnings: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def exposure(time_min: np.ndarray, curves: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return Cmax (P,), tmax (P,) and trapezoidal AUC (P,) in ng*h/mL of curves (P, T) on ``time_min`` (T,).

    Cmax and tmax are read on the grid (1-min resolution by default); the AUC is
    the trapezoidal integral, whose error on a 1-min grid is far below 0.1%.
    """
    index = np.argmax(curves, axis=1)
    cmax = np.take_along_axis(curves, index[:, None], axis=1)[:, 0]
    widths_h = np.diff(time_min) / 60.0
    auc = ((curves[:, 1:] + curves[:, :-1]) * 0.5 * widths_h).sum(axis=1)
    return cmax, time_min[index], auc


def _check_regimen(model: Model, regimen: Regimen) -> None:
    if regimen.route not in model.routes:
        raise ValueError(
            f"route {regimen.route!r} is not modelled by {model.name}; allowed: {', '.join(model.routes)}"
        )
    if not regimen.dose_mg > 0:
        raise ValueError(f"dose {regimen.dose_mg} mg must be > 0")


def simulate_curves(
    model: Model,
    regimen: Regimen,
    covariates: Covariates,
    etas: np.ndarray,
    keys: tuple[str, ...],
    duration_min: float,
    step_min: float,
    threads: int = 1,
    out: np.ndarray | None = None,
    block_size: int = 2048,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the grid (T,) and the outputs ``keys`` (O, P, T) of ``model`` for patients with ``etas`` (P, E).

    The building block of :func:`simulate`, :func:`simulate_population` and the
    benchmark. Patients are handled in blocks of ``block_size`` on ``threads``
    threads: each block builds its own parameters, rate matrices, events and
    output weights (so nothing of size P x n x n is ever allocated) and runs
    :func:`ketacare.core.pk.engine.simulate_grid_partial` into its rows of
    ``out``; the few patients with nearly coincident eigenvalues are then
    recomputed together by the matrix-exponential reference.
    """
    n_patients = etas.shape[0]
    n_steps = int(round(duration_min / step_min))
    if out is None:
        out = np.empty((len(keys), n_patients, n_steps + 1))

    def build(rows: np.ndarray | slice) -> tuple[np.ndarray, list[Event], np.ndarray]:
        params = model.individual_parameters(covariates, etas[rows])
        events = model.dosing_events(regimen.route, regimen.dose_mg, params, regimen.infusion_min)
        return model.rate_matrix_per_min(params), events, model.output_weights(params, keys)

    def run(block: tuple[int, int]) -> np.ndarray:
        lo, hi = block
        matrix, events, weights = build(slice(lo, hi))
        _, skipped = simulate_grid_partial(
            matrix,
            events,
            step_min=step_min,
            n_steps=n_steps,
            output_weights=weights,
            out=out[:, lo:hi],
            chunk_size=block_size,
        )
        return lo + skipped

    def recompute(patients: np.ndarray) -> None:
        matrix, events, weights = build(patients)
        fill_from_reference(matrix, events, weights, step_min, n_steps, out, patients)

    bounds = [*range(0, n_patients, max(1, block_size)), n_patients]
    blocks = list(zip(bounds[:-1], bounds[1:], strict=True))
    if threads <= 1 or len(blocks) == 1:
        unreliable = np.concatenate([run(block) for block in blocks])
        if unreliable.size:
            recompute(unreliable)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            unreliable = np.concatenate(list(pool.map(run, blocks)))
            groups = [group for group in np.array_split(unreliable, threads) if group.size]
            list(pool.map(recompute, groups))
    return np.arange(n_steps + 1) * float(step_min), out


def simulate(
    model_name: str,
    regimen: Regimen,
    covariates: Covariates | None = None,
    *,
    duration_min: float = 1440.0,
    step_min: float = 1.0,
) -> Simulation:
    """Simulate the typical individual of ``model_name`` for ``regimen``; return curves and exposures.

    Every output of the model is computed on the grid ``0..duration_min`` (min)
    with step ``step_min``. Inputs outside the model's validity range still run
    and are listed in ``warnings``.
    """
    model = get_model(model_name)
    covariates = covariates or Covariates()
    _check_regimen(model, regimen)
    keys = tuple(output.key for output in model.outputs)
    time_min, curves = simulate_curves(
        model, regimen, covariates, model.typical_etas(1), keys, duration_min, step_min, 1
    )
    exposures = {}
    for index, key in enumerate(keys):
        cmax, tmax, auc = exposure(time_min, curves[index])
        exposures[key] = Exposure(float(cmax[0]), float(tmax[0]), float(auc[0]))
    return Simulation(
        model=model,
        regimen=regimen,
        covariates=covariates,
        time_min=time_min,
        curves={key: curves[index, 0] for index, key in enumerate(keys)},
        exposures=exposures,
        warnings=tuple(model.validity_warnings(regimen.route, regimen.dose_mg, covariates)),
    )


def simulate_population(
    model_name: str,
    regimen: Regimen,
    covariates: Covariates | None = None,
    *,
    n_patients: int,
    seed: int,
    duration_min: float = 1440.0,
    step_min: float = 1.0,
    outputs: tuple[str, ...] | None = None,
    threads: int = 1,
) -> PopulationSimulation:
    """Simulate ``n_patients`` virtual patients drawn with ``numpy.random.default_rng(seed)``; return bands.

    Each virtual patient has the given covariates and random effects drawn from
    the model's published variability (:meth:`Model.sample_etas`). Returns the
    5th/50th/95th percentiles of each output curve (shape (T,)) and of Cmax,
    tmax and AUC. A model without published variability gives a zero-width band
    and says so in ``notes``.
    """
    if n_patients < 1:
        raise ValueError(f"n_patients {n_patients} must be >= 1")
    model = get_model(model_name)
    covariates = covariates or Covariates()
    _check_regimen(model, regimen)
    keys = outputs or tuple(output.key for output in model.outputs)
    rng = np.random.default_rng(seed)
    etas = model.sample_etas(rng, n_patients)
    time_min, curves = simulate_curves(
        model, regimen, covariates, etas, keys, duration_min, step_min, threads
    )
    curve_bands = {}
    exposure_bands = {}
    for index, key in enumerate(keys):
        low, mid, high = np.percentile(curves[index], _PERCENTILES, axis=0)
        curve_bands[key] = Band(low, mid, high)
        metrics = dict(
            zip(
                ("cmax_ng_per_ml", "tmax_min", "auc_ng_h_per_ml"),
                exposure(time_min, curves[index]),
                strict=True,
            )
        )
        exposure_bands[key] = {
            name: Band(*(float(v) for v in np.percentile(values, _PERCENTILES)))
            for name, values in metrics.items()
        }
    notes = (
        ()
        if model.random_effects
        else (f"{model.name} has no published inter-individual variability: the band has zero width.",)
    )
    return PopulationSimulation(
        model=model,
        regimen=regimen,
        covariates=covariates,
        n_patients=n_patients,
        seed=seed,
        time_min=time_min,
        curve_bands=curve_bands,
        exposure_bands=exposure_bands,
        warnings=tuple(model.validity_warnings(regimen.route, regimen.dose_mg, covariates)),
        notes=notes,
    )
