"""The fast path: outputs of many patients on a uniform time grid, as sums of exponentials.

Per chunk of patients the modes come from :mod:`ketacare.core.pk.engine.modal`, the
exponentials are one vectorised ``exp``, and the compiled
:func:`ketacare.core.pk.kernels.evaluate` writes the grid. Patients whose eigenvalues
nearly coincide are left to :mod:`ketacare.core.pk.engine.reference`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ketacare.core.pk import kernels
from ketacare.core.pk.engine.blocks import Plan, dosed_compartments, modal_plan, output_compartments
from ketacare.core.pk.engine.events import Event, check_rate_matrix, split_into_pieces, subset_events
from ketacare.core.pk.engine.modal import compiled_modes, numpy_modes
from ketacare.core.pk.engine.reference import fill_from_reference

# A piece starting within this fraction of a step after a grid time starts at that time's column.
_GRID_TOLERANCE = 1e-9


def simulate_grid(
    rate_matrix_per_min: np.ndarray,
    events: Sequence[Event],
    *,
    step_min: float,
    n_steps: int,
    output_weights: np.ndarray,
    out: np.ndarray | None = None,
    threads: int = 1,
    chunk_size: int = 2048,
) -> np.ndarray:
    """Return outputs ``y = C x`` on the grid ``k * step_min`` (k = 0..n_steps), exactly, for many patients.

    ``rate_matrix_per_min`` has shape (P, n, n) in 1/min; ``output_weights`` (C)
    has shape (O, n) or (P, O, n), e.g. ``1000 / V_central`` on the central
    compartment gives ng/mL from mg and L. Returns (or fills ``out``) an array of
    shape (O, P, n_steps + 1). Patients are processed in chunks of ``chunk_size``
    on ``threads`` threads (the compiled kernels release the GIL). A bolus at a grid
    time is included in that time's value.

    Method: every output is a sum of exponentials,
    ``y(t) = sum_j R_j [a_j e^{lambda_j (t - s)} - rho_j]`` on each interval of
    constant input starting at ``s``, with residues ``R`` from the closed-form
    transfer functions of the star blocks (compiled in
    :func:`ketacare.core.pk.kernels.star_modes`; :class:`~.modal.StarSolution` and LAPACK
    for other blocks). :func:`ketacare.core.pk.kernels.evaluate` writes the grid a
    row of 48 points at a time: ``y = const + sum_j g_j H_jq`` with
    ``H_jq = e^{lambda_j q step}`` and ``g_j`` advanced from row to row.
    Patients whose eigenvalues nearly coincide are recomputed with
    :func:`~.reference.solve_expm`.
    """
    out, unreliable = simulate_grid_partial(
        rate_matrix_per_min,
        events,
        step_min=step_min,
        n_steps=n_steps,
        output_weights=output_weights,
        out=out,
        threads=threads,
        chunk_size=chunk_size,
    )
    if unreliable.size:
        # Nearly coincident eigenvalues: recompute these few patients with the reference solver.
        matrix = np.asarray(rate_matrix_per_min, dtype=np.float64)
        weights = np.broadcast_to(
            np.asarray(output_weights, dtype=np.float64), (matrix.shape[0], *np.shape(output_weights)[-2:])
        )
        fill_from_reference(
            matrix[unreliable],
            subset_events(events, unreliable, matrix.shape[0]),
            weights[unreliable],
            step_min,
            n_steps,
            out,
            unreliable,
        )
    return out


def simulate_grid_partial(
    rate_matrix_per_min: np.ndarray,
    events: Sequence[Event],
    *,
    step_min: float,
    n_steps: int,
    output_weights: np.ndarray,
    out: np.ndarray | None = None,
    threads: int = 1,
    chunk_size: int = 2048,
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`simulate_grid` but leave out the reference fallback; return ``out`` and the skipped patients.

    The rows of ``out`` for the returned patient indices (nearly coincident
    eigenvalues) are not valid; callers that simulate in blocks collect them
    and call :func:`fill_from_reference` once.
    """
    matrix = check_rate_matrix(rate_matrix_per_min)
    n_patients, n, _ = matrix.shape
    weights = np.asarray(output_weights, dtype=np.float64)
    if weights.ndim == 2:
        weights = np.broadcast_to(weights, (n_patients, *weights.shape))
    if weights.ndim != 3 or weights.shape[0] != n_patients or weights.shape[2] != n:
        raise ValueError(
            f"output_weights has shape {weights.shape}; expected (O, {n}) or ({n_patients}, O, {n})"
        )
    if not step_min > 0 or n_steps < 0:
        raise ValueError(f"step_min must be > 0 and n_steps >= 0 (got {step_min}, {n_steps})")
    n_outputs = weights.shape[1]
    n_times = n_steps + 1
    if out is None:
        out = np.empty((n_outputs, n_patients, n_times))
    elif out.shape != (n_outputs, n_patients, n_times) or out.dtype != np.float64 or out.strides[2] != 8:
        raise ValueError(
            f"out must be float64 of shape ({n_outputs}, {n_patients}, {n_times}) with unit stride in time"
        )
    pieces = split_into_pieces(events, n_patients, n)
    inputs = dosed_compartments(pieces)
    outputs = output_compartments(weights)
    plan = modal_plan(matrix, inputs, outputs) if inputs and outputs else None
    if plan is None or not plan.modes:
        out[...] = 0.0  # no dose, or no output that any dose reaches
        return out, np.zeros(0, dtype=int)
    # Inputs per piece, patients first: boluses at the start (P, pieces, I), then constant rates.
    kicks = np.zeros((n_patients, len(pieces), len(inputs)))
    rates = np.zeros((n_patients, len(pieces), len(inputs)))
    for index, piece in enumerate(pieces):
        for compartment, amount in piece.boluses:
            kicks[:, index, inputs.index(compartment)] += amount
        for compartment, rate in piece.rates:
            rates[:, index, inputs.index(compartment)] += rate
    # Output weights on the output compartments, one (P, X) array per output: (O, P, X).
    output_weights_t = np.ascontiguousarray(np.moveaxis(weights[:, :, list(outputs)], 0, 1))
    schedule = _Schedule(
        starts_min=np.array([piece.start_min for piece in pieces]), step_min=float(step_min), n_times=n_times
    )
    bounds = [*range(0, n_patients, max(1, chunk_size)), n_patients]
    chunks = list(zip(bounds[:-1], bounds[1:], strict=True))

    def work(chunk: tuple[int, int]) -> np.ndarray:
        lo, hi = chunk
        return lo + _simulate_chunk(
            np.ascontiguousarray(matrix[lo:hi]),
            plan,
            inputs,
            outputs,
            output_weights_t[:, lo:hi],
            kicks[lo:hi],
            rates[lo:hi],
            schedule,
            out[:, lo:hi],
        )

    if threads <= 1 or len(chunks) == 1:
        unreliable = [work(chunk) for chunk in chunks]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            unreliable = list(pool.map(work, chunks))
    return out, np.concatenate(unreliable)


@dataclass(frozen=True)
class _Schedule:
    """Where the pieces start (min) and the grid they are written on."""

    starts_min: np.ndarray  # (pieces,)
    step_min: float
    n_times: int


def _simulate_chunk(
    matrix: np.ndarray,
    plan: Plan,
    inputs: tuple[int, ...],
    outputs: tuple[int, ...],
    weights: np.ndarray,
    kicks: np.ndarray,
    rates: np.ndarray,
    schedule: _Schedule,
    out: np.ndarray,
) -> np.ndarray:
    """Evaluate one chunk of patients into ``out`` (O, p, T); return the local indices left to the fallback.

    Modes and residues come from :func:`~.modal.compiled_modes` (the compiled star
    kernel) when every block on the routes is a star, otherwise from
    :func:`~.modal.numpy_modes` (LAPACK for the other blocks); the exponentials are
    one vectorised ``exp``; the grid is written by the compiled
    :func:`ketacare.core.pk.kernels.evaluate`.
    """
    n_patients = matrix.shape[0]
    modes = compiled_modes(matrix, plan, inputs, outputs)
    if modes is not None:
        lam, residues, unreliable = modes
    else:
        with np.errstate(all="ignore"):  # unreliable patients may produce inf/nan; they are recomputed later
            lam_last, residues_last, unreliable = numpy_modes(matrix, plan, inputs, outputs)
        lam = np.ascontiguousarray(np.where(unreliable, -1.0, lam_last).T)
        residues = np.ascontiguousarray(np.moveaxis(residues_last, 3, 0))
    starts = schedule.starts_min
    step = schedule.step_min
    first_columns = np.array(
        [min(int(math.ceil(start / step - _GRID_TOLERANCE)), schedule.n_times) for start in starts],
        dtype=np.int64,
    )
    # Exponents: the grid step, then per piece the time since the previous start and to its first column.
    times = [step]
    for index, start in enumerate(starts):
        times.append(start - starts[index - 1] if index else 0.0)
        times.append(first_columns[index] * step - start)
    # (times, P, J): the product's inner loop runs over all of a chunk's modes at once; computed in
    # place, since a fresh temporary per chunk costs as much as the exp itself.
    exponentials = np.empty((len(times), n_patients, lam.shape[1]))
    with np.errstate(all="ignore"):
        np.multiply(np.array(times)[:, None, None], lam[None, :, :], out=exponentials)
        np.exp(exponentials, out=exponentials)
    modes = (0,) * lam.shape[1]  # its length selects the kernel compiled for this number of modes
    for o in range(weights.shape[0]):
        kernels.evaluate(
            modes, lam, residues, exponentials, kicks, rates, weights[o], first_columns, unreliable, out[o]
        )
    return np.flatnonzero(unreliable)
