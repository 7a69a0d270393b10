"""The compiled kernels against the NumPy formulation they replace, and against mathematics.

``compiled_modes`` (the engine's call of ``kernels.star_modes``) must give the eigenvalues and
residues that the whole-array ``numpy_modes`` gives (the NumPy path stays for blocks that are
not stars); the eigenvalues must be those of the rate matrix (LAPACK), and ``kernels.march``
must be repeated multiplication by the transition matrix.
"""

from __future__ import annotations

import numpy as np
import pytest

from ketacare.core.pk import kernels
from ketacare.core.pk.engine.blocks import dosed_compartments, modal_plan, output_compartments
from ketacare.core.pk.engine.events import split_into_pieces
from ketacare.core.pk.engine.modal import compiled_modes, numpy_modes
from ketacare.core.pk.models import Covariates, get_model
from ketacare.core.pk.population import Regimen


def _system(name: str, regimen: Regimen, keys: tuple[str, ...], n_patients: int, seed: int):
    model = get_model(name)
    etas = model.sample_etas(np.random.default_rng(seed), n_patients)
    params = model.individual_parameters(Covariates(), etas)
    matrix = model.rate_matrix_per_min(params)
    events = model.dosing_events(regimen.route, regimen.dose_mg, params, regimen.infusion_min)
    weights = model.output_weights(params, keys)
    n = matrix.shape[1]
    inputs = dosed_compartments(split_into_pieces(events, n_patients, n))
    outputs = output_compartments(weights)
    plan = modal_plan(matrix, inputs, outputs)
    return matrix, plan, inputs, outputs


def _compiled(matrix, plan, inputs, outputs):
    modes = compiled_modes(matrix, plan, inputs, outputs)
    assert modes is not None, "every block of these models is a star"
    return modes


@pytest.mark.parametrize(
    ("name", "regimen", "keys"),
    [
        ("perez_ruixo_2021", Regimen("intranasal", 84), ("parent", "metabolite", "effect_site")),
        ("perez_ruixo_2021", Regimen("oral", 84), ("parent", "metabolite")),
        ("racemic_enantiomers", Regimen("iv", 35, 40), ("parent", "metabolite", "effect_site")),
        ("domino_1982", Regimen("iv", 35, 40), ("parent",)),
    ],
)
def test_the_star_kernel_gives_the_numpy_eigenvalues_and_residues(name, regimen, keys):
    # 77 patients: two full tiles of 32 and a partial one, whose spare lanes must not leak into results.
    matrix, plan, inputs, outputs = _system(name, regimen, keys, n_patients=77, seed=21)
    lam, residues, unreliable = _compiled(matrix, plan, inputs, outputs)
    with np.errstate(all="ignore"):
        lam_np, residues_np, unreliable_np = numpy_modes(matrix, plan, inputs, outputs)
    np.testing.assert_array_equal(unreliable, unreliable_np)
    fine = ~unreliable
    assert fine.sum() >= 70
    np.testing.assert_allclose(lam[fine], lam_np.T[fine], rtol=1e-12, atol=0)
    expected = np.moveaxis(residues_np, 3, 0)[fine]
    np.testing.assert_allclose(residues[fine], expected, rtol=0, atol=1e-11 * np.abs(expected).max())
    # The eigenvalues are those of the rate matrix restricted to the blocks the outputs depend on.
    blocks = sorted({b for b, _ in plan.modes})
    nodes = [c for b in blocks for c in plan.blocks[b].nodes]
    for patient in np.flatnonzero(fine)[:10]:
        exact = np.sort(np.linalg.eigvals(matrix[patient][np.ix_(nodes, nodes)]).real)
        np.testing.assert_allclose(np.sort(lam[patient]), exact, rtol=1e-10)


def test_nearly_coincident_rates_are_flagged_for_the_reference_solver():
    # Absorption rate equal (to 1e-6) to the elimination rate: residues blow up, so the patient is flagged.
    k = 0.05
    matrix = np.zeros((3, 2, 2))
    for patient, ka in enumerate([0.2, k * (1 + 1e-6), 0.01]):
        matrix[patient] = [[-ka, 0.0], [ka, -k]]
    plan = modal_plan(matrix, (0,), (1,))
    _, _, unreliable = _compiled(matrix, plan, (0,), (1,))
    assert unreliable.tolist() == [False, True, False]


def test_march_is_repeated_multiplication_by_the_transition():
    rng = np.random.default_rng(4)
    transition = rng.uniform(0.0, 0.3, (3, 4, 4))
    state = rng.uniform(0.0, 10.0, (3, 4))
    out = np.empty((3, 50, 4))
    kernels.march(transition, state, out)
    expected = np.empty_like(out)
    for patient in range(3):
        x = state[patient]
        for step in range(50):
            expected[patient, step] = x
            x = transition[patient] @ x
    np.testing.assert_allclose(out, expected, rtol=1e-13)
