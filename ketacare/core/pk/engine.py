"""Exact solutions of linear compartment systems under piecewise-constant inputs, vectorised over patients.

A linear compartment model is ``dx/dt = K x + u(t)``: ``x`` holds the drug amount
in each compartment (mg; an effect-site pseudo-compartment may hold a
concentration instead), ``K`` is the rate matrix in 1/min (``K[i, j]`` is the
first-order rate from compartment ``j`` into ``i``; the diagonal holds minus the
total outflow), and ``u`` is the input rate in mg/min, constant between event
times. Such a system has an exact solution; nothing here integrates an ODE
numerically.

Two solvers share the event types:

- :func:`solve_expm` is the reference. Each interval between event and output
  times is advanced with the matrix exponential of the augmented matrix
  ``[[K, u], [0, 0]]`` (Van Loan's construction; Moler & Van Loan, SIAM Review
  2003;45:3-49, method 10). It accepts any ``K`` and any output times.
- :func:`simulate_grid` is the fast path for a uniform time grid. It diagonalises
  ``K`` once per patient and writes each output as a sum of exponentials. The
  diagonalisation uses the block-triangular structure of pharmacokinetic models
  (depots feed a parent system, which feeds a metabolite system), with closed
  forms for mammillary (star-shaped) blocks and LAPACK only for other blocks.
  The sums are evaluated as batched matrix products, so the cost per output
  value is a handful of multiply-adds. Patients whose decomposition is
  ill-conditioned (two eigenvalues nearly equal) are recomputed with
  :func:`solve_expm`, so the result is exact in both cases.

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
import scipy.linalg

__all__ = [
    "Bolus",
    "ZeroOrderInput",
    "Event",
    "solve_expm",
    "simulate_grid",
    "grid_times_min",
]

# Relative gap below which two eigenvalues count as coincident. Residues then grow
# like 1/gap and cancel in the sum, so rounding errors grow like eps / gap^2: at
# 1e-4 the sum of exponentials keeps about 8 significant digits; closer pairs
# (a few patients in 100,000 under inter-individual variability) use the expm path.
_RELATIVE_EIGENVALUE_GAP = 1e-4
# Largest |lambda| * (block length) allowed in one exponent, far from overflow.
_MAX_EXPONENT = 500.0
# Event times closer than this (min) count as the same instant.
_TIME_TOLERANCE_MIN = 1e-9


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
    if not np.all(np.isfinite(matrix)):
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
    included in that output (right-continuous). Each interval of length ``h`` with
    input rate ``u`` is advanced by ``expm([[K, u], [0, 0]] h)`` applied to
    ``[x; 1]`` (Moler & Van Loan 2003, method 10), batched over patients.
    """
    matrix = _check_rate_matrix(rate_matrix_per_min)
    n_patients, n, _ = matrix.shape
    times = np.asarray(times_min, dtype=np.float64)
    if times.ndim != 1 or np.any(np.diff(times) < 0):
        raise ValueError("times_min must be a sorted one-dimensional sequence")
    pieces = _pieces(events, n_patients, n)
    state = np.zeros((n_patients, n)) if initial_mg is None else np.array(initial_mg, dtype=np.float64)
    result = np.empty((n_patients, times.size, n))
    augmented = np.zeros((n_patients, n + 1, n + 1))
    augmented[:, :n, :n] = matrix
    cache: dict[tuple[int, float], np.ndarray] = {}

    def advance(x: np.ndarray, piece_index: int, length_min: float) -> np.ndarray:
        if length_min <= 0:
            return x
        key = (piece_index, round(length_min, 12))
        if key not in cache:
            augmented[:, :n, n] = 0.0
            for compartment, rate in pieces[piece_index].rates:
                augmented[:, compartment, n] += rate
            cache[key] = scipy.linalg.expm(augmented * length_min)
        transition = cache[key]
        return np.einsum("pij,pj->pi", transition[:, :n, :n], x) + transition[:, :n, n]

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
    return result


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
                        found.append(_Path((block, *rest.blocks), (entry, *rest.entries), (source, *rest.exits)))
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


def _polynomial_roots_real(coefficients: np.ndarray) -> np.ndarray:
    """Return the roots of monic polynomials of degree 2-4 whose roots are all real, in descending order.

    ``coefficients`` has shape (P, degree) and holds ``c[k]`` of
    ``x^degree + sum_k c[k] x^(degree-1-k)``. Closed forms: the quadratic formula
    without cancellation, Viete's trigonometric cubic, and Ferrari's quartic
    through its resolvent cubic. The results are starting points that the
    caller polishes with Newton steps.
    """
    degree = coefficients.shape[1]
    if degree == 2:
        b, c = coefficients[:, 0], coefficients[:, 1]
        q = -0.5 * (b + np.copysign(np.sqrt(np.maximum(b * b - 4 * c, 0.0)), b))
        other = np.where(q != 0, c / np.where(q != 0, q, 1.0), 0.0)
        return -np.sort(-np.stack([q, other], axis=1), axis=1)
    if degree == 3:
        a, b, c = coefficients[:, 0], coefficients[:, 1], coefficients[:, 2]
        p = b - a * a / 3
        q = 2 * a**3 / 27 - a * b / 3 + c
        scale = np.sqrt(np.maximum(-p / 3, 0.0))
        argument = np.where(scale > 0, -q / (2 * np.where(scale > 0, scale, 1.0) ** 3), 0.0)
        theta = np.arccos(np.clip(argument, -1.0, 1.0)) / 3
        roots = np.stack([2 * scale * np.cos(theta - 2 * np.pi * k / 3) for k in range(3)], axis=1)
        return -np.sort(-(roots - a[:, None] / 3), axis=1)
    if degree == 4:
        a3, a2, a1, a0 = (coefficients[:, k] for k in range(4))
        p = a2 - 3 * a3**2 / 8
        q = a1 - a3 * a2 / 2 + a3**3 / 8
        r = a0 - a3 * a1 / 4 + a3**2 * a2 / 16 - 3 * a3**4 / 256
        # Resolvent cubic m^3 + p m^2 + (p^2/4 - r) m - q^2/8 = 0; its largest root is >= 0.
        m = np.maximum(_polynomial_roots_real(np.stack([p, p * p / 4 - r, -q * q / 8], axis=1))[:, 0], 1e-300)
        s = np.sqrt(2 * m)
        half = p / 2 + m
        correction = q / (2 * s)
        roots = []
        for sign in (1.0, -1.0):
            disc = np.sqrt(np.maximum(s * s - 4 * (half - sign * correction), 0.0))
            roots += [(-sign * s + disc) / 2, (-sign * s - disc) / 2]
        return -np.sort(-(np.stack(roots, axis=1) - a3[:, None] / 4), axis=1)
    raise ValueError(f"no closed form for degree {degree}")


class _StarSolution:
    """Eigenvalues and transfer functions of one star-shaped (mammillary) block for a batch of patients.

    With hub outflow ``d0``, leaf outflows ``d_l``, hub-to-leaf rates ``g_l`` and
    leaf-to-hub rates ``f_l`` (all 1/min, shape (P, m)), the block's transfer
    function is built on the secular function
    ``sigma(s) = s + d0 - sum_l f_l g_l / (s + d_l)``:
    ``H[hub, hub] = 1 / sigma``, ``H[hub, l] = f_l / ((s + d_l) sigma)``,
    ``H[l, hub] = g_l / ((s + d_l) sigma)``,
    ``H[l, k] = g_l f_k / ((s + d_l)(s + d_k) sigma) + [l = k] / (s + d_l)``.
    Its poles (the eigenvalues) are the roots of ``sigma``: real, interlaced with
    the ``-d_l``, found from the closed-form characteristic polynomial (up to 4
    compartments) and polished by bracketed Newton steps; the residue of
    ``1 / sigma`` at a root is ``1 / sigma'``. A single compartment is the case
    ``m = 0``.
    """

    def __init__(self, matrix: np.ndarray, block: _Block) -> None:
        hub = block.hub
        self.hub = hub
        self.leaves = [c for c in block.nodes if c != hub]
        n_patients = matrix.shape[0]
        self.d0 = -matrix[:, hub, hub]
        leaves = self.leaves
        m = len(leaves)
        self.d = -matrix[:, leaves, leaves]
        self.g = matrix[:, leaves, hub]
        self.f = matrix[:, hub, leaves]
        b = self.f * self.g
        self.b = b
        if m == 0:
            self.eigenvalues = -self.d0[:, None]
            self.inverse_slope = np.ones((n_patients, 1))
            self.distance = np.empty((n_patients, 1, 0))
            self.unreliable = ~(self.eigenvalues[:, 0] < 0)
            return
        d = self.d
        order = np.argsort(d, axis=1)
        d_sorted = np.take_along_axis(d, order, axis=1)
        b_sorted = np.take_along_axis(b, order, axis=1)
        scale = np.maximum(d.max(axis=1), self.d0)
        unreliable = np.any(b <= 0, axis=1)
        if m > 1:
            unreliable |= np.any(np.diff(d_sorted, axis=1) <= _RELATIVE_EIGENVALUE_GAP * scale[:, None], axis=1)
        # Brackets: root k lies between poles -d_sorted[k-1] and -d_sorted[k]; the outer roots are
        # bounded by Gershgorin discs.
        upper = np.maximum(-self.d0 + self.f.sum(axis=1), (-d + self.f).max(axis=1))
        lower = np.minimum(-self.d0 - self.f.sum(axis=1), (-d - self.g).min(axis=1))
        hi = np.concatenate([upper[:, None], -d_sorted], axis=1)
        lo = np.concatenate([-d_sorted, lower[:, None]], axis=1)
        if m <= 3:
            x = _polynomial_roots_real(self._characteristic_polynomial()[:, 1:])
            x = np.where((x > lo) & (x < hi), x, 0.5 * (lo + hi))
        else:
            x = 0.5 * (lo + hi)
        has_upper = np.arange(m + 1) > 0
        has_lower = np.arange(m + 1) < m
        upper_pole = np.where(has_upper, hi, 0.0)
        lower_pole = np.where(has_lower, lo, 0.0)
        for _ in range(100):
            # Newton on sigma(x) * (x - upper pole) * (x - lower pole): the bracketing poles are
            # cleared, so the function is smooth on the bracket and Newton converges quadratically.
            s = x[:, :, None] + d_sorted[:, None, :]
            t = b_sorted[:, None, :] / s
            value = x + self.d0[:, None] - t.sum(axis=2)
            slope = 1.0 + (t / s).sum(axis=2)
            above = np.where(has_upper, x - upper_pole, 1.0)
            below = np.where(has_lower, x - lower_pole, 1.0)
            factor = above * below
            factor_slope = np.where(has_upper, below, 0.0) + np.where(has_lower, above, 0.0)
            positive = value > 0
            hi = np.where(positive, x, hi)
            lo = np.where(positive, lo, x)
            x_new = x - value * factor / (slope * factor + value * factor_slope)
            x_new = np.where((x_new >= lo) & (x_new <= hi), x_new, 0.5 * (lo + hi))
            converged = np.all(np.abs(x_new - x) <= 1e-15 * np.abs(x))
            x = x_new
            if converged:
                break
        self.eigenvalues = x
        self.distance = x[:, :, None] + d[:, None, :]  # (P, roots, leaves)
        self.inverse_slope = 1.0 / (1.0 + (b[:, None, :] / self.distance**2).sum(axis=2))
        self.unreliable = unreliable | ~np.all(x < 0, axis=1) | ~np.all(np.isfinite(self.inverse_slope), axis=1)

    def _characteristic_polynomial(self) -> np.ndarray:
        """Coefficients (P, size + 1), highest first, of prod(x + d_all) - sum_l b_l prod_{k != l}(x + d_k)."""
        n_patients, m = self.d.shape
        poly = np.zeros((n_patients, m + 2))
        poly[:, 0] = 1.0
        poly[:, 1] = self.d0
        for leaf in range(m):
            poly[:, 1 : leaf + 3] += self.d[:, leaf, None] * poly[:, : leaf + 2].copy()
        for leaf in range(m):
            partial = np.zeros((n_patients, m))
            partial[:, 0] = 1.0
            degree = 0
            for other in range(m):
                if other != leaf:
                    partial[:, 1 : degree + 2] += self.d[:, other, None] * partial[:, : degree + 1].copy()
                    degree += 1
            poly[:, 2:] -= self.b[:, leaf, None] * partial
        return poly

    def residue(self, into: int, source: int) -> np.ndarray:
        """Residues (P, size) of ``H[into, source]`` at the block's eigenvalues."""
        result = self.inverse_slope
        if into != self.hub:
            leaf = self.leaves.index(into)
            result = result * self.g[:, leaf, None] / self.distance[:, :, leaf]
        if source != self.hub:
            leaf = self.leaves.index(source)
            result = result * self.f[:, leaf, None] / self.distance[:, :, leaf]
        return result

    def value(self, into: int, source: int, points: np.ndarray) -> np.ndarray:
        """``H[into, source]`` evaluated at ``points`` (P, k), away from the block's eigenvalues."""
        sigma = points + self.d0[:, None]
        for leaf in range(len(self.leaves)):
            sigma = sigma - self.b[:, leaf, None] / (points + self.d[:, leaf, None])
        result = 1.0 / sigma
        if into != self.hub:
            leaf = self.leaves.index(into)
            result = result * self.g[:, leaf, None] / (points + self.d[:, leaf, None])
        if source != self.hub:
            leaf = self.leaves.index(source)
            result = result * self.f[:, leaf, None] / (points + self.d[:, leaf, None])
            if into == source:
                result = result + 1.0 / (points + self.d[:, leaf, None])
        return result


class _GeneralSolution:
    """Eigenvalues and transfer functions of a block that is not a star, by LAPACK (complex spectra are unreliable)."""

    def __init__(self, matrix: np.ndarray, block: _Block) -> None:
        self.nodes = list(block.nodes)
        local = matrix[:, self.nodes][:, :, self.nodes]
        eigenvalues, right = np.linalg.eig(local)
        scale = np.abs(eigenvalues).max(axis=1)
        self.unreliable = np.any(np.abs(eigenvalues.imag) > 1e-12 * scale[:, None], axis=1)
        self.eigenvalues = eigenvalues.real
        self.right = right.real
        try:
            self.left = np.linalg.inv(self.right)
        except np.linalg.LinAlgError:
            self.left = np.full_like(self.right, np.nan)
        self.unreliable |= ~np.all(np.isfinite(self.left), axis=(1, 2)) | ~np.all(self.eigenvalues < 0, axis=1)

    def residue(self, into: int, source: int) -> np.ndarray:
        return self.right[:, self.nodes.index(into), :] * self.left[:, :, self.nodes.index(source)]

    def value(self, into: int, source: int, points: np.ndarray) -> np.ndarray:
        residues = self.residue(into, source)
        return (residues[:, None, :] / (points[:, :, None] - self.eigenvalues[:, None, :])).sum(axis=2)


def _residues(
    matrix: np.ndarray, plan: _Plan, inputs: tuple[int, ...], outputs: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return eigenvalues (P, J), residues (P, outputs, inputs, J) and the unreliable mask (P,).

    The transfer function from an input compartment to an output compartment is
    the sum over routes of the product of block transfer functions and link
    rates. The residue of a product at a pole of one factor is that factor's
    residue times the other factors evaluated at the pole; distinct eigenvalues
    across blocks are required (coincidences mark the patient unreliable).
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
    eigenvalues = np.concatenate([solutions[b].eigenvalues for b in used_blocks], axis=1)
    unreliable = np.zeros(n_patients, dtype=bool)
    for solution in solutions.values():
        unreliable |= solution.unreliable
    scale = np.abs(eigenvalues).max(axis=1)
    residues = np.zeros((n_patients, len(outputs), len(inputs), position))
    for output, source, routes in plan.paths:
        o, i = outputs.index(output), inputs.index(source)
        for route in routes:
            links = np.ones(n_patients)
            for k in range(len(route.blocks) - 1):
                links = links * matrix[:, route.entries[k + 1], route.exits[k]]
            for k, b in enumerate(route.blocks):
                term = solutions[b].residue(route.exits[k], route.entries[k]) * links[:, None]
                poles = solutions[b].eigenvalues
                for other_k, other_b in enumerate(route.blocks):
                    if other_k == k:
                        continue
                    gaps = np.abs(poles[:, :, None] - solutions[other_b].eigenvalues[:, None, :])
                    unreliable |= np.any(gaps <= _RELATIVE_EIGENVALUE_GAP * scale[:, None, None], axis=(1, 2))
                    term = term * solutions[other_b].value(route.exits[other_k], route.entries[other_k], poles)
                span = slice(offsets[b], offsets[b] + poles.shape[1])
                residues[:, o, i, span] += term
    unreliable |= ~np.all(np.isfinite(residues), axis=(1, 2, 3))
    return eigenvalues, residues, unreliable


def _geometric(ratio: np.ndarray, count: int) -> np.ndarray:
    """Return ``ratio ** k`` for k = 0..count-1 along a new last axis, by repeated doubling (no ``exp``)."""
    result = np.empty((*ratio.shape, count))
    result[..., 0] = 1.0
    known = 1
    while known < count:
        step = min(known, count - known)
        power = result[..., known - 1] * ratio  # ratio ** known
        np.multiply(result[..., :step], power[..., None], out=result[..., known : known + step])
        known += step
    return result


def simulate_grid(
    rate_matrix_per_min: np.ndarray,
    events: Sequence[Event],
    *,
    step_min: float,
    n_steps: int,
    output_weights: np.ndarray,
    out: np.ndarray | None = None,
    threads: int = 1,
    chunk_size: int = 4096,
) -> np.ndarray:
    """Return outputs ``y = C x`` on the grid ``k * step_min`` (k = 0..n_steps), exactly, for many patients.

    ``rate_matrix_per_min`` has shape (P, n, n) in 1/min; ``output_weights`` (C)
    has shape (O, n) or (P, O, n), e.g. ``1000 / V_central`` on the central
    compartment gives ng/mL from mg and L. Returns (or fills ``out``) an array of
    shape (O, P, n_steps + 1). Patients are processed in chunks of ``chunk_size``
    on ``threads`` threads (NumPy and BLAS release the GIL). A bolus at a grid
    time is included in that time's value.

    Method: every output is a sum of exponentials,
    ``y(t) = sum_j R_j [a_j e^{lambda_j (t - s)} - rho_j]`` on each interval of
    constant input starting at ``s``, with residues ``R`` from the closed-form
    transfer functions of :class:`_StarSolution` (mammillary blocks). The grid is
    folded into rows of ``B ~ sqrt(T)`` points; a row starting at ``r`` is
    ``G_row @ H`` with ``G_j = R_j a_j e^{lambda_j (r - s)}`` (plus a constant
    column ``-sum R rho``) and ``H_jq = e^{lambda_j q step}``, one small matrix
    product per patient written straight into the output. Rows that contain an
    event are patched from the event onward. Patients whose eigenvalues nearly
    coincide are recomputed with :func:`solve_expm`.
    """
    matrix = _check_rate_matrix(rate_matrix_per_min)
    n_patients, n, _ = matrix.shape
    weights = np.asarray(output_weights, dtype=np.float64)
    if weights.ndim == 2:
        weights = np.broadcast_to(weights, (n_patients, *weights.shape))
    if weights.ndim != 3 or weights.shape[0] != n_patients or weights.shape[2] != n:
        raise ValueError(f"output_weights has shape {weights.shape}; expected (O, {n}) or ({n_patients}, O, {n})")
    if not step_min > 0 or n_steps < 0:
        raise ValueError(f"step_min must be > 0 and n_steps >= 0 (got {step_min}, {n_steps})")
    n_outputs = weights.shape[1]
    n_times = n_steps + 1
    if out is None:
        out = np.empty((n_outputs, n_patients, n_times))
    elif out.shape != (n_outputs, n_patients, n_times) or out.dtype != np.float64 or out.strides[2] != 8:
        raise ValueError(f"out must be float64 of shape ({n_outputs}, {n_patients}, {n_times}) with unit stride in time")
    pieces = _pieces(events, n_patients, n)
    inputs = tuple(sorted({c for piece in pieces for c, _ in (*piece.boluses, *piece.rates)}))
    outputs = tuple(int(c) for c in np.flatnonzero(np.any(weights != 0, axis=(0, 1))))
    pattern = np.any(matrix != 0, axis=0)
    plan = _plan(pattern.tobytes(), n, inputs, outputs)
    bounds = [*range(0, n_patients, max(1, chunk_size)), n_patients]
    chunks = list(zip(bounds[:-1], bounds[1:], strict=True))

    def work(chunk: tuple[int, int]) -> np.ndarray:
        lo, hi = chunk
        return lo + _simulate_chunk(
            matrix[lo:hi], pieces, plan, inputs, outputs, lo, hi, step_min, n_times, weights[lo:hi], out[:, lo:hi]
        )

    if threads <= 1 or len(chunks) == 1:
        unreliable = [work(chunk) for chunk in chunks]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            unreliable = list(pool.map(work, chunks))
    bad = np.concatenate(unreliable)
    if bad.size:
        # Nearly coincident eigenvalues: recompute these few patients with the reference solver.
        amounts = solve_expm(matrix[bad], _pieces_to_events(pieces, bad), grid_times_min(step_min, n_steps))
        out[:, bad, :] = np.einsum("pon,ptn->opt", weights[bad], amounts)
    return out


def _simulate_chunk(
    matrix: np.ndarray,
    all_pieces: list[_Piece],
    plan: _Plan,
    inputs: tuple[int, ...],
    outputs: tuple[int, ...],
    lo: int,
    hi: int,
    step_min: float,
    n_times: int,
    weights: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Evaluate patients ``lo:hi`` into ``out`` (O, p, T); return the local indices left to the fallback."""
    n_patients = hi - lo
    with np.errstate(all="ignore"):  # unreliable patients may produce inf/nan; they are recomputed below
        lam, residues, unreliable = _residues(matrix, plan, inputs, outputs)
        n_modes = lam.shape[1]
        # Residues of the weighted outputs: (p, O, I, J).
        weighted = np.einsum("pox,pxij->poij", weights[:, :, list(outputs)], residues)
        # Per-piece amplitudes a and offsets rho, per input and mode: (p, I, J).
        starts = np.array([piece.start_min for piece in all_pieces])
        amplitudes, offsets, has_rate = [], [], []
        previous_a = previous_rho = np.zeros((n_patients, len(inputs), n_modes))
        for index, piece in enumerate(all_pieces):
            kick = np.zeros((n_patients, len(inputs)))
            rate = np.zeros((n_patients, len(inputs)))
            for compartment, amount in piece.boluses:
                kick[:, inputs.index(compartment)] += amount[lo:hi]
            for compartment, value in piece.rates:
                rate[:, inputs.index(compartment)] += value[lo:hi]
            rho = rate[:, :, None] / lam[:, None, :]
            if index == 0:
                state = np.zeros_like(rho)
            else:
                decay = np.exp(lam * (starts[index] - starts[index - 1]))
                state = decay[:, None, :] * previous_a - previous_rho
            previous_a = state + kick[:, :, None] + rho
            previous_rho = rho
            amplitudes.append(previous_a)
            offsets.append(rho)
            has_rate.append(bool(piece.rates))

        row = max(1, int(round(math.sqrt(n_times))))
        max_rate = float(np.nanmax(np.abs(np.where(unreliable[:, None], 0.0, lam)))) if n_modes else 0.0
        if max_rate * row * step_min > _MAX_EXPONENT:
            row = max(1, int(_MAX_EXPONENT / (max_rate * step_min)))
        n_rows = -(-n_times // row)
        full_rows = n_times // row
        row_starts = np.arange(n_rows) * row * step_min
        piece_of_row = np.searchsorted(starts, row_starts + _TIME_TOLERANCE_MIN, side="right") - 1
        last_piece = len(all_pieces) - 1
        first_free_row = int(np.searchsorted(piece_of_row, last_piece, side="left"))
        # Rows up to the last one that starts in a piece with an input rate carry a constant column.
        rate_rows = [m for m in range(n_rows) if has_rate[piece_of_row[m]]]
        constant_rows = min(full_rows, rate_rows[-1] + 1) if rate_rows else 0

        ratio = np.exp(lam * step_min)
        basis = np.empty((n_patients, n_modes + 1, row))
        basis[:, :n_modes, :] = _geometric(ratio, row)
        basis[:, n_modes, :] = 1.0
        row_ratio = np.exp(lam * (row * step_min))

        for o in range(len(weights[0])):
            target = out[o]
            coefficient = [(weighted[:, o] * a).sum(axis=1) for a in amplitudes]  # (p, J) per piece
            constant = [-(weighted[:, o] * rho).sum(axis=(1, 2)) for rho in offsets]  # (p,) per piece
            rows = np.empty((n_patients, n_modes + 1, n_rows))  # transposed G, one column per row
            for m in range(min(first_free_row, n_rows)):
                index = piece_of_row[m]
                rows[:, :n_modes, m] = coefficient[index] * np.exp(lam * (row_starts[m] - starts[index]))
                rows[:, n_modes, m] = constant[index]
            if first_free_row < n_rows:
                first = coefficient[last_piece] * np.exp(lam * (row_starts[first_free_row] - starts[last_piece]))
                rows[:, :n_modes, first_free_row:] = first[:, :, None] * _geometric(row_ratio, n_rows - first_free_row)
                rows[:, n_modes, first_free_row:] = constant[last_piece][:, None]
            view = np.lib.stride_tricks.as_strided(
                target, shape=(n_patients, full_rows, row), strides=(target.strides[0], row * 8, 8), writeable=True
            )
            g = rows.transpose(0, 2, 1)
            if constant_rows:
                np.matmul(g[:, :constant_rows, :], basis, out=view[:, :constant_rows, :])
            if constant_rows < full_rows:
                np.matmul(g[:, constant_rows:full_rows, :n_modes], basis[:, :n_modes, :], out=view[:, constant_rows:, :])
            if full_rows < n_rows:
                remainder = n_times - full_rows * row
                target[:, full_rows * row :] = np.einsum("pj,pjq->pq", rows[:, :, full_rows], basis[:, :, :remainder])
            # Patch rows that contain the start of a later piece.
            for index in range(1, len(all_pieces)):
                m = int(starts[index] // (row * step_min))
                if m >= n_rows:
                    continue
                first_column = m * row + int(math.ceil((starts[index] - row_starts[m]) / step_min - 1e-9))
                last_column = min(m * row + row, n_times)
                if starts[index] - row_starts[m] <= _TIME_TOLERANCE_MIN or first_column >= last_column:
                    continue
                patch = np.empty((n_patients, n_modes + 1))
                patch[:, :n_modes] = coefficient[index] * np.exp(lam * (row_starts[m] - starts[index]))
                patch[:, n_modes] = constant[index]
                columns = slice(first_column - m * row, last_column - m * row)
                target[:, first_column:last_column] = np.einsum("pj,pjq->pq", patch, basis[:, :, columns])
    return np.flatnonzero(unreliable)


def _pieces_to_events(pieces: list[_Piece], patients: np.ndarray) -> list[Event]:
    """Rebuild events for a subset of patients from the piece list (used by the expm fallback)."""
    events: list[Event] = []
    for index, piece in enumerate(pieces):
        for compartment, amount in piece.boluses:
            events.append(Bolus(piece.start_min, compartment, amount[patients]))
        if index + 1 < len(pieces):
            length = pieces[index + 1].start_min - piece.start_min
            for compartment, rate in piece.rates:
                events.append(ZeroOrderInput(piece.start_min, length, compartment, rate[patients] * length))
    return events
