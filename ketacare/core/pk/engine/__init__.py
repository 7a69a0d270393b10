"""Exact solutions of linear compartment systems under piecewise-constant inputs, vectorised over patients.

A linear compartment model is ``dx/dt = K x + u(t)``: ``x`` holds the drug amount
in each compartment (mg; an effect-site pseudo-compartment may hold a
concentration instead), ``K`` is the rate matrix in 1/min (``K[i, j]`` is the
first-order rate from compartment ``j`` into ``i``; the diagonal holds minus the
total outflow), and ``u`` is the input rate in mg/min, constant between event
times. Such a system has an exact solution; nothing here integrates an ODE
numerically.

Two solvers share the event types:

- :func:`solve_expm` is the reference. Each interval of length ``h`` is advanced
  with the transition ``Phi = expm(K h)`` and the input integral ``Gamma`` taken
  together from Van Loan's augmented matrix ``expm([[K, I], [0, 0]] h)`` (Moler &
  Van Loan, SIAM Review 2003;45:3-49, method 10). It accepts any ``K`` and any
  output times.
- :func:`simulate_grid` is the fast path for a uniform time grid, exact as well.
  The flow graph is split into strongly connected blocks (depots feed a parent
  system, which feeds a metabolite system and an effect site), so ``K`` is block
  triangular; mammillary (star-shaped) blocks have closed-form eigenvalues and
  transfer functions, and the residues of each input-to-output transfer function
  are products along the route between blocks. Each output is then a sum of
  exponentials, evaluated row by row of the grid in a compiled kernel
  (:mod:`ketacare.core.pk.kernels`), so a value costs one multiply-add per mode. Patients whose eigenvalues
  nearly coincide (where sums of exponentials lose precision) are recomputed
  with :func:`solve_expm`.

Shapes: ``n_patients`` = P, ``n_compartments`` = n, outputs = O, time points = T.
Units: time in minutes, amounts in mg, rates in mg/min, rate constants in 1/min.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ketacare.core.pk import kernels

__all__ = [
    "Bolus",
    "ZeroOrderInput",
    "Event",
    "solve_expm",
    "simulate_grid",
    "simulate_grid_partial",
    "fill_from_reference",
    "subset_events",
    "grid_times_min",
]

# Relative gap below which two eigenvalues count as coincident. Residues then grow
# like 1/gap and cancel in the sum, so rounding errors grow like eps / gap^2: at
# 1e-4 the sum of exponentials keeps about 8 significant digits; closer pairs
# (a few patients in 100,000 under inter-individual variability) use the expm path.
_RELATIVE_EIGENVALUE_GAP = 1e-4
# Event times closer than this (min) count as the same instant.
_TIME_TOLERANCE_MIN = 1e-9
# A piece starting within this fraction of a step after a grid time starts at that time's column.
_GRID_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Bolus:
    """An instantaneous input of ``amount_mg`` into ``compartment`` at ``time_min``.

    ``amount_mg`` is a scalar or an array of shape (P,) (one amount per patient).
    """

    time_min: float
    compartment: int
    amount_mg: float | np.ndarray


@dataclass(frozen=True)
class ZeroOrderInput:
    """A constant-rate input delivering ``amount_mg`` into ``compartment`` evenly over ``duration_min``.

    The input runs on ``[start_min, start_min + duration_min)``; ``amount_mg`` is a
    scalar or an array of shape (P,).
    """

    start_min: float
    duration_min: float
    compartment: int
    amount_mg: float | np.ndarray


Event = Bolus | ZeroOrderInput


@dataclass(frozen=True)
class _Piece:
    """One interval of constant input: boluses at its start, then constant rates."""

    start_min: float
    boluses: tuple[tuple[int, np.ndarray], ...]
    rates: tuple[tuple[int, np.ndarray], ...]


def grid_times_min(step_min: float, n_steps: int) -> np.ndarray:
    """Return the uniform grid ``0, step_min, ..., n_steps * step_min`` (min), shape (n_steps + 1,)."""
    return np.arange(n_steps + 1, dtype=np.float64) * float(step_min)


def _patient_array(value: float | np.ndarray, n_patients: int) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return np.full(n_patients, float(array))
    if array.shape != (n_patients,):
        raise ValueError(f"per-patient amount has shape {array.shape}; expected ({n_patients},)")
    return array


def _pieces(events: Sequence[Event], n_patients: int, n_compartments: int) -> list[_Piece]:
    """Split the event list into intervals of constant input, starting at time 0."""
    breakpoints = [0.0]
    for event in events:
        if not 0 <= event.compartment < n_compartments:
            raise ValueError(f"event compartment {event.compartment} is outside 0..{n_compartments - 1}")
        if isinstance(event, Bolus):
            if event.time_min < 0:
                raise ValueError(
                    f"bolus time {event.time_min} min is negative; events start at 0 min or later"
                )
            breakpoints.append(float(event.time_min))
        else:
            if event.start_min < 0:
                raise ValueError(
                    f"input start {event.start_min} min is negative; events start at 0 min or later"
                )
            if not event.duration_min > 0:
                raise ValueError(f"input duration {event.duration_min} min must be > 0 (use a Bolus instead)")
            breakpoints += [float(event.start_min), float(event.start_min + event.duration_min)]
    starts: list[float] = []
    for time in sorted(breakpoints):
        if not starts or time - starts[-1] > _TIME_TOLERANCE_MIN:
            starts.append(time)
    pieces = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else math.inf
        boluses = tuple(
            (e.compartment, _patient_array(e.amount_mg, n_patients))
            for e in events
            if isinstance(e, Bolus) and abs(e.time_min - start) <= _TIME_TOLERANCE_MIN
        )
        rates = tuple(
            (e.compartment, _patient_array(e.amount_mg, n_patients) / e.duration_min)
            for e in events
            if isinstance(e, ZeroOrderInput)
            and e.start_min <= start + _TIME_TOLERANCE_MIN
            and e.start_min + e.duration_min >= end - _TIME_TOLERANCE_MIN
        )
        pieces.append(_Piece(start, boluses, rates))
    return pieces


def _check_rate_matrix(rate_matrix_per_min: np.ndarray) -> np.ndarray:
    matrix = np.asarray(rate_matrix_per_min, dtype=np.float64)
    if matrix.ndim != 3 or matrix.shape[1] != matrix.shape[2]:
        raise ValueError(f"rate matrix has shape {matrix.shape}; expected (n_patients, n, n)")
    if not math.isfinite(float(matrix.sum())) and not np.all(np.isfinite(matrix)):
        raise ValueError("rate matrix contains non-finite values")
    return matrix


# --------------------------------------------------------------------------------------
# Reference solver: augmented matrix exponential
# --------------------------------------------------------------------------------------


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

    matrix = _check_rate_matrix(rate_matrix_per_min)
    n_patients, n, _ = matrix.shape
    times = np.asarray(times_min, dtype=np.float64)
    if times.ndim != 1 or np.any(np.diff(times) < 0):
        raise ValueError("times_min must be a sorted one-dimensional sequence")
    pieces = _pieces(events, n_patients, n)
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
            piece_index + 1 < len(pieces) and pieces[piece_index + 1].start_min <= time + _TIME_TOLERANCE_MIN
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


# --------------------------------------------------------------------------------------
# Fast path: closed-form residues along the block structure, evaluated on a uniform grid
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """A strongly connected set of compartments; ``hub`` is its star centre, or -1 if it is no star."""

    nodes: tuple[int, ...]
    hub: int


@dataclass(frozen=True)
class _Path:
    """A route from an input compartment to an output compartment through successive blocks.

    The route enters block ``blocks[k]`` at compartment ``entries[k]`` and leaves it
    at ``exits[k]``; the link to the next block is ``K[entries[k + 1], exits[k]]``.
    """

    blocks: tuple[int, ...]
    entries: tuple[int, ...]
    exits: tuple[int, ...]


@dataclass(frozen=True)
class _Plan:
    blocks: tuple[_Block, ...]
    modes: tuple[tuple[int, int], ...]  # (block, local eigenvalue index), in a fixed order
    paths: tuple[tuple[int, int, tuple[_Path, ...]], ...]  # (output compartment, input compartment, routes)


@lru_cache(maxsize=128)
def _plan(pattern_bytes: bytes, n: int, inputs: tuple[int, ...], outputs: tuple[int, ...]) -> _Plan:
    """Split the flow graph into strongly connected blocks (upstream first) and list input-to-output routes."""
    pattern = np.frombuffer(pattern_bytes, dtype=bool).reshape(n, n)
    successors = [[i for i in range(n) if i != j and pattern[i, j]] for j in range(n)]
    # Tarjan's algorithm; it emits components downstream first.
    index_of: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[tuple[int, ...]] = []

    def visit(node: int) -> None:
        index_of[node] = low[node] = len(index_of)
        stack.append(node)
        on_stack.add(node)
        for succ in successors[node]:
            if succ not in index_of:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index_of[succ])
        if low[node] == index_of[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(tuple(sorted(component)))

    for node in range(n):
        if node not in index_of:
            visit(node)
    components.reverse()
    blocks = tuple(_Block(nodes, _star_hub(pattern, nodes)) for nodes in components)
    block_of = {node: b for b, block in enumerate(blocks) for node in block.nodes}

    def routes(block: int, entry: int, output: int) -> list[_Path]:
        found = []
        if block == block_of[output]:
            found.append(_Path((block,), (entry,), (output,)))
        for source in blocks[block].nodes:
            for target in successors[source]:
                if block_of[target] != block:
                    for rest in routes(block_of[target], target, output):
                        found.append(
                            _Path((block, *rest.blocks), (entry, *rest.entries), (source, *rest.exits))
                        )
        return found

    paths = []
    used: set[int] = set()
    for output in outputs:
        for source in inputs:
            found = tuple(routes(block_of[source], source, output))
            paths.append((output, source, found))
            used.update(b for path in found for b in path.blocks)
    modes = tuple((b, k) for b in sorted(used) for k in range(len(blocks[b].nodes)))
    return _Plan(blocks, modes, tuple(paths))


def _star_hub(pattern: np.ndarray, nodes: tuple[int, ...]) -> int:
    """Return the hub compartment if ``nodes`` form a star (mammillary block), else -1."""
    if len(nodes) == 1:
        return nodes[0]
    for hub in nodes:
        leaves = [c for c in nodes if c != hub]
        linked = all(pattern[leaf, hub] and pattern[hub, leaf] for leaf in leaves)
        isolated = not any(pattern[a, b] for a in leaves for b in leaves if a != b)
        if linked and isolated:
            return hub
    return -1


def _sort_descending(rows: list[np.ndarray], *carried: list[np.ndarray]) -> None:
    """Sort ``rows`` (arrays of shape (P,)) in place, largest first, per patient; swap ``carried`` alike.

    A sorting network of compare-and-swap steps on whole arrays: for the 2-4 rows
    used here it is several times faster than ``np.sort`` along a short axis.
    """
    n = len(rows)
    for _ in range(n - 1):
        for i in range(n - 1):
            swap = rows[i] < rows[i + 1]
            for values in (rows, *carried):
                values[i], values[i + 1] = (
                    np.where(swap, values[i + 1], values[i]),
                    np.where(swap, values[i], values[i + 1]),
                )


def _cubic_root(coefficients: np.ndarray, k: int) -> np.ndarray:
    """Return the k-th largest root (k = 0, 1, 2) of monic cubics with three real roots (Viete's formula).

    ``coefficients`` (3, P) are ``a, b, c`` of ``x^3 + a x^2 + b x + c``. With the
    angle theta in [0, pi/3], ``cos(theta - 2 pi k / 3)`` decreases with k.
    """
    a, b, c = coefficients
    p = b - a * a / 3
    q = 2 * a**3 / 27 - a * b / 3 + c
    scale = np.sqrt(np.maximum(-p / 3, 0.0))
    argument = np.where(scale > 0, -q / (2 * np.where(scale > 0, scale, 1.0) ** 3), 0.0)
    theta = np.arccos(np.clip(argument, -1.0, 1.0)) / 3
    return 2 * scale * np.cos(theta - 2 * np.pi * k / 3) - a / 3


def _polynomial_roots_real(coefficients: np.ndarray) -> np.ndarray:
    """Return the roots of monic polynomials of degree 2-4 whose roots are all real, in descending order.

    ``coefficients`` has shape (degree, P) and holds ``c[k]`` of
    ``x^degree + sum_k c[k] x^(degree-1-k)`` for each patient; the result has
    shape (degree, P). Closed forms: the quadratic formula without cancellation,
    Viete's trigonometric cubic, and Ferrari's quartic through its resolvent
    cubic. The results are starting points that the caller polishes with Newton.
    """
    degree = coefficients.shape[0]
    if degree == 2:
        b, c = coefficients
        q = -0.5 * (b + np.copysign(np.sqrt(np.maximum(b * b - 4 * c, 0.0)), b))
        other = np.where(q != 0, c / np.where(q != 0, q, 1.0), 0.0)
        return np.stack([np.maximum(q, other), np.minimum(q, other)])
    if degree == 3:
        return np.stack([_cubic_root(coefficients, k) for k in range(3)])
    if degree == 4:
        a3, a2, a1, a0 = coefficients
        p = a2 - 3 * a3**2 / 8
        q = a1 - a3 * a2 / 2 + a3**3 / 8
        r = a0 - a3 * a1 / 4 + a3**2 * a2 / 16 - 3 * a3**4 / 256
        # Resolvent cubic m^3 + p m^2 + (p^2/4 - r) m - q^2/8 = 0; its largest root is >= 0.
        m = np.maximum(_cubic_root(np.stack([p, p * p / 4 - r, -q * q / 8]), 0), 1e-300)
        s = np.sqrt(2 * m)
        half = p / 2 + m
        correction = q / (2 * s)
        shift = a3 / 4
        # Roots of y^2 + s y + (half - correction) and y^2 - s y + (half + correction), each pair
        # in descending order, then merged.
        d1 = np.sqrt(np.maximum(s * s - 4 * (half - correction), 0.0))
        d2 = np.sqrt(np.maximum(s * s - 4 * (half + correction), 0.0))
        high1, low1 = (-s + d1) / 2 - shift, (-s - d1) / 2 - shift
        high2, low2 = (s + d2) / 2 - shift, (s - d2) / 2 - shift
        inner_high, inner_low = np.minimum(high1, high2), np.maximum(low1, low2)
        return np.stack(
            [
                np.maximum(high1, high2),
                np.maximum(inner_high, inner_low),
                np.minimum(inner_high, inner_low),
                np.minimum(low1, low2),
            ]
        )
    raise ValueError(f"no closed form for degree {degree}")


class _StarSolution:
    """Eigenvalues and transfer functions of one star-shaped (mammillary) block for a batch of patients.

    With hub outflow ``d0``, leaf outflows ``d_l``, hub-to-leaf rates ``g_l`` and
    leaf-to-hub rates ``f_l`` (1/min), the block's transfer function is built on
    the secular function ``sigma(s) = s + d0 - sum_l f_l g_l / (s + d_l)``:
    ``H[hub, hub] = 1 / sigma``, ``H[hub, l] = f_l / ((s + d_l) sigma)``,
    ``H[l, hub] = g_l / ((s + d_l) sigma)``,
    ``H[l, k] = g_l f_k / ((s + d_l)(s + d_k) sigma) + [l = k] / (s + d_l)``.
    Its poles (the eigenvalues) are the roots of ``sigma``: real, interlaced with
    the ``-d_l``, taken from the closed-form characteristic polynomial (up to 4
    compartments) and polished by bracketed Newton steps; the residue of
    ``1 / sigma`` at a root is ``1 / sigma'``. A single compartment is the case
    without leaves. Arrays keep patients on the last axis: ``d`` is (m, P),
    ``eigenvalues`` (m + 1, P).
    """

    def __init__(self, matrix: np.ndarray, block: _Block) -> None:
        hub = block.hub
        self.hub = hub
        self.leaves = [c for c in block.nodes if c != hub]
        leaves = self.leaves
        m = len(leaves)
        self.d0 = -matrix[:, hub, hub]
        self.d = -matrix[:, leaves, leaves].T  # (m, P)
        self.g = matrix[:, leaves, hub].T  # hub -> leaf
        self.f = matrix[:, hub, leaves].T  # leaf -> hub
        self.b = self.f * self.g
        if m == 0:
            self.eigenvalues = -self.d0[None, :]
            self.inverse_slope = np.ones_like(self.eigenvalues)
            self.unreliable = ~(self.d0 > 0)
            return
        d, b = self.d, self.b
        # Leaves ordered by outflow, smallest first (poles -d in descending order), b alongside.
        negative_d, b_rows = list(-d), list(b)
        _sort_descending(negative_d, b_rows)
        d_sorted = -np.stack(negative_d)
        b_sorted = np.stack(b_rows)
        scale = np.maximum(d.max(axis=0), self.d0)
        unreliable = np.any(b <= 0, axis=0)
        if m > 1:
            unreliable |= np.any(np.diff(d_sorted, axis=0) <= _RELATIVE_EIGENVALUE_GAP * scale, axis=0)
        # Brackets: root k lies between poles -d_sorted[k-1] and -d_sorted[k]; the outer roots are
        # bounded by Gershgorin discs.
        upper = np.maximum(-self.d0 + self.f.sum(axis=0), (self.f - d).max(axis=0))
        lower = np.minimum(-self.d0 - self.f.sum(axis=0), (-d - self.g).min(axis=0))
        hi = np.concatenate([upper[None], -d_sorted])
        lo = np.concatenate([-d_sorted, lower[None]])
        if m <= 3:
            x = _polynomial_roots_real(self._characteristic_polynomial()[1:])
            x = np.where((x > lo) & (x < hi), x, 0.5 * (lo + hi))
        else:
            x = 0.5 * (lo + hi)
        has_upper = (np.arange(m + 1) > 0)[:, None]
        has_lower = (np.arange(m + 1) < m)[:, None]
        upper_pole = np.where(has_upper, hi, 0.0)
        lower_pole = np.where(has_lower, lo, 0.0)
        for _ in range(100):
            # Newton on sigma(x) (x - upper pole)(x - lower pole): clearing the bracketing poles makes
            # the function smooth on the bracket, and Newton converges quadratically.
            s = x[:, None, :] + d_sorted[None, :, :]
            t = b_sorted[None, :, :] / s
            value = x + self.d0 - t.sum(axis=1)
            slope = 1.0 + (t / s).sum(axis=1)
            above = np.where(has_upper, x - upper_pole, 1.0)
            below = np.where(has_lower, x - lower_pole, 1.0)
            factor = above * below
            factor_slope = np.where(has_upper, below, 0.0) + np.where(has_lower, above, 0.0)
            positive = value > 0
            hi = np.where(positive, x, hi)
            lo = np.where(positive, lo, x)
            x_new = x - value * factor / (slope * factor + value * factor_slope)
            x_new = np.where((x_new >= lo) & (x_new <= hi), x_new, 0.5 * (lo + hi))
            # Newton's error after a step is of the order of the step squared, so a relative step
            # below 1e-9 leaves an error far below rounding.
            converged = np.all(np.abs(x_new - x) <= 1e-9 * np.abs(x))
            x = x_new
            if converged:
                break
        self.eigenvalues = x
        self.distance = x[:, None, :] + d[None, :, :]  # (roots, leaves, P)
        self.inverse_slope = 1.0 / (1.0 + (b[None, :, :] / self.distance**2).sum(axis=1))
        self.unreliable = (
            unreliable | ~np.all(x < 0, axis=0) | ~np.all(np.isfinite(self.inverse_slope), axis=0)
        )

    def _characteristic_polynomial(self) -> np.ndarray:
        """Coefficients (size + 1, P), highest first, of prod(x + d_all) - sum_l b_l prod_{k != l}(x + d_k)."""
        m, n_patients = self.d.shape
        poly = np.zeros((m + 2, n_patients))
        poly[0] = 1.0
        poly[1] = self.d0
        for leaf in range(m):
            poly[1 : leaf + 3] += self.d[leaf] * poly[: leaf + 2].copy()
        for leaf in range(m):
            partial = np.zeros((m, n_patients))
            partial[0] = 1.0
            degree = 0
            for other in range(m):
                if other != leaf:
                    partial[1 : degree + 2] += self.d[other] * partial[: degree + 1].copy()
                    degree += 1
            poly[2:] -= self.b[leaf] * partial
        return poly

    def residue(self, into: int, source: int) -> np.ndarray:
        """Residues (size, P) of ``H[into, source]`` at the block's eigenvalues."""
        result = self.inverse_slope
        if into != self.hub:
            leaf = self.leaves.index(into)
            result = result * self.g[leaf] / self.distance[:, leaf]
        if source != self.hub:
            leaf = self.leaves.index(source)
            result = result * self.f[leaf] / self.distance[:, leaf]
        return result

    def value(self, into: int, source: int, points: np.ndarray) -> np.ndarray:
        """``H[into, source]`` evaluated at ``points`` (k, P), away from the block's eigenvalues."""
        sigma = points + self.d0
        for leaf in range(len(self.leaves)):
            sigma = sigma - self.b[leaf] / (points + self.d[leaf])
        result = 1.0 / sigma
        if into != self.hub:
            leaf = self.leaves.index(into)
            result = result * self.g[leaf] / (points + self.d[leaf])
        if source != self.hub:
            leaf = self.leaves.index(source)
            result = result * self.f[leaf] / (points + self.d[leaf])
            if into == source:
                result = result + 1.0 / (points + self.d[leaf])
        return result


class _GeneralSolution:
    """Eigenvalues and transfer functions of a block that is not a star, by LAPACK (complex spectra are unreliable)."""

    def __init__(self, matrix: np.ndarray, block: _Block) -> None:
        self.nodes = list(block.nodes)
        local = matrix[:, self.nodes][:, :, self.nodes]
        eigenvalues, right = np.linalg.eig(local)
        scale = np.abs(eigenvalues).max(axis=1)
        unreliable = np.any(np.abs(eigenvalues.imag) > 1e-12 * scale[:, None], axis=1)
        self.eigenvalues = np.ascontiguousarray(eigenvalues.real.T)  # (size, P)
        self.right = right.real
        try:
            self.left = np.linalg.inv(self.right)
        except np.linalg.LinAlgError:
            self.left = np.full_like(self.right, np.nan)
        finite = np.all(np.isfinite(self.left), axis=(1, 2))
        self.unreliable = unreliable | ~finite | ~np.all(self.eigenvalues < 0, axis=0)

    def residue(self, into: int, source: int) -> np.ndarray:
        return (self.right[:, self.nodes.index(into), :] * self.left[:, :, self.nodes.index(source)]).T

    def value(self, into: int, source: int, points: np.ndarray) -> np.ndarray:
        residues = self.residue(into, source)  # (size, P)
        return (residues[None, :, :] / (points[:, None, :] - self.eigenvalues[None, :, :])).sum(axis=1)


def _residues(
    matrix: np.ndarray, plan: _Plan, inputs: tuple[int, ...], outputs: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return eigenvalues (J, P), residues (outputs, inputs, J, P) and the unreliable mask (P,).

    The transfer function from an input compartment to an output compartment is
    the sum over routes of the product of block transfer functions and link
    rates. The residue of a product at a pole of one factor is that factor's
    residue times the other factors evaluated at the pole; distinct eigenvalues
    across blocks are required (near-coincidences mark the patient unreliable).
    """
    n_patients = matrix.shape[0]
    used_blocks = sorted({b for b, _ in plan.modes})
    solutions: dict[int, _StarSolution | _GeneralSolution] = {}
    for b in used_blocks:
        block = plan.blocks[b]
        solutions[b] = _StarSolution(matrix, block) if block.hub >= 0 else _GeneralSolution(matrix, block)
    offsets: dict[int, int] = {}
    position = 0
    for b in used_blocks:
        offsets[b] = position
        position += len(plan.blocks[b].nodes)
    eigenvalues = np.concatenate([solutions[b].eigenvalues for b in used_blocks])
    unreliable = np.zeros(n_patients, dtype=bool)
    for solution in solutions.values():
        unreliable |= solution.unreliable
    scale = np.abs(eigenvalues).max(axis=0)
    residues = np.zeros((len(outputs), len(inputs), position, n_patients))
    for output, source, routes in plan.paths:
        o, i = outputs.index(output), inputs.index(source)
        for route in routes:
            links = np.ones(n_patients)
            for k in range(len(route.blocks) - 1):
                links = links * matrix[:, route.entries[k + 1], route.exits[k]]
            for k, b in enumerate(route.blocks):
                term = solutions[b].residue(route.exits[k], route.entries[k]) * links
                poles = solutions[b].eigenvalues
                for other_k, other_b in enumerate(route.blocks):
                    if other_k == k:
                        continue
                    gaps = np.abs(poles[:, None, :] - solutions[other_b].eigenvalues[None, :, :])
                    unreliable |= np.any(gaps <= _RELATIVE_EIGENVALUE_GAP * scale, axis=(0, 1))
                    term = term * solutions[other_b].value(
                        route.exits[other_k], route.entries[other_k], poles
                    )
                residues[o, i, offsets[b] : offsets[b] + poles.shape[0]] += term
    unreliable |= ~np.all(np.isfinite(residues), axis=(0, 1, 2))
    return eigenvalues, residues, unreliable


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
    :func:`ketacare.core.pk.kernels.star_modes`; :class:`_StarSolution` and LAPACK
    for other blocks). :func:`ketacare.core.pk.kernels.evaluate` writes the grid a
    row of 48 points at a time: ``y = const + sum_j g_j H_jq`` with
    ``H_jq = e^{lambda_j q step}`` and ``g_j`` advanced from row to row.
    Patients whose eigenvalues nearly coincide are recomputed with
    :func:`solve_expm`.
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


def subset_events(events: Sequence[Event], patients: np.ndarray, n_patients: int) -> list[Event]:
    """Return ``events`` restricted to ``patients`` (per-patient amounts are indexed, scalars kept)."""
    subset: list[Event] = []
    for event in events:
        amount = _patient_array(event.amount_mg, n_patients)[patients]
        if isinstance(event, Bolus):
            subset.append(Bolus(event.time_min, event.compartment, amount))
        else:
            subset.append(ZeroOrderInput(event.start_min, event.duration_min, event.compartment, amount))
    return subset


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
    matrix = _check_rate_matrix(rate_matrix_per_min)
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
    pieces = _pieces(events, n_patients, n)
    inputs = tuple(sorted({c for piece in pieces for c, _ in (*piece.boluses, *piece.rates)}))
    outputs = tuple(int(c) for c in np.flatnonzero(weights.any(axis=(0, 1))))
    plan = _plan(matrix.any(axis=0).tobytes(), n, inputs, outputs) if inputs and outputs else None
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
    starts_min: np.ndarray  # (pieces,)
    step_min: float
    n_times: int


@dataclass(frozen=True)
class _StarTables:
    """The plan as flat integer arrays for :func:`ketacare.core.pk.kernels.star_modes` (used blocks only)."""

    hubs: np.ndarray  # (B,)
    n_leaves: np.ndarray  # (B,)
    leaves: np.ndarray  # (B, max leaves)
    mode_offsets: np.ndarray  # (B,)
    route_output: np.ndarray  # (R,) index into the output compartments
    route_input: np.ndarray  # (R,) index into the input compartments
    route_length: np.ndarray  # (R,)
    route_blocks: np.ndarray  # (R, max length) index into the used blocks
    route_entries: np.ndarray  # (R, max length) compartments
    route_exits: np.ndarray  # (R, max length) compartments


@lru_cache(maxsize=128)
def _star_tables(plan: _Plan, inputs: tuple[int, ...], outputs: tuple[int, ...]) -> _StarTables | None:
    """Return the compiled kernel's tables when every block the outputs depend on is a star, else None."""
    used = sorted({b for b, _ in plan.modes})
    if any(plan.blocks[b].hub < 0 for b in used):
        return None
    position = {b: k for k, b in enumerate(used)}
    leaf_lists = [[c for c in plan.blocks[b].nodes if c != plan.blocks[b].hub] for b in used]
    width = max(1, max(len(leaf_list) for leaf_list in leaf_lists))
    leaves = np.zeros((len(used), width), dtype=np.int64)
    for k, leaf_list in enumerate(leaf_lists):
        leaves[k, : len(leaf_list)] = leaf_list
    offsets = np.cumsum([0] + [len(plan.blocks[b].nodes) for b in used])[:-1]
    routes = [
        (outputs.index(output), inputs.index(source), route)
        for output, source, found in plan.paths
        for route in found
    ]
    length = max([len(route.blocks) for _, _, route in routes], default=1)

    def table(values: list[list[int]]) -> np.ndarray:
        array = np.zeros((len(values), length), dtype=np.int64)
        for k, row in enumerate(values):
            array[k, : len(row)] = row
        return array

    return _StarTables(
        hubs=np.array([plan.blocks[b].hub for b in used], dtype=np.int64),
        n_leaves=np.array([len(leaf_list) for leaf_list in leaf_lists], dtype=np.int64),
        leaves=leaves,
        mode_offsets=np.asarray(offsets, dtype=np.int64),
        route_output=np.array([o for o, _, _ in routes], dtype=np.int64),
        route_input=np.array([i for _, i, _ in routes], dtype=np.int64),
        route_length=np.array([len(route.blocks) for _, _, route in routes], dtype=np.int64),
        route_blocks=table([[position[b] for b in route.blocks] for _, _, route in routes]),
        route_entries=table([list(route.entries) for _, _, route in routes]),
        route_exits=table([list(route.exits) for _, _, route in routes]),
    )


def _simulate_chunk(
    matrix: np.ndarray,
    plan: _Plan,
    inputs: tuple[int, ...],
    outputs: tuple[int, ...],
    weights: np.ndarray,
    kicks: np.ndarray,
    rates: np.ndarray,
    schedule: _Schedule,
    out: np.ndarray,
) -> np.ndarray:
    """Evaluate one chunk of patients into ``out`` (O, p, T); return the local indices left to the fallback.

    Modes and residues come from the compiled star kernel when every block on the
    routes is a star, otherwise from :func:`_residues` (LAPACK for the other
    blocks); the exponentials are one vectorised ``exp``; the grid is written by
    the compiled :func:`ketacare.core.pk.kernels.evaluate`.
    """
    n_patients = matrix.shape[0]
    tables = _star_tables(plan, inputs, outputs)
    if tables is not None:
        n_modes = len(plan.modes)
        lam = np.empty((n_patients, n_modes))
        residues = np.empty((n_patients, len(outputs), len(inputs), n_modes))
        unreliable = np.empty(n_patients, dtype=np.bool_)
        kernels.star_modes(
            matrix,
            tables.hubs,
            tables.n_leaves,
            tables.leaves,
            tables.mode_offsets,
            tables.route_output,
            tables.route_input,
            tables.route_length,
            tables.route_blocks,
            tables.route_entries,
            tables.route_exits,
            _RELATIVE_EIGENVALUE_GAP,
            lam,
            residues,
            unreliable,
        )
    else:
        with np.errstate(all="ignore"):  # unreliable patients may produce inf/nan; they are recomputed later
            lam_last, residues_last, unreliable = _residues(matrix, plan, inputs, outputs)
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
