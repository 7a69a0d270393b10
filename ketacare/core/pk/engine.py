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
    "ModalDecomposition",
    "decompose",
    "solve_expm",
    "simulate_grid",
    "grid_times_min",
]

# Relative gap below which two eigenvalues count as coincident: the modal
# coefficients then grow like 1/gap and cancel, so the expm path is used.
_RELATIVE_EIGENVALUE_GAP = 1e-7
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
# Modal decomposition with closed forms for mammillary blocks
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModalDecomposition:
    """Eigen-decomposition ``K = V diag(lambda) W`` of a batch of rate matrices, with ``W = V^-1``.

    ``eigenvalues_per_min`` has shape (P, n); ``right`` (V) and ``left`` (W) have
    shape (P, n, n); ``unreliable`` (P,) marks patients whose decomposition is
    ill-conditioned (coincident or non-negative eigenvalues), for which the
    callers fall back to :func:`solve_expm`.
    """

    eigenvalues_per_min: np.ndarray
    right: np.ndarray
    left: np.ndarray
    unreliable: np.ndarray


@dataclass(frozen=True)
class _Block:
    """A strongly connected set of compartments, in the permuted (topological) order."""

    start: int
    size: int
    hub: int  # local index of the star's hub, or -1 when the block is not a star


@dataclass(frozen=True)
class _Structure:
    permutation: tuple[int, ...]
    blocks: tuple[_Block, ...]


@lru_cache(maxsize=64)
def _structure(pattern_bytes: bytes, n: int) -> _Structure:
    """Find the strongly connected blocks of the flow graph, upstream first, and mark star blocks."""
    pattern = np.frombuffer(pattern_bytes, dtype=bool).reshape(n, n)
    successors = [[i for i in range(n) if i != j and pattern[i, j]] for j in range(n)]
    # Tarjan's algorithm; it emits components downstream first.
    index_of: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[list[int]] = []
    counter = [0]

    def visit(node: int) -> None:
        index_of[node] = low[node] = counter[0]
        counter[0] += 1
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
            components.append(sorted(component))

    for node in range(n):
        if node not in index_of:
            visit(node)
    components.reverse()
    permutation: list[int] = []
    blocks = []
    for component in components:
        blocks.append(_Block(len(permutation), len(component), _star_hub(pattern, component)))
        permutation += component
    return _Structure(tuple(permutation), tuple(blocks))


def _star_hub(pattern: np.ndarray, component: list[int]) -> int:
    """Return the local index of the hub if ``component`` is a star (mammillary), else -1."""
    if len(component) == 1:
        return 0
    for local, hub in enumerate(component):
        leaves = [c for c in component if c != hub]
        linked = all(pattern[leaf, hub] and pattern[hub, leaf] for leaf in leaves)
        isolated = not any(pattern[a, b] for a in leaves for b in leaves if a != b)
        if linked and isolated:
            return local
    return -1


def _polynomial_roots_real(coefficients: np.ndarray) -> np.ndarray:
    """Return the real roots of monic polynomials of degree 2-4 with all roots real, descending.

    ``coefficients`` has shape (P, degree) and holds ``c[k]`` of
    ``x^degree + sum_k c[k] x^(degree-1-k)``. Closed forms: quadratic formula,
    the trigonometric cubic (Viete), and Ferrari's quartic through its resolvent
    cubic. These are starting points; the caller polishes them with Newton steps.
    """
    degree = coefficients.shape[1]
    if degree == 2:
        b, c = coefficients[:, 0], coefficients[:, 1]
        root = np.sqrt(np.maximum(b * b - 4 * c, 0.0))
        # Avoid cancellation: q = -(b + sign(b) sqrt(disc)) / 2, roots q and c / q.
        q = -0.5 * (b + np.copysign(root, b))
        with np.errstate(divide="ignore", invalid="ignore"):
            other = np.where(q != 0, c / q, 0.0)
        return -np.sort(-np.stack([q, other], axis=1), axis=1)
    if degree == 3:
        a, b, c = coefficients[:, 0], coefficients[:, 1], coefficients[:, 2]
        p = b - a * a / 3
        q = 2 * a**3 / 27 - a * b / 3 + c
        scale = np.sqrt(np.maximum(-p / 3, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            argument = np.where(scale > 0, -q / (2 * scale**3), 0.0)
        theta = np.arccos(np.clip(argument, -1.0, 1.0)) / 3
        roots = np.stack([2 * scale * np.cos(theta - 2 * np.pi * k / 3) for k in range(3)], axis=1)
        return -np.sort(-(roots - a[:, None] / 3), axis=1)
    if degree == 4:
        a3, a2, a1, a0 = (coefficients[:, k] for k in range(4))
        p = a2 - 3 * a3**2 / 8
        q = a1 - a3 * a2 / 2 + a3**3 / 8
        r = a0 - a3 * a1 / 4 + a3**2 * a2 / 16 - 3 * a3**4 / 256
        # Resolvent cubic in m: m^3 + p m^2 + (p^2/4 - r) m - q^2/8 = 0; take its largest root.
        resolvent = np.stack([p, p * p / 4 - r, -q * q / 8], axis=1)
        m = np.maximum(_polynomial_roots_real(resolvent)[:, 0], 1e-300)
        s = np.sqrt(2 * m)
        half = p / 2 + m
        correction = q / (2 * s)
        roots = []
        for sign in (1.0, -1.0):
            # y^2 + sign*s*y + (half - sign*correction) = 0
            bq = sign * s
            cq = half - sign * correction
            disc = np.sqrt(np.maximum(bq * bq - 4 * cq, 0.0))
            roots += [(-bq + disc) / 2, (-bq - disc) / 2]
        return -np.sort(-(np.stack(roots, axis=1) - a3[:, None] / 4), axis=1)
    raise ValueError(f"no closed form for degree {degree}")


def _star_eigen(block: np.ndarray, hub: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Eigen-decompose star-shaped (mammillary) blocks of shape (P, s, s); return lambda, V, W, unreliable.

    With hub outflow ``d0``, leaf outflows ``d_l``, hub-to-leaf rates ``g_l`` and
    leaf-to-hub rates ``f_l``, the eigenvalues solve the secular equation
    ``lambda + d0 - sum_l f_l g_l / (lambda + d_l) = 0``; they are real and
    interlace with the poles ``-d_l``. Right eigenvectors are ``v_hub = 1,
    v_l = g_l / (lambda + d_l)``; left ones ``u_l = f_l u_hub / (lambda + d_l)``
    with ``u_hub = 1 / (1 + sum_l f_l g_l / (lambda + d_l)^2)`` so that ``W V = I``.
    Roots start from the closed-form characteristic polynomial (degree <= 4) or
    the interval midpoints, then are polished by bracketed Newton steps.
    """
    n_patients, size, _ = block.shape
    leaves = [k for k in range(size) if k != hub]
    d0 = -block[:, hub, hub]
    if size == 1:
        eigenvalues = -d0[:, None]
        ones = np.ones((n_patients, 1, 1))
        return eigenvalues, ones, ones.copy(), ~(eigenvalues[:, 0] < 0)
    d = -block[:, leaves, leaves]  # (P, m)
    g = block[:, leaves, hub]  # hub -> leaf
    f = block[:, hub, leaves]  # leaf -> hub
    b = f * g
    m = len(leaves)
    order = np.argsort(d, axis=1)
    d_sorted = np.take_along_axis(d, order, axis=1)
    b_sorted = np.take_along_axis(b, order, axis=1)
    scale = np.maximum(np.abs(d).max(axis=1), np.abs(d0))
    unreliable = np.any(b <= 0, axis=1) | np.any(
        np.diff(d_sorted, axis=1) <= _RELATIVE_EIGENVALUE_GAP * scale[:, None], axis=1
    )

    # Brackets: root k lies between the k-th and (k+1)-th pole (poles -d sorted descending);
    # the outer ones are bounded by Gershgorin discs.
    upper_bound = np.maximum(-d0 + f.sum(axis=1), (-d + f).max(axis=1))
    lower_bound = np.minimum(-d0 - f.sum(axis=1), (-d - g).min(axis=1))
    los, his = [], []
    for k in range(m + 1):
        his.append(upper_bound if k == 0 else -d_sorted[:, k - 1])
        los.append(-d_sorted[:, k] if k < m else lower_bound)
    lo = np.stack(los, axis=1)
    hi = np.stack(his, axis=1)

    if size <= 4:
        # Characteristic polynomial prod(x + d_all) - sum_l b_l prod_{k != l}(x + d_k), monic.
        poly = np.zeros((n_patients, size + 1))
        poly[:, 0] = 1.0
        poly[:, 1] = d0
        degree = 1
        for leaf in range(m):
            new = poly.copy()
            new[:, 1 : degree + 2] += d[:, leaf, None] * poly[:, : degree + 1]
            poly = new
            degree += 1
        for leaf in range(m):
            partial = np.zeros((n_patients, size + 1))
            partial[:, 0] = 1.0
            deg = 0
            for other in range(m):
                if other == leaf:
                    continue
                new = partial.copy()
                new[:, 1 : deg + 2] += d[:, other, None] * partial[:, : deg + 1]
                partial = new
                deg += 1
            poly[:, 2 : deg + 3] -= b[:, leaf, None] * partial[:, : deg + 1]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            x = _polynomial_roots_real(poly[:, 1:])
        inside = (x > lo) & (x < hi) & np.isfinite(x)
        x = np.where(inside, x, 0.5 * (lo + hi))
    else:
        x = 0.5 * (lo + hi)

    # Bracketed Newton on the secular function with the two bracketing poles cleared,
    # which is smooth on the bracket and converges quadratically.
    upper_pole = np.concatenate([np.full((n_patients, 1), np.nan), -d_sorted], axis=1)
    lower_pole = np.concatenate([-d_sorted, np.full((n_patients, 1), np.nan)], axis=1)
    has_upper = np.arange(m + 1) > 0
    has_lower = np.arange(m + 1) < m
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(60):
            s = x[:, :, None] + d_sorted[:, None, :]
            t = b_sorted[:, None, :] / s
            value = x + d0[:, None] - t.sum(axis=2)
            slope = 1.0 + (t / s).sum(axis=2)
            factor = np.ones_like(x)
            factor_slope = np.zeros_like(x)
            for present, pole in ((has_upper, upper_pole), (has_lower, lower_pole)):
                distance = np.where(present, x - pole, 1.0)
                factor_slope = factor_slope * distance + np.where(present, factor, 0.0)
                factor = factor * distance
            cleared = value * factor
            cleared_slope = slope * factor + value * factor_slope
            positive = value > 0
            hi = np.where(positive, x, hi)
            lo = np.where(positive, lo, x)
            step = cleared / cleared_slope
            x_new = x - step
            outside = ~((x_new >= lo) & (x_new <= hi))
            x_new = np.where(outside, 0.5 * (lo + hi), x_new)
            change = np.abs(x_new - x)
            x = x_new
            if np.all(change <= 1e-15 * np.abs(x)):
                break
    eigenvalues = x  # (P, m+1), descending
    distance = eigenvalues[:, :, None] + d[:, None, :]  # (P, roots, leaves)
    with np.errstate(divide="ignore", invalid="ignore"):
        right_leaf = g[:, None, :] / distance
        hub_left = 1.0 / (1.0 + (b[:, None, :] / distance**2).sum(axis=2))
        left_leaf = f[:, None, :] * hub_left[:, :, None] / distance
    right = np.empty((n_patients, size, m + 1))
    left = np.empty((n_patients, m + 1, size))
    right[:, hub, :] = 1.0
    left[:, :, hub] = hub_left
    for position, leaf in enumerate(leaves):
        right[:, leaf, :] = right_leaf[:, :, position]
        left[:, :, leaf] = left_leaf[:, :, position]
    unreliable |= ~np.all(np.isfinite(right), axis=(1, 2)) | ~np.all(np.isfinite(left), axis=(1, 2))
    unreliable |= ~np.all(eigenvalues < 0, axis=1)
    return eigenvalues, right, left, unreliable


def _general_eigen(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Eigen-decompose arbitrary blocks of shape (P, s, s) with LAPACK; complex spectra count as unreliable."""
    eigenvalues, right = np.linalg.eig(block)
    scale = np.abs(eigenvalues).max(axis=1)
    unreliable = np.any(np.abs(eigenvalues.imag) > 1e-12 * scale[:, None], axis=1)
    eigenvalues = eigenvalues.real
    right = right.real
    with np.errstate(all="ignore"):
        try:
            left = np.linalg.inv(right)
        except np.linalg.LinAlgError:
            left = np.full_like(right, np.nan)
    unreliable |= ~np.all(np.isfinite(left), axis=(1, 2)) | ~np.all(eigenvalues < 0, axis=1)
    return eigenvalues, right, left, unreliable


def decompose(rate_matrix_per_min: np.ndarray) -> ModalDecomposition:
    """Diagonalise a batch of compartmental rate matrices of shape (P, n, n); return a :class:`ModalDecomposition`.

    The flow graph (shared by all patients) is split into strongly connected
    blocks in upstream-to-downstream order, which makes ``K`` block lower
    triangular. Star (mammillary) blocks use the closed forms of
    :func:`_star_eigen`; other blocks use LAPACK. Eigenvectors of the whole
    matrix follow by block back-substitution: for an eigenvalue ``lambda`` of
    block ``a`` the right vector continues into a downstream block ``b`` as
    ``(lambda I - K_bb)^-1 K_b,<b v``, and the left vector into upstream blocks
    symmetrically; distinct eigenvalues make ``W V = I`` hold by construction.
    """
    matrix = _check_rate_matrix(rate_matrix_per_min)
    n_patients, n, _ = matrix.shape
    pattern = np.any(matrix != 0, axis=0)
    structure = _structure(pattern.tobytes(), n)
    permutation = np.array(structure.permutation)
    permuted = matrix[:, permutation][:, :, permutation]
    eigenvalues = np.empty((n_patients, n))
    right = np.zeros((n_patients, n, n))
    left = np.zeros((n_patients, n, n))
    unreliable = np.zeros(n_patients, dtype=bool)
    spans = [slice(block.start, block.start + block.size) for block in structure.blocks]
    for block, span in zip(structure.blocks, spans, strict=True):
        local = permuted[:, span, span]
        if block.hub >= 0:
            values, vectors, inverse, bad = _star_eigen(local, block.hub)
        else:
            values, vectors, inverse, bad = _general_eigen(local)
        eigenvalues[:, span] = values
        right[:, span, span] = vectors
        left[:, span, span] = inverse
        unreliable |= bad
    scale = np.abs(eigenvalues).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Right eigenvectors continue downstream.
        for a, span_a in enumerate(spans):
            lam_a = eigenvalues[:, span_a]
            for b in range(a + 1, len(spans)):
                span_b = spans[b]
                coupling = permuted[:, span_b, span_a.start : span_b.start]
                if not np.any(coupling):
                    continue
                driven = coupling @ right[:, span_a.start : span_b.start, span_a]
                gap = lam_a[:, None, :] - eigenvalues[:, span_b, None]
                unreliable |= np.any(
                    np.abs(gap) <= _RELATIVE_EIGENVALUE_GAP * scale[:, None, None], axis=(1, 2)
                )
                modal = (left[:, span_b, span_b] @ driven) / gap
                right[:, span_b, span_a] = right[:, span_b, span_b] @ modal
        # Left eigenvectors continue upstream.
        for a in range(len(spans) - 1, -1, -1):
            span_a = spans[a]
            lam_a = eigenvalues[:, span_a]
            for c in range(a - 1, -1, -1):
                span_c = spans[c]
                coupling = permuted[:, span_c.stop : span_a.stop, span_c]
                if not np.any(coupling):
                    continue
                driven = left[:, span_a, span_c.stop : span_a.stop] @ coupling
                gap = lam_a[:, :, None] - eigenvalues[:, None, span_c]
                modal = (driven @ right[:, span_c, span_c]) / gap
                left[:, span_a, span_c] = modal @ left[:, span_c, span_c]
    unreliable |= ~np.all(np.isfinite(right), axis=(1, 2)) | ~np.all(np.isfinite(left), axis=(1, 2))
    inverse_permutation = np.argsort(permutation)
    return ModalDecomposition(
        eigenvalues_per_min=eigenvalues,
        right=right[:, inverse_permutation, :],
        left=left[:, :, inverse_permutation],
        unreliable=unreliable,
    )


# --------------------------------------------------------------------------------------
# Fast exact evaluation on a uniform grid
# --------------------------------------------------------------------------------------


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
    """Return outputs ``y = C x`` on the grid ``k * step_min``, k = 0..n_steps, exactly.

    ``rate_matrix_per_min`` has shape (P, n, n); ``output_weights`` (C) has shape
    (O, n) or (P, O, n), e.g. ``1000 / V_central`` on the central compartment
    for a concentration in ng/mL. Returns (or fills ``out``) an array of shape
    (O, P, n_steps + 1). Patients are processed in chunks of ``chunk_size`` on
    ``threads`` threads (NumPy and BLAS release the GIL).

    Method: with ``K = V diag(lambda) W`` (:func:`decompose`) and modal input
    ``v = W u`` constant on a piece starting at ``s``, the modal state is
    ``z(t) = a e^{lambda (t - s)} - v / lambda``. The grid is folded into rows of
    ``B`` points; a row starting at ``r`` gives ``y(r + q h) = sum_j G_j H_jq``
    with ``G_j = (C V)_j a_j e^{lambda_j (r - s)}`` (plus a constant column for
    ``-C V v / lambda``) and ``H_jq = e^{lambda_j q h}``, one small matrix
    product per patient. Rows containing an event time are patched from the
    event onward in the same way.
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
    elif out.shape != (n_outputs, n_patients, n_times) or out.dtype != np.float64:
        raise ValueError(
            f"out has shape {out.shape}; expected ({n_outputs}, {n_patients}, {n_times}) float64"
        )
    pieces = _pieces(events, n_patients, n)
    bounds = list(range(0, n_patients, max(1, chunk_size))) + [n_patients]
    chunks = list(zip(bounds[:-1], bounds[1:], strict=True))

    def work(chunk: tuple[int, int]) -> None:
        lo, hi = chunk
        _simulate_chunk(matrix[lo:hi], pieces, lo, hi, step_min, n_times, weights[lo:hi], out[:, lo:hi])

    if threads <= 1 or len(chunks) == 1:
        for chunk in chunks:
            work(chunk)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(work, chunks))
    return out


def _slice_piece(piece: _Piece, lo: int, hi: int) -> _Piece:
    return _Piece(
        piece.start_min,
        tuple((c, a[lo:hi]) for c, a in piece.boluses),
        tuple((c, r[lo:hi]) for c, r in piece.rates),
    )


def _simulate_chunk(
    matrix: np.ndarray,
    all_pieces: list[_Piece],
    lo: int,
    hi: int,
    step_min: float,
    n_times: int,
    weights: np.ndarray,
    out: np.ndarray,
) -> None:
    """Evaluate one chunk of patients into ``out`` (O, p, T); see :func:`simulate_grid`."""
    pieces = [_slice_piece(piece, lo, hi) for piece in all_pieces]
    modal = decompose(matrix)
    reliable = ~modal.unreliable
    # Unreliable patients get a harmless dummy decomposition here and are overwritten below.
    lam = np.where(reliable[:, None], modal.eigenvalues_per_min, -1.0)
    left = np.where(reliable[:, None, None], modal.left, 0.0)
    right = np.where(reliable[:, None, None], modal.right, 0.0)
    n_patients, n = lam.shape

    # Amplitudes a_i and offsets rho_i = v_i / lambda per piece (P, n).
    amplitudes, offsets = [], []
    state_before = np.zeros((n_patients, n))
    for index, piece in enumerate(pieces):
        if index > 0:
            length = piece.start_min - pieces[index - 1].start_min
            state_before = np.exp(lam * length) * amplitudes[-1] - offsets[-1]
        kick = np.zeros((n_patients, n))
        for compartment, amount in piece.boluses:
            kick += left[:, :, compartment] * amount[:, None]
        modal_rate = np.zeros((n_patients, n))
        for compartment, rate in piece.rates:
            modal_rate += left[:, :, compartment] * rate[:, None]
        offset = modal_rate / lam
        offsets.append(offset)
        amplitudes.append(state_before + kick + offset)

    # Modes that never carry amplitude (e.g. an unused depot) are dropped.
    active = np.flatnonzero(np.any(np.stack(amplitudes) != 0, axis=(0, 1)))
    lam_active = lam[:, active]
    max_rate = float(np.abs(lam_active).max()) if active.size else 0.0
    row = max(1, int(round(math.sqrt(n_times))))
    if max_rate * row * step_min > _MAX_EXPONENT:
        row = max(1, int(_MAX_EXPONENT / (max_rate * step_min)))
    n_rows = -(-n_times // row)
    starts = np.array([piece.start_min for piece in pieces])
    row_starts = np.arange(n_rows) * row * step_min
    piece_of_row = np.searchsorted(starts, row_starts + _TIME_TOLERANCE_MIN, side="right") - 1
    has_rate = [bool(piece.rates) for piece in pieces]

    basis = np.empty((n_patients, active.size + 1, row))
    np.exp(lam_active[:, :, None] * (np.arange(row) * step_min)[None, None, :], out=basis[:, :-1, :])
    basis[:, -1, :] = 1.0

    projected = np.einsum("pon,pnj->poj", weights, right[:, :, active])  # (P, O, J)
    for output in range(weights.shape[1]):
        target = out[output]
        # Coefficient rows G (P, rows, J + 1), one piece at a time.
        coefficients = np.empty((n_patients, n_rows, active.size + 1))
        for index in range(len(pieces)):
            rows = np.flatnonzero(piece_of_row == index)
            if rows.size == 0:
                continue
            elapsed = row_starts[rows] - starts[index]
            growth = np.exp(lam_active[:, None, :] * elapsed[None, :, None])
            coefficients[:, rows, :-1] = (
                projected[:, output, None, :] * amplitudes[index][:, None, active] * growth
            )
            coefficients[:, rows, -1] = -(projected[:, output, :] * offsets[index][:, active]).sum(axis=1)[
                :, None
            ]
        full_rows = n_times // row
        needs_constant = np.array([has_rate[i] for i in piece_of_row])
        # Bulk: full rows, written straight into the output buffer through a strided view.
        view = np.lib.stride_tricks.as_strided(
            target,
            shape=(n_patients, full_rows, row),
            strides=(target.strides[0], row * 8, 8),
            writeable=True,
        )
        if full_rows:
            last_constant = (
                int(np.flatnonzero(needs_constant[:full_rows]).max()) + 1
                if needs_constant[:full_rows].any()
                else 0
            )
            if last_constant:
                np.matmul(coefficients[:, :last_constant, :], basis, out=view[:, :last_constant, :])
            if last_constant < full_rows:
                np.matmul(
                    coefficients[:, last_constant:full_rows, :-1],
                    basis[:, :-1, :],
                    out=view[:, last_constant:, :],
                )
        remainder = n_times - full_rows * row
        if remainder:
            target[:, full_rows * row :] = (coefficients[:, full_rows, None, :] @ basis[:, :, :remainder])[
                :, 0, :
            ]
        # Patch rows that contain a piece start strictly inside them.
        for index in range(1, len(pieces)):
            start = starts[index]
            row_index = int(start // (row * step_min))
            if row_index >= n_rows:
                continue
            offset_min = start - row_starts[row_index]
            first = int(math.ceil(offset_min / step_min - 1e-9))
            if offset_min <= _TIME_TOLERANCE_MIN or first >= row:
                continue
            first_column = row_index * row + first
            last_column = min(row_index * row + row, n_times)
            if first_column >= last_column:
                continue
            shift = np.exp(lam_active * (row_starts[row_index] - start))
            patch = np.empty((n_patients, 1, active.size + 1))
            patch[:, 0, :-1] = projected[:, output, :] * amplitudes[index][:, active] * shift
            patch[:, 0, -1] = -(projected[:, output, :] * offsets[index][:, active]).sum(axis=1)
            width = last_column - first_column
            target[:, first_column:last_column] = (patch @ basis[:, :, first : first + width])[:, 0, :]

    if not np.all(reliable):
        bad = np.flatnonzero(~reliable)
        events = _pieces_to_events(pieces, bad)
        amounts = solve_expm(matrix[bad], events, np.arange(n_times) * step_min)
        out[:, bad, :] = np.einsum("pon,ptn->opt", weights[bad], amounts)


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
