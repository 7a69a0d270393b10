"""The PK engine against an independent ODE solve, mass balance and the superposition of doses.

The reference integrates ``dx/dt = K x + u`` with SciPy's DOP853 at rtol 1e-12,
interval by interval between events, without using any of the engine's
decompositions.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ketacare.core.pk.engine import Bolus, ZeroOrderInput, grid_times_min, simulate_grid, solve_expm
from ketacare.core.pk.models import Covariates, get_model
from ketacare.core.pk.population import Regimen


def _ivp_reference(matrix: np.ndarray, events, times: np.ndarray) -> np.ndarray:
    """Amounts (P, T, n) by DOP853 (rtol 1e-12), restarted at every event and output time.

    Restarting at each output time keeps the answer at the solver's step accuracy
    (its dense-output interpolant is only good to about 1e-9 here).
    """
    n_patients, n, _ = matrix.shape
    marks = {float(t) for t in times}
    for event in events:
        if isinstance(event, Bolus):
            marks.add(float(event.time_min))
        else:
            marks.update({float(event.start_min), float(event.start_min + event.duration_min)})
    edges = sorted(m for m in marks if m <= times[-1])
    wanted = {float(t): k for k, t in enumerate(times)}
    result = np.empty((n_patients, times.size, n))
    for patient in range(n_patients):
        state = np.zeros(n)
        for index, start in enumerate(edges):
            for event in events:
                if isinstance(event, Bolus) and abs(event.time_min - start) < 1e-9:
                    state[event.compartment] += np.broadcast_to(event.amount_mg, (n_patients,))[patient]
            if start in wanted:
                result[patient, wanted[start]] = state
            if index + 1 == len(edges):
                break
            end = edges[index + 1]
            rate = np.zeros(n)
            for event in events:
                if (
                    isinstance(event, ZeroOrderInput)
                    and event.start_min <= start + 1e-9
                    and event.start_min + event.duration_min >= end - 1e-9
                ):
                    rate[event.compartment] += (
                        np.broadcast_to(event.amount_mg, (n_patients,))[patient] / event.duration_min
                    )
            solution = solve_ivp(
                lambda _t, x, k=matrix[patient], u=rate: k @ x + u,
                (start, end),
                state,
                method="DOP853",
                rtol=1e-12,
                atol=1e-15,
            )
            state = solution.y[:, -1]
    return result


def _model_system(name: str, regimen: Regimen, n_patients: int, seed: int):
    model = get_model(name)
    etas = model.sample_etas(np.random.default_rng(seed), n_patients)
    params = model.individual_parameters(Covariates(), etas)
    matrix = model.rate_matrix_per_min(params)
    events = model.dosing_events(regimen.route, regimen.dose_mg, params, regimen.infusion_min)
    return model, params, matrix, events


@pytest.mark.parametrize(
    ("name", "regimen"),
    [
        ("perez_ruixo_2021", Regimen("intranasal", 84)),
        ("perez_ruixo_2021", Regimen("iv", 28, 40)),
        ("perez_ruixo_2021", Regimen("oral", 84)),
        ("racemic_enantiomers", Regimen("iv", 35, 40)),
        ("domino_1982", Regimen("iv", 35, 40)),
    ],
)
def test_every_compartment_matches_an_independent_ode_solve(name, regimen):
    model, params, matrix, events = _model_system(name, regimen, n_patients=4, seed=11)
    times = grid_times_min(1.0, 300)
    expected = _ivp_reference(matrix, events, times)
    n = matrix.shape[1]
    fast = simulate_grid(matrix, events, step_min=1.0, n_steps=300, output_weights=np.eye(n))
    amounts = np.moveaxis(fast, 0, 2)
    for compartment in range(n):
        scale = np.abs(expected[:, :, compartment]).max()
        np.testing.assert_allclose(
            amounts[:, :, compartment], expected[:, :, compartment], rtol=0, atol=1e-10 * scale
        )
    reference = solve_expm(matrix, events, times)
    np.testing.assert_allclose(reference, expected, rtol=0, atol=1e-10 * np.abs(expected).max())


def test_a_block_that_is_not_a_star_uses_the_general_eigen_solver():
    # A ring 0 -> 1 -> 2 -> 0 with elimination and a back-flow is strongly connected but not mammillary.
    rng = np.random.default_rng(5)
    matrix = np.zeros((3, 3, 3))
    for patient in range(3):
        k01, k12, k20, k10, ke = rng.uniform(0.01, 0.2, 5)
        matrix[patient] = [[-k01 - ke, k10, k20], [k01, -k12 - k10, 0.0], [0.0, k12, -k20]]
    events = [ZeroOrderInput(0.0, 30.0, 0, 20.0), Bolus(45.0, 1, 5.0)]
    times = grid_times_min(1.0, 300)
    expected = _ivp_reference(matrix, events, times)
    fast = simulate_grid(matrix, events, step_min=1.0, n_steps=300, output_weights=np.eye(3))
    np.testing.assert_allclose(np.moveaxis(fast, 0, 2), expected, rtol=0, atol=1e-10 * np.abs(expected).max())


def test_mass_is_conserved_between_compartments_and_elimination():
    model, params, matrix, events = _model_system(
        "perez_ruixo_2021", Regimen("intranasal", 56), n_patients=6, seed=3
    )
    n = matrix.shape[1]
    mass = [i for i, name in enumerate(model.compartments) if name != "effect_site"]
    # Append a sink compartment that receives every elimination flux.
    with_sink = np.zeros((matrix.shape[0], n + 1, n + 1))
    with_sink[:, :n, :n] = matrix
    with_sink[:, n, mass] = -matrix[:, mass][:, :, mass].sum(axis=1)
    with_sink[:, n, model.compartment("effect_site")] = 0.0
    times = grid_times_min(1.0, 1440)
    amounts = solve_expm(with_sink, events, times)
    delivered = np.zeros((matrix.shape[0], times.size))
    for event in events:
        amount = np.broadcast_to(event.amount_mg, (matrix.shape[0],))[:, None]
        if isinstance(event, Bolus):
            delivered += amount * (times >= event.time_min)
        else:
            delivered += amount * np.clip((times - event.start_min) / event.duration_min, 0.0, 1.0)
    total = amounts[:, :, mass].sum(axis=2) + amounts[:, :, n]
    np.testing.assert_allclose(total, delivered, rtol=0, atol=1e-11 * delivered.max())
    # The fast path gives the same amounts, so it conserves mass too.
    fast = simulate_grid(matrix, events, step_min=1.0, n_steps=1440, output_weights=np.eye(n))
    np.testing.assert_allclose(
        np.moveaxis(fast, 0, 2)[:, :, mass], amounts[:, :, mass], rtol=0, atol=1e-10 * delivered.max()
    )


def test_two_doses_give_the_sum_of_their_separate_responses():
    model, params, matrix, _ = _model_system(
        "racemic_enantiomers", Regimen("iv", 35, 40), n_patients=5, seed=8
    )
    weights = model.output_weights(params, ("parent", "metabolite", "effect_site"))
    first = model.dosing_events("iv", 35.0, params, 40.0)
    second = [ZeroOrderInput(180.0, 40.0, e.compartment, e.amount_mg) for e in first]

    def run(events):
        return simulate_grid(matrix, events, step_min=1.0, n_steps=1440, output_weights=weights)

    together, alone_first, alone_second = run(first + second), run(first), run(second)
    scale = np.abs(together).max()
    np.testing.assert_allclose(together, alone_first + alone_second, rtol=0, atol=1e-11 * scale)
    # Time invariance: the later dose is the first one shifted by 180 min.
    np.testing.assert_allclose(
        alone_second[:, :, 180:], alone_first[:, :, : 1441 - 180], rtol=0, atol=1e-11 * scale
    )
    assert np.all(alone_second[:, :, :180] == 0.0)


def test_threads_and_chunks_do_not_change_the_result():
    _, params, matrix, events = _model_system(
        "perez_ruixo_2021", Regimen("intranasal", 56), n_patients=300, seed=4
    )
    weights = get_model("perez_ruixo_2021").output_weights(params, ("parent", "metabolite"))
    one = simulate_grid(matrix, events, step_min=1.0, n_steps=1440, output_weights=weights)
    many = simulate_grid(
        matrix, events, step_min=1.0, n_steps=1440, output_weights=weights, threads=3, chunk_size=37
    )
    np.testing.assert_array_equal(one, many)
