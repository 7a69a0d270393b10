"""The reference solver: exact amounts by augmented matrix exponentials, and the fallback of the fast path.

Each interval of length ``h`` is advanced with the transition ``Phi = expm(K h)``
and the input integral ``Gamma``, taken together from Van Loan's augmented matrix
(Moler & Van Loan, SIAM Review 2003;45:3-49, method 10). It accepts any rate
matrix and any output times; the fast path hands it the few patients whose
eigenvalues nearly coincide (:func:`fill_from_reference`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ketacare.core.pk import kernels
from ketacare.core.pk.engine.events import (
    TIME_TOLERANCE_MIN,
    Bolus,
    Event,
    ZeroOrderInput,
    check_rate_matrix,
    grid_times_min,
    split_into_pieces,
)


def solve_expm(
    rate_matrix_per_min: np.ndarray,
    events: Sequence[Event],
    times_min: Sequence[float] | np.ndarray,
    initial_mg: np.ndarray | None = None,
) -> np.ndarray:
    """Return the amounts in every compartment at ``times_min``, exactly, by matrix exponentials.

    ``rate_matrix_per_min`` has shape (P, n, n); ``times_min`` is sorted, shape (T,);
    ``initial_mg`` (optional) has shape (P, n) and is the state just before time 0.
    Returns an array of shape (P, T, n) in mg. A bolus given at an output time is
    included in that output (right-continuous). An interval of length ``h`` with
    constant input rate ``u`` maps ``x`` to ``Phi x + Gamma u``, where
    ``expm([[K, I], [0, 0]] h) = [[Phi, Gamma], [0, I]]`` (Van Loan's augmented
    matrix; Moler & Van Loan, SIAM Review 2003;45:3-49, method 10), batched over
    patients and computed once per distinct interval length.
    """
    import scipy.linalg  # imported here: the fast path and the CLI's start-up do not need it

    matrix = check_rate_matrix(rate_matrix_per_min)
    n_patients, n, _ = matrix.shape
    times = np.asarray(times_min, dtype=np.float64)
    if times.ndim != 1 or np.any(np.diff(times) < 0):
        raise ValueError("times_min must be a sorted one-dimensional sequence")
    pieces = split_into_pieces(events, n_patients, n)
    state = np.zeros((n_patients, n)) if initial_mg is None else np.array(initial_mg, dtype=np.float64)
    result = np.empty((n_patients, times.size, n))
    augmented = np.zeros((n_patients, 2 * n, 2 * n))
    augmented[:, :n, :n] = matrix
    augmented[:, :n, n:] = np.eye(n)
    rates = []
    for piece in pieces:
        rate = np.zeros((n_patients, n))
        for compartment, value in piece.rates:
            rate[:, compartment] += value
        rates.append(rate if piece.rates else None)
    cache: dict[float, np.ndarray] = {}

    def advance(x: np.ndarray, piece_index: int, length_min: float) -> np.ndarray:
        if length_min <= 0:
            return x
        key = round(length_min, 12)
        if key not in cache:
            cache[key] = scipy.linalg.expm(augmented * length_min)
        transition = cache[key]
        x = np.einsum("pij,pj->pi", transition[:, :n, :n], x)
        rate = rates[piece_index]
        if rate is not None:
            x += np.einsum("pij,pj->pi", transition[:, :n, n:], rate)
        return x

    now = 0.0
    piece_index = -1
    for time_index, time in enumerate(times):
        while (
            piece_index + 1 < len(pieces) and pieces[piece_index + 1].start_min <= time + TIME_TOLERANCE_MIN
        ):
            next_piece = pieces[piece_index + 1]
            if piece_index >= 0:
                state = advance(state, piece_index, next_piece.start_min - now)
            now = next_piece.start_min
            piece_index += 1
            for compartment, amount in next_piece.boluses:
                state[:, compartment] += amount
        if piece_index >= 0:
            state = advance(state, piece_index, time - now)
            now = time
        result[:, time_index, :] = state
        rest = times[time_index:]
        if (
            piece_index == len(pieces) - 1
            and rest.size > 16
            and np.allclose(np.diff(rest), rest[1] - rest[0])
        ):
            # After the last event the input is zero and the grid uniform: x_{k+q} = Phi^q x_k with
            # Phi = expm(K h), evaluated for whole rows at once instead of one step at a time.
            result[:, time_index:, :] = _free_decay_on_grid(
                matrix, state, float(rest[1] - rest[0]), rest.size
            )
            break
    return result


def _free_decay_on_grid(matrix: np.ndarray, state: np.ndarray, step_min: float, count: int) -> np.ndarray:
    """Return ``expm(K q h) x0`` for q = 0..count-1, shape (P, count, n), by repeated ``expm(K h)``."""
    import scipy.linalg

    transition = np.ascontiguousarray(scipy.linalg.expm(matrix * step_min))
    values = np.empty((matrix.shape[0], count, matrix.shape[1]))
    kernels.march(transition, np.ascontiguousarray(state), values)
    return values


def fill_from_reference(
    rate_matrix_per_min: np.ndarray,
    events: Sequence[Event],
    output_weights: np.ndarray,
    step_min: float,
    n_steps: int,
    out: np.ndarray,
    patients: np.ndarray,
) -> None:
    """Write the outputs of ``patients`` (indices into ``out``'s patient axis) computed by :func:`solve_expm`.

    ``rate_matrix_per_min`` (S, n, n), ``events`` and ``output_weights`` (S, O, n)
    describe just those S patients; ``out`` has shape (O, P, n_steps + 1).
    """
    matrix = np.asarray(rate_matrix_per_min, dtype=np.float64)
    weights = np.asarray(output_weights, dtype=np.float64)
    # Only compartments on a route from a dosed compartment to an output matter; dropping the others
    # (an unused depot, a metabolite nobody reads) makes the matrix exponentials much cheaper.
    pattern = np.any(matrix != 0, axis=0)
    keep = sorted(
        _reachable(pattern, {e.compartment for e in events})
        & _reachable(pattern.T, set(np.flatnonzero(np.any(weights != 0, axis=(0, 1))).tolist()))
    )
    if not keep:
        out[:, patients, :] = 0.0
        return
    position = {compartment: index for index, compartment in enumerate(keep)}
    reduced_events: list[Event] = [
        Bolus(e.time_min, position[e.compartment], e.amount_mg)
        if isinstance(e, Bolus)
        else ZeroOrderInput(e.start_min, e.duration_min, position[e.compartment], e.amount_mg)
        for e in events
        if e.compartment in position
    ]
    amounts = solve_expm(matrix[:, keep][:, :, keep], reduced_events, grid_times_min(step_min, n_steps))
    out[:, patients, :] = np.einsum("pon,ptn->opt", weights[:, :, keep], amounts)


def _reachable(pattern: np.ndarray, starts: set[int]) -> set[int]:
    """Compartments reachable from ``starts`` along flows ``j -> i`` where ``pattern[i, j]`` (starts included)."""
    seen = set(starts)
    frontier = list(starts)
    while frontier:
        source = frontier.pop()
        for target in np.flatnonzero(pattern[:, source]).tolist():
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen
