"""dose_mg and esketamine_devices: arithmetic from the label and the trials, and input validation."""

from __future__ import annotations

import math

import pytest

from ketacare.core.course import dose_mg, esketamine_devices


def test_standard_iv_dose_for_70_kg_is_35_mg():
    assert dose_mg(0.5, 70) == 35.0


@pytest.mark.parametrize(("mg_per_kg", "weight_kg"), [(0.1, 20), (0.5, 63.4), (0.75, 88.8), (1.0, 350)])
def test_the_dose_is_the_product_rounded_to_a_hundredth_of_a_milligram(mg_per_kg, weight_kg):
    assert dose_mg(mg_per_kg, weight_kg) == pytest.approx(round(mg_per_kg * weight_kg, 2), abs=1e-9)


def test_a_dose_above_the_iv_bounds_names_the_value_and_range():
    with pytest.raises(
        ValueError, match=r"mg_per_kg 5 is out of range for protocol 'iv_ketamine'; expected 0.1-1"
    ):
        dose_mg(5, 70)


def test_a_dose_below_the_iv_bounds_is_rejected():
    with pytest.raises(ValueError, match="mg_per_kg 0.05 is out of range"):
        dose_mg(0.05, 70)


def test_oral_bounds_apply_for_the_oral_protocol():
    assert dose_mg(2.0, 70, protocol_id="oral_ketamine") == 140.0
    with pytest.raises(ValueError, match="expected 0.25-7"):
        dose_mg(8, 70, protocol_id="oral_ketamine")


@pytest.mark.parametrize("weight_kg", [0, 15, 400, -70])
def test_an_implausible_weight_names_the_value_and_range(weight_kg):
    with pytest.raises(ValueError, match=f"weight_kg {weight_kg:g} is out of range; expected 20-350"):
        dose_mg(0.5, weight_kg)


@pytest.mark.parametrize("bad", [math.nan, math.inf, True, "70"])
def test_a_weight_that_is_not_a_finite_number_is_rejected(bad):
    with pytest.raises(ValueError, match="weight_kg must be a finite number"):
        dose_mg(0.5, bad)


def test_a_fixed_dose_protocol_has_no_weight_based_dose():
    with pytest.raises(ValueError, match="protocol 'esketamine_trd' is dosed in fixed mg"):
        dose_mg(0.5, 70, protocol_id="esketamine_trd")


@pytest.mark.parametrize(("dose", "devices"), [(28, 1), (56, 2), (84, 3), (56.0, 2)])
def test_each_esketamine_device_delivers_28_mg(dose, devices):
    assert esketamine_devices(dose) == devices


@pytest.mark.parametrize("dose", [50, 30, 70.5])
def test_an_esketamine_dose_that_is_not_a_multiple_of_28_mg_is_rejected(dose):
    with pytest.raises(
        ValueError, match=f"dose_mg {dose:g} is not a multiple of 28 mg \\(one device\\); allowed: 28, 56, 84"
    ):
        esketamine_devices(dose)


@pytest.mark.parametrize("dose", [0, 112])
def test_an_esketamine_dose_outside_28_to_84_mg_is_rejected(dose):
    with pytest.raises(ValueError, match=f"dose_mg {dose} is out of range 28-84 mg"):
        esketamine_devices(dose)
