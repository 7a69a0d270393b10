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
  (:mod:`ketacare.core.pk.kernels`), so a value costs one multiply-add per mode.
  Patients whose eigenvalues nearly coincide (where sums of exponentials lose
  precision) are recomputed with :func:`solve_expm`.

Modules: :mod:`.events` (the inputs, checked and cut into pieces of constant
input), :mod:`.reference` (the matrix-exponential solver and the fallback),
:mod:`.blocks` (the plan: blocks and routes), :mod:`.modal` (eigenvalues and
residues per patient) and :mod:`.grid` (the fast path on a uniform grid).

Shapes: ``n_patients`` = P, ``n_compartments`` = n, outputs = O, time points = T.
Units: time in minutes, amounts in mg, rates in mg/min, rate constants in 1/min.
"""

from __future__ import annotations

from ketacare.core.pk.engine.events import Bolus, Event, ZeroOrderInput, grid_times_min, subset_events
from ketacare.core.pk.engine.grid import simulate_grid, simulate_grid_partial
from ketacare.core.pk.engine.reference import fill_from_reference, solve_expm

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
