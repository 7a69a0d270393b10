"""The PK engine against textbook closed forms: one and two compartments, infusion, first-order absorption.

Both solvers (the modal fast path ``simulate_grid`` and the matrix-exponential
reference ``solve_expm``) must agree with the formulas to near machine
precision, relative to the peak.
"""

from __future__ import annotations

import numpy as np
import pytest

from ketacare.core.pk.engine import Bolus, ZeroOrderInput, grid_times_min, simulate_grid, solve_expm

RTOL = 1e-10


def _close(actual: np.ndarray, expected: np.ndarray, rtol: float = RTOL) -> None:
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rtol * scale)


def _one_compartment(k_per_min: np.ndarray) -> np.ndarray:
    return -np.asarray(k_per_min, dtype=float)[:, None, None]


def test_one_compartment_bolus_is_a_single_exponential():
    k = np.array([0.01, 0.05, 0.3])
    volume_l = np.array([50.0, 120.0, 300.0])
    dose_mg = 35.0
    times = grid_times_min(1.0, 600)
    expected = dose_mg / volume_l[:, None] * np.exp(-k[:, None] * times) * 1000
    weights = (1000 / volume_l)[:, None, None]
    fast = simulate_grid(
        _one_compartment(k), [Bolus(0.0, 0, dose_mg)], step_min=1.0, n_steps=600, output_weights=weights
    )
    _close(fast[0], expected)
    reference = (
        solve_expm(_one_compartment(k), [Bolus(0.0, 0, dose_mg)], times)[:, :, 0] * 1000 / volume_l[:, None]
    )
    _close(reference, expected)


def test_one_compartment_infusion_rises_then_decays_as_the_closed_form():
    k = np.array([0.004, 0.02])
    volume_l = np.array([250.0, 90.0])
    dose_mg, duration_min = 35.0, 40.0
    rate = dose_mg / duration_min
    times = grid_times_min(0.5, 960)
    plateau = rate / (k[:, None] * volume_l[:, None])
    during = plateau * (1 - np.exp(-k[:, None] * times))
    at_end = plateau * (1 - np.exp(-k[:, None] * duration_min))
    after = at_end * np.exp(-k[:, None] * (times - duration_min))
    expected = np.where(times <= duration_min, during, after) * 1000
    events = [ZeroOrderInput(0.0, duration_min, 0, dose_mg)]
    weights = (1000 / volume_l)[:, None, None]
    fast = simulate_grid(_one_compartment(k), events, step_min=0.5, n_steps=960, output_weights=weights)
    _close(fast[0], expected)
    reference = solve_expm(_one_compartment(k), events, times)[:, :, 0] * 1000 / volume_l[:, None]
    _close(reference, expected)


def test_first_order_absorption_follows_the_bateman_function():
    ka = np.array([0.05, 0.02, 0.2])
    k = np.array([0.01, 0.03, 0.002])
    volume_l = 100.0
    dose_mg, fraction = 84.0, 0.64
    matrix = np.zeros((3, 2, 2))
    matrix[:, 0, 0] = -ka
    matrix[:, 1, 0] = ka
    matrix[:, 1, 1] = -k
    times = grid_times_min(1.0, 1440)
    expected = (
        fraction * dose_mg * ka[:, None] / (volume_l * (ka[:, None] - k[:, None]))
        * (np.exp(-k[:, None] * times) - np.exp(-ka[:, None] * times))
    ) * 1000  # fmt: skip
    events = [Bolus(0.0, 0, fraction * dose_mg)]
    fast = simulate_grid(
        matrix, events, step_min=1.0, n_steps=1440, output_weights=np.array([[0.0, 1000 / volume_l]])
    )
    _close(fast[0], expected)


def test_equal_absorption_and_elimination_rates_use_the_confluent_limit():
    # ka = k makes the two eigenvalues coincide; the modal path hands these patients to expm,
    # and the answer is the limit F D k t e^{-kt} / V.
    k = np.array([0.02, 0.07])
    matrix = np.zeros((2, 2, 2))
    matrix[:, 0, 0] = -k
    matrix[:, 1, 0] = k
    matrix[:, 1, 1] = -k
    times = grid_times_min(1.0, 720)
    expected = 28.0 * k[:, None] * times * np.exp(-k[:, None] * times) / 50.0 * 1000
    fast = simulate_grid(
        matrix, [Bolus(0.0, 0, 28.0)], step_min=1.0, n_steps=720, output_weights=np.array([[0.0, 20.0]])
    )
    _close(fast[0], expected, rtol=1e-9)


@pytest.mark.parametrize("step_min", [1.0, 0.25, 5.0])
def test_two_compartment_bolus_is_the_biexponential_closed_form(step_min):
    k10, k12, k21 = np.array([0.03, 0.1]), np.array([0.05, 0.4]), np.array([0.02, 0.08])
    v1_l, dose_mg = 40.0, 17.5
    total = k10 + k12 + k21
    root = np.sqrt(total**2 - 4 * k10 * k21)
    alpha, beta = (total + root) / 2, (total - root) / 2
    n_steps = int(1440 / step_min)
    times = grid_times_min(step_min, n_steps)
    expected = (
        dose_mg / v1_l
        * ((alpha - k21)[:, None] / (alpha - beta)[:, None] * np.exp(-alpha[:, None] * times)
           + (k21 - beta)[:, None] / (alpha - beta)[:, None] * np.exp(-beta[:, None] * times))
    ) * 1000  # fmt: skip
    matrix = np.zeros((2, 2, 2))
    matrix[:, 0, 0] = -(k10 + k12)
    matrix[:, 1, 0] = k12
    matrix[:, 0, 1] = k21
    matrix[:, 1, 1] = -k21
    weights = np.array([[1000 / v1_l, 0.0]])
    fast = simulate_grid(
        matrix, [Bolus(0.0, 0, dose_mg)], step_min=step_min, n_steps=n_steps, output_weights=weights
    )
    _close(fast[0], expected)
    reference = solve_expm(matrix, [Bolus(0.0, 0, dose_mg)], times)[:, :, 0] * 1000 / v1_l
    _close(reference, expected)


def test_a_bolus_at_a_grid_time_is_included_in_that_value():
    matrix = _one_compartment(np.array([0.01]))
    fast = simulate_grid(
        matrix, [Bolus(30.0, 0, 10.0)], step_min=1.0, n_steps=60, output_weights=np.array([[1.0]])
    )
    assert fast[0, 0, 29] == 0.0
    assert fast[0, 0, 30] == pytest.approx(10.0, rel=1e-12)


def test_events_before_time_zero_or_without_duration_are_rejected():
    matrix = _one_compartment(np.array([0.01]))
    with pytest.raises(ValueError, match="negative"):
        simulate_grid(
            matrix, [Bolus(-1.0, 0, 1.0)], step_min=1.0, n_steps=5, output_weights=np.array([[1.0]])
        )
    with pytest.raises(ValueError, match="duration"):
        solve_expm(matrix, [ZeroOrderInput(0.0, 0.0, 0, 1.0)], [0.0, 1.0])
    with pytest.raises(ValueError, match="compartment"):
        solve_expm(matrix, [Bolus(0.0, 3, 1.0)], [0.0, 1.0])


def test_no_dose_gives_zero_concentrations():
    matrix = _one_compartment(np.array([0.01, 0.02]))
    result = simulate_grid(matrix, [], step_min=1.0, n_steps=10, output_weights=np.array([[1.0]]))
    assert result.shape == (1, 2, 11) and not result.any()


def test_an_output_no_dose_reaches_stays_zero():
    matrix = np.zeros((1, 2, 2))
    matrix[:, 0, 0] = -0.1
    matrix[:, 1, 1] = -0.2  # two separate compartments
    result = simulate_grid(
        matrix, [Bolus(0.0, 0, 5.0)], step_min=1.0, n_steps=10, output_weights=np.array([[0.0, 1.0]])
    )
    assert not result.any()


def test_the_fallback_for_coincident_rates_ignores_compartments_off_the_route():
    # Compartment 2 is dosed but feeds no output; the confluent answer for compartment 1 is unchanged.
    k = np.array([0.03])
    matrix = np.zeros((1, 3, 3))
    matrix[:, 0, 0] = -k
    matrix[:, 1, 0] = k
    matrix[:, 1, 1] = -k
    matrix[:, 2, 2] = -0.5
    times = grid_times_min(1.0, 300)
    expected = 10.0 * k[:, None] * times * np.exp(-k[:, None] * times)
    events = [Bolus(0.0, 0, 10.0), Bolus(0.0, 2, 99.0)]
    fast = simulate_grid(
        matrix, events, step_min=1.0, n_steps=300, output_weights=np.array([[0.0, 1.0, 0.0]])
    )
    _close(fast[0], expected, rtol=1e-9)
