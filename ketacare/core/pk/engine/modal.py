"""The modal solution: eigenvalues and residues of each input-to-output transfer function, per patient.

Star-shaped (mammillary) blocks have closed-form eigenvalues and transfer functions;
other blocks go through LAPACK. The residues of a route are products along the blocks
it crosses. :func:`compiled_modes` runs the compiled star kernel
(:func:`ketacare.core.pk.kernels.star_modes`); :func:`numpy_modes` is the whole-array
NumPy formulation, used for blocks that are not stars and as the kernel's cross-check.
"""

from __future__ import annotations

import numpy as np

from ketacare.core.pk import kernels
from ketacare.core.pk.engine.blocks import Block, Plan, star_tables

# Relative gap below which two eigenvalues count as coincident. Residues then grow
# like 1/gap and cancel in the sum, so rounding errors grow like eps / gap^2: at
# 1e-4 the sum of exponentials keeps about 8 significant digits; closer pairs
# (a few patients in 100,000 under inter-individual variability) use the expm path.
RELATIVE_EIGENVALUE_GAP = 1e-4


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
    root: np.ndarray = 2 * scale * np.cos(theta - 2 * np.pi * k / 3) - a / 3
    return root


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


class StarSolution:
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

    def __init__(self, matrix: np.ndarray, block: Block) -> None:
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
            unreliable |= np.any(np.diff(d_sorted, axis=0) <= RELATIVE_EIGENVALUE_GAP * scale, axis=0)
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
        result: np.ndarray = 1.0 / sigma
        if into != self.hub:
            leaf = self.leaves.index(into)
            result = result * self.g[leaf] / (points + self.d[leaf])
        if source != self.hub:
            leaf = self.leaves.index(source)
            result = result * self.f[leaf] / (points + self.d[leaf])
            if into == source:
                result = result + 1.0 / (points + self.d[leaf])
        return result


class GeneralSolution:
    """Eigenvalues and transfer functions of a block that is not a star, by LAPACK (complex spectra are unreliable)."""

    def __init__(self, matrix: np.ndarray, block: Block) -> None:
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
        values: np.ndarray = (residues[None, :, :] / (points[:, None, :] - self.eigenvalues[None, :, :])).sum(
            axis=1
        )
        return values


def numpy_modes(
    matrix: np.ndarray, plan: Plan, inputs: tuple[int, ...], outputs: tuple[int, ...]
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
    solutions: dict[int, StarSolution | GeneralSolution] = {}
    for b in used_blocks:
        block = plan.blocks[b]
        solutions[b] = StarSolution(matrix, block) if block.hub >= 0 else GeneralSolution(matrix, block)
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
                    unreliable |= np.any(gaps <= RELATIVE_EIGENVALUE_GAP * scale, axis=(0, 1))
                    term = term * solutions[other_b].value(
                        route.exits[other_k], route.entries[other_k], poles
                    )
                residues[o, i, offsets[b] : offsets[b] + poles.shape[0]] += term
    unreliable |= ~np.all(np.isfinite(residues), axis=(0, 1, 2))
    return eigenvalues, residues, unreliable


def compiled_modes(
    matrix: np.ndarray, plan: Plan, inputs: tuple[int, ...], outputs: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Return eigenvalues (P, J), residues (P, outputs, inputs, J) and the unreliable mask (P,) by the kernel.

    The compiled :func:`ketacare.core.pk.kernels.star_modes` handles star blocks only:
    None when a block the outputs depend on is not a star (then use :func:`numpy_modes`).
    ``matrix`` (P, n, n) must be C-contiguous.
    """
    tables = star_tables(plan, inputs, outputs)
    if tables is None:
        return None
    n_patients = matrix.shape[0]
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
        RELATIVE_EIGENVALUE_GAP,
        lam,
        residues,
        unreliable,
    )
    return lam, residues, unreliable
