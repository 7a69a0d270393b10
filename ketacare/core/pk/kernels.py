"""Compiled inner loops of the PK fast path (numba): modes of star-shaped blocks and the grid evaluation.

:mod:`ketacare.core.pk.engine` prepares the plan (blocks, routes), the inputs per
piece and the exponentials in NumPy, and calls these kernels chunk by chunk; they
release the GIL, so chunks run on all cores. Everything here works one patient at
a time, so the result of a patient does not depend on which chunk or thread it
was computed in.

- :func:`star_modes` finds, per patient, the eigenvalues of every star
  (mammillary) block and the residues of every input-to-output transfer function,
  exactly as ``engine.modal.StarSolution`` and ``engine.modal.numpy_modes`` do with whole-array
  NumPy operations (those stay as the general path and as the cross-check in the
  tests).
- :func:`evaluate` turns modes, residues and inputs into the outputs on the grid.
  Each output is a sum of exponentials on every interval between events; the grid
  is cut into rows of ``ROW_LENGTH`` points, and a row is ``const + sum_j g_j H_jq``
  with ``H_jq = e^{lambda_j q step}`` (built by repeated multiplication once per
  patient) and ``g_j`` advanced by ``e^{lambda_j ROW_LENGTH step}`` from row to
  row. With the number of modes a compile-time constant the sum over modes is
  unrolled and the loop along the row vectorised, so a value costs about one
  multiply-add per mode spread over the vector lanes and is written once.
  Rounding: each factor is the product of at most ``ROW_LENGTH`` + (number of
  rows) correctly rounded terms, a relative error of about 1e-13, far below the
  1e-10 the tests require.
- :func:`march` steps the reference solver's free decay after the last event.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["ROW_LENGTH", "star_modes", "evaluate", "march"]

# Points per row. Long rows amortise the row set-up; short rows keep the basis (modes x row) in the
# L1 cache next to the row being written. 48 was fastest on the development machine (bench/bench_pk.py).
ROW_LENGTH = 48
# Newton stops when a step changes the root by less than this relative amount; the error after such a
# step is of the order of its square, far below rounding.
_NEWTON_RELATIVE_STEP = 1e-9
_NEWTON_MAX_STEPS = 100
# Patients per tile in star_modes. LLVM's loop vectoriser leaves loops with a constant trip count
# below 4 x the vector width alone (8 or 16 lanes compiled to scalar divisions here); 32 is vectorised.
_LANES = 32


@njit(nogil=True, cache=True, error_model="numpy")
def star_modes(  # noqa: PLR0912, PLR0913, PLR0915 - one fused pass per tile of patients is the point
    matrix: np.ndarray,
    hubs: np.ndarray,
    n_leaves: np.ndarray,
    leaves: np.ndarray,
    mode_offsets: np.ndarray,
    route_output: np.ndarray,
    route_input: np.ndarray,
    route_length: np.ndarray,
    route_blocks: np.ndarray,
    route_entries: np.ndarray,
    route_exits: np.ndarray,
    relative_gap: float,
    lam: np.ndarray,
    residues: np.ndarray,
    unreliable: np.ndarray,
) -> None:
    """Fill eigenvalues ``lam`` (P, J), residues (P, X, I, J) and ``unreliable`` (P,) for star blocks.

    ``matrix`` (P, n, n) is the rate matrix in 1/min. Block ``k`` has hub
    ``hubs[k]`` and leaves ``leaves[k, :n_leaves[k]]``; its modes are
    ``mode_offsets[k] ...``. Route ``r`` runs from input ``route_input[r]`` to
    output ``route_output[r]`` through blocks ``route_blocks[r, :route_length[r]]``,
    entering each at ``route_entries`` and leaving at ``route_exits``
    (compartments). A patient is unreliable when its leaf outflows, or the poles of
    two blocks on one route, nearly coincide (relative gap below ``relative_gap``),
    when a block is not dissipative, or when a residue is not finite.

    Patients are taken ``_LANES`` at a time with the loop over them innermost, so
    the compiler turns the divisions of Newton's method and of the transfer
    functions into vector instructions (one patient at a time, they form a chain
    of dependent divisions and dominate the run time). Each patient's Newton
    iteration stops on its own convergence test, so a result does not depend on
    which patients share its tile.
    """
    n_patients, n_compartments, _ = matrix.shape
    n_blocks = hubs.shape[0]
    width = max(1, leaves.shape[1])
    n_modes = lam.shape[1]
    n_routes = route_output.shape[0]
    n_outputs = residues.shape[1]
    n_inputs = residues.shape[2]
    lanes = _LANES
    leaf_position = np.full(n_compartments, -1, np.int64)
    for block in range(n_blocks):
        for leaf in range(n_leaves[block]):
            leaf_position[leaves[block, leaf]] = leaf
    d0 = np.empty((n_blocks, lanes))
    d = np.zeros((n_blocks, width, lanes))
    g = np.zeros((n_blocks, width, lanes))
    f = np.zeros((n_blocks, width, lanes))
    b = np.zeros((n_blocks, width, lanes))
    sorted_d = np.empty((width, lanes))
    sorted_b = np.empty((width, lanes))
    roots = np.empty((n_modes, lanes))
    inverse_slope = np.empty((n_modes, lanes))
    own = np.empty((n_outputs, n_inputs, n_modes, lanes))
    bad = np.empty(lanes)  # 1.0 where the patient is unreliable
    scale = np.empty(lanes)
    upper = np.empty(lanes)
    lower = np.empty(lanes)
    flow_sum = np.empty(lanes)
    x = np.empty(lanes)
    hi = np.empty(lanes)
    lo = np.empty(lanes)
    upper_pole = np.empty(lanes)
    lower_pole = np.empty(lanes)
    value = np.empty(lanes)
    slope = np.empty(lanes)
    active = np.empty(lanes)
    links = np.empty(lanes)
    term = np.empty(lanes)
    sigma = np.empty(lanes)
    for first in range(0, n_patients, lanes):
        count = min(lanes, n_patients - first)
        for lane in range(lanes):
            bad[lane] = 0.0
        for block in range(n_blocks):
            hub = hubs[block]
            m = n_leaves[block]
            offset = mode_offsets[block]
            # Lanes past the last patient repeat it; their results are not stored.
            for lane in range(lanes):
                d0[block, lane] = -matrix[first + min(lane, count - 1), hub, hub]
            for leaf in range(m):
                c = leaves[block, leaf]
                for lane in range(lanes):
                    patient = first + min(lane, count - 1)
                    d[block, leaf, lane] = -matrix[patient, c, c]
                    g[block, leaf, lane] = matrix[patient, c, hub]
                    f[block, leaf, lane] = matrix[patient, hub, c]
                    b[block, leaf, lane] = f[block, leaf, lane] * g[block, leaf, lane]
            if m == 0:
                for lane in range(lanes):
                    roots[offset, lane] = -d0[block, lane]
                    inverse_slope[offset, lane] = 1.0
                    bad[lane] = bad[lane] if d0[block, lane] > 0.0 else 1.0
                continue
            # Leaf outflows ascending (poles -d descending), with b alongside: insertion sort per patient.
            for lane in range(lanes):
                for leaf in range(m):
                    value_d = d[block, leaf, lane]
                    value_b = b[block, leaf, lane]
                    position = leaf
                    while position > 0 and sorted_d[position - 1, lane] > value_d:
                        sorted_d[position, lane] = sorted_d[position - 1, lane]
                        sorted_b[position, lane] = sorted_b[position - 1, lane]
                        position -= 1
                    sorted_d[position, lane] = value_d
                    sorted_b[position, lane] = value_b
            for lane in range(lanes):
                scale[lane] = d0[block, lane]
                flow_sum[lane] = 0.0
                upper[lane] = -math.inf
                lower[lane] = math.inf
            for leaf in range(m):
                for lane in range(lanes):
                    scale[lane] = max(scale[lane], d[block, leaf, lane])
                    flow_sum[lane] += f[block, leaf, lane]
                    upper[lane] = max(upper[lane], f[block, leaf, lane] - d[block, leaf, lane])
                    lower[lane] = min(lower[lane], -d[block, leaf, lane] - g[block, leaf, lane])
                    bad[lane] = bad[lane] if b[block, leaf, lane] > 0.0 else 1.0
            for leaf in range(1, m):
                for lane in range(lanes):
                    close = sorted_d[leaf, lane] - sorted_d[leaf - 1, lane] <= relative_gap * scale[lane]
                    bad[lane] = 1.0 if close else bad[lane]
            # Gershgorin bounds for the outer roots; root r lies between poles -sorted_d[r-1] and -sorted_d[r].
            for lane in range(lanes):
                upper[lane] = max(upper[lane], -d0[block, lane] + flow_sum[lane])
                lower[lane] = min(lower[lane], -d0[block, lane] - flow_sum[lane])
            for r in range(m + 1):
                has_upper = r > 0
                has_lower = r < m
                for lane in range(lanes):
                    hi[lane] = -sorted_d[r - 1, lane] if has_upper else upper[lane]
                    lo[lane] = -sorted_d[r, lane] if has_lower else lower[lane]
                    upper_pole[lane] = hi[lane]
                    lower_pole[lane] = lo[lane]
                    x[lane] = 0.5 * (lo[lane] + hi[lane])
                    active[lane] = 1.0
                for _ in range(_NEWTON_MAX_STEPS):
                    # Newton on sigma(x) (x - upper pole)(x - lower pole): clearing the bracketing poles
                    # makes the function smooth on the bracket, and Newton converges quadratically.
                    for lane in range(lanes):
                        value[lane] = x[lane] + d0[block, lane]
                        slope[lane] = 1.0
                    for leaf in range(m):
                        for lane in range(lanes):
                            inverse = 1.0 / (x[lane] + sorted_d[leaf, lane])
                            t = sorted_b[leaf, lane] * inverse
                            value[lane] -= t
                            slope[lane] += t * inverse
                    remaining = 0.0
                    for lane in range(lanes):
                        now = x[lane]
                        above = now - upper_pole[lane] if has_upper else 1.0
                        below = now - lower_pole[lane] if has_lower else 1.0
                        factor = above * below
                        factor_slope = (below if has_upper else 0.0) + (above if has_lower else 0.0)
                        positive = value[lane] > 0.0
                        new_hi = now if positive else hi[lane]
                        new_lo = lo[lane] if positive else now
                        step = value[lane] * factor / (slope[lane] * factor + value[lane] * factor_slope)
                        candidate = now - step
                        inside = candidate >= new_lo and candidate <= new_hi
                        candidate = candidate if inside else 0.5 * (new_lo + new_hi)
                        converged = abs(candidate - now) <= _NEWTON_RELATIVE_STEP * abs(now)
                        moving = active[lane] > 0.0
                        hi[lane] = new_hi if moving else hi[lane]
                        lo[lane] = new_lo if moving else lo[lane]
                        x[lane] = candidate if moving else now
                        active[lane] = 0.0 if (converged or not moving) else 1.0
                    # A separate loop: a floating-point sum inside the one above would keep it scalar.
                    for lane in range(lanes):
                        remaining = max(remaining, active[lane])
                    if remaining == 0.0:
                        break
                for lane in range(lanes):
                    slope[lane] = 1.0
                for leaf in range(m):
                    for lane in range(lanes):
                        distance = x[lane] + d[block, leaf, lane]
                        slope[lane] += b[block, leaf, lane] / (distance * distance)
                for lane in range(lanes):
                    roots[offset + r, lane] = x[lane]
                    inverse_slope[offset + r, lane] = 1.0 / slope[lane]
                    fine = x[lane] < 0.0 and math.isfinite(inverse_slope[offset + r, lane])
                    bad[lane] = bad[lane] if fine else 1.0
        for lane in range(lanes):
            scale[lane] = 0.0
        for mode in range(n_modes):
            for lane in range(lanes):
                scale[lane] = max(scale[lane], abs(roots[mode, lane]))
        own[...] = 0.0
        for route in range(n_routes):
            length = route_length[route]
            for lane in range(lanes):
                links[lane] = 1.0
            for step_index in range(length - 1):
                into_next = route_entries[route, step_index + 1]
                out_of = route_exits[route, step_index]
                for lane in range(lanes):
                    links[lane] *= matrix[first + min(lane, count - 1), into_next, out_of]
            for step_index in range(length):
                block = route_blocks[route, step_index]
                into = route_exits[route, step_index]
                source = route_entries[route, step_index]
                into_leaf = -1 if into == hubs[block] else leaf_position[into]
                source_leaf = -1 if source == hubs[block] else leaf_position[source]
                offset = mode_offsets[block]
                for r in range(n_leaves[block] + 1):
                    mode = offset + r
                    for lane in range(lanes):
                        term[lane] = inverse_slope[mode, lane] * links[lane]
                    if into_leaf >= 0:
                        for lane in range(lanes):
                            term[lane] *= g[block, into_leaf, lane] / (
                                roots[mode, lane] + d[block, into_leaf, lane]
                            )
                    if source_leaf >= 0:
                        for lane in range(lanes):
                            term[lane] *= f[block, source_leaf, lane] / (
                                roots[mode, lane] + d[block, source_leaf, lane]
                            )
                    for other_step in range(length):
                        if other_step == step_index:
                            continue
                        other = route_blocks[route, other_step]
                        other_offset = mode_offsets[other]
                        other_m = n_leaves[other]
                        for other_r in range(other_m + 1):
                            for lane in range(lanes):
                                gap = abs(roots[mode, lane] - roots[other_offset + other_r, lane])
                                bad[lane] = 1.0 if gap <= relative_gap * scale[lane] else bad[lane]
                        # H[into, source] of the other block at this pole, as in
                        # engine.modal.StarSolution.value.
                        other_into = route_exits[route, other_step]
                        other_source = route_entries[route, other_step]
                        other_into_leaf = -1 if other_into == hubs[other] else leaf_position[other_into]
                        other_source_leaf = -1 if other_source == hubs[other] else leaf_position[other_source]
                        for lane in range(lanes):
                            sigma[lane] = roots[mode, lane] + d0[other, lane]
                        for leaf in range(other_m):
                            for lane in range(lanes):
                                sigma[lane] -= b[other, leaf, lane] / (
                                    roots[mode, lane] + d[other, leaf, lane]
                                )
                        for lane in range(lanes):
                            sigma[lane] = 1.0 / sigma[lane]
                        if other_into_leaf >= 0:
                            for lane in range(lanes):
                                sigma[lane] *= g[other, other_into_leaf, lane] / (
                                    roots[mode, lane] + d[other, other_into_leaf, lane]
                                )
                        if other_source_leaf >= 0:
                            for lane in range(lanes):
                                distance = roots[mode, lane] + d[other, other_source_leaf, lane]
                                sigma[lane] *= f[other, other_source_leaf, lane] / distance
                            if other_into_leaf == other_source_leaf:
                                for lane in range(lanes):
                                    distance = roots[mode, lane] + d[other, other_source_leaf, lane]
                                    sigma[lane] += 1.0 / distance
                        for lane in range(lanes):
                            term[lane] *= sigma[lane]
                    o = route_output[route]
                    i = route_input[route]
                    for lane in range(lanes):
                        own[o, i, mode, lane] += term[lane]
                        bad[lane] = bad[lane] if math.isfinite(term[lane]) else 1.0
        for lane in range(count):
            patient = first + lane
            unreliable[patient] = bad[lane] > 0.0
            for mode in range(n_modes):
                lam[patient, mode] = -1.0 if bad[lane] > 0.0 else roots[mode, lane]
            for o in range(n_outputs):
                for i in range(n_inputs):
                    for mode in range(n_modes):
                        residues[patient, o, i, mode] = own[o, i, mode, lane]


@njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})
def evaluate(  # noqa: PLR0913 - the kernel's inputs are separate arrays on purpose (no Python objects)
    modes: tuple[int, ...],
    lam: np.ndarray,
    residues: np.ndarray,
    exponentials: np.ndarray,
    kicks: np.ndarray,
    rates: np.ndarray,
    weights: np.ndarray,
    first_columns: np.ndarray,
    skip: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write one output (P, T) of every patient not in ``skip`` onto the grid.

    All inputs keep patients first, so that one patient's numbers are contiguous:
    ``lam`` (P, J) and ``residues`` (P, X, I, J) come from :func:`star_modes` (or
    the NumPy general path); ``weights`` (P, X) weigh the output compartments;
    ``kicks`` and ``rates`` (P, pieces, I) are the boluses at and the input rates
    during each piece; ``first_columns`` (pieces,) is the first grid column of
    each piece. ``exponentials`` (1 + 2 * pieces, P, J) holds ``e^{lambda h}`` for
    ``h`` = the grid step (index 0), then for piece k the time since the previous
    piece's start (index 1 + 2k, unused for the first piece) and the time from the
    piece's start to its first column (index 2 + 2k).

    ``modes`` is any tuple of J integers: its length is part of its type, so the
    kernel is compiled once per number of modes with J a constant. The compiler
    then unrolls the sum over modes and vectorises the loop along the row (a sum
    over a run-time number of modes is a reduction it leaves scalar). Rows are
    filled through a slice starting at the piece's first column, so every index
    is provably non-negative and numba's negative-index check, which would keep
    the loop scalar, drops out.
    """
    n_modes = len(modes)
    n_patients, n_times = out.shape
    _, n_pieces, n_inputs = kicks.shape
    n_output_compartments = weights.shape[1]
    basis = np.empty((n_modes, ROW_LENGTH))
    ratio = np.empty(n_modes)
    inverse_lam = np.empty(n_modes)
    amplitude = np.zeros((n_inputs, n_modes))
    offset = np.zeros((n_inputs, n_modes))
    weighted = np.empty((n_inputs, n_modes))
    coefficient = np.empty(n_modes)
    for p in range(n_patients):
        if skip[p]:
            continue
        # Powers of e^{lambda step}, one column at a time so that the modes' multiplication chains interleave.
        for j in range(n_modes):
            basis[j, 0] = 1.0
            inverse_lam[j] = 1.0 / lam[p, j]
        for q in range(1, ROW_LENGTH):
            for j in range(n_modes):
                basis[j, q] = basis[j, q - 1] * exponentials[0, p, j]
        for j in range(n_modes):
            ratio[j] = basis[j, ROW_LENGTH - 1] * exponentials[0, p, j]
        for i in range(n_inputs):
            for j in range(n_modes):
                total = 0.0
                for x in range(n_output_compartments):
                    total += weights[p, x] * residues[p, x, i, j]
                weighted[i, j] = total
        for piece in range(n_pieces):
            # Modal amplitudes a and offsets rho = rate / lambda of this piece, from the previous piece's.
            for i in range(n_inputs):
                for j in range(n_modes):
                    rho = rates[p, piece, i] * inverse_lam[j]
                    value = kicks[p, piece, i] + rho
                    if piece:
                        value += exponentials[1 + 2 * piece, p, j] * amplitude[i, j] - offset[i, j]
                    amplitude[i, j] = value
                    offset[i, j] = rho
            first = first_columns[piece]
            stop = first_columns[piece + 1] if piece + 1 < n_pieces else n_times
            if first >= stop:
                continue
            constant = 0.0
            for j in range(n_modes):
                total = 0.0
                for i in range(n_inputs):
                    total += weighted[i, j] * amplitude[i, j]
                    constant -= weighted[i, j] * offset[i, j]
                coefficient[j] = total * exponentials[2 + 2 * piece, p, j]
            segment = out[p, first:stop]
            n_values = segment.shape[0]
            t = 0
            while t < n_values:
                count = min(ROW_LENGTH, n_values - t)
                for q in range(count):
                    total = constant
                    for j in range(n_modes):
                        total += coefficient[j] * basis[j, q]
                    segment[t + q] = total
                for j in range(n_modes):
                    coefficient[j] *= ratio[j]
                t += ROW_LENGTH


@njit(nogil=True, cache=True, error_model="numpy")
def march(transition: np.ndarray, state: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (P, T, n) with ``x_t = transition^t x_0`` per patient, ``state`` (P, n) being ``x_0``.

    The free decay after the last event on a uniform grid, for the reference
    solver: one small matrix-vector product per step (``n^2`` multiply-adds), in
    place of powers of the transition and a large batched product, which allocate
    several arrays of the output's size.
    """
    n_patients, n_times, n = out.shape
    current = np.empty(n)
    following = np.empty(n)
    for p in range(n_patients):
        for i in range(n):
            current[i] = state[p, i]
        for t in range(n_times):
            for i in range(n):
                out[p, t, i] = current[i]
            for i in range(n):
                total = 0.0
                for j in range(n):
                    total += transition[p, i, j] * current[j]
                following[i] = total
            for i in range(n):
                current[i] = following[i]
