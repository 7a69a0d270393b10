"""Doses of a course: weight-based amounts, esketamine device counts, and the dose of each planned session."""

from __future__ import annotations

from ketacare.core.course.checks import check_number
from ketacare.core.course.steps import (
    PlanFinding,
    allowed_at_session,
    describe_doses,
    first_dose_rule,
    step_note,
)
from ketacare.core.protocols import FirstDoseRule, Protocol, get_protocol

# Plausible body weight, for input validation only (not a clinical limit): catches pounds typed as kilograms
# and missing digits.
WEIGHT_KG_RANGE = (20.0, 350.0)


def join_notes(first: str, second: str) -> str:
    """Join two notes of a session with a space, either of which may be empty."""
    return f"{first} {second}".strip()


class SessionDoses:
    """The dose, dose rule and note of each session number, for one protocol and patient."""

    def __init__(
        self,
        protocol: Protocol,
        *,
        age_years: int | None,
        weight_kg: float | None,
        mg_per_kg: float | None,
        populations: frozenset[str] = frozenset(),
    ) -> None:
        self.protocol = protocol
        self.first_dose: FirstDoseRule | None = None
        self.findings: list[PlanFinding] = []
        if protocol.dose.min_age_years is not None or protocol.first_doses:
            if age_years is None:
                raise ValueError(
                    f"age_years is required for protocol {protocol.id!r} (the first dose depends on age)"
                )
            minimum = protocol.dose.min_age_years
            if minimum is not None and age_years < minimum:
                raise ValueError(
                    f"age_years {age_years} is below {minimum}, the minimum for protocol {protocol.id!r}"
                )
            self.first_dose, self.findings = first_dose_rule(protocol, age_years, populations)
        self.per_kg: float | None = None
        self.amount: float | None = None
        if protocol.dose.basis == "mg_per_kg":
            self.per_kg = mg_per_kg if mg_per_kg is not None else protocol.dose.standard_mg_per_kg
            if self.per_kg is not None and weight_kg is not None:
                self.amount = dose_mg(self.per_kg, weight_kg, protocol_id=protocol.id)
            elif self.per_kg is not None:
                _check_mg_per_kg(protocol, self.per_kg)
            elif weight_kg is not None:
                _check_weight(weight_kg)
        else:
            if mg_per_kg is not None or weight_kg is not None:
                raise ValueError(
                    f"protocol {protocol.id!r} has fixed doses in mg; mg_per_kg and weight_kg do not apply"
                )
            self.amount = protocol.dose.standard_mg

    def for_session(self, number: int) -> tuple[float | None, str, str]:
        protocol = self.protocol
        if self.first_dose is not None:
            device = protocol.device
            # Label steps: 28 mg at a time, 84 mg only after 56 mg, so session 2 after a 28 mg start
            # offers 28 or 56 mg, never 84 mg [HCP-Dose3] [MIMS-HK].
            later = describe_doses(allowed_at_session(protocol, self.first_dose, number))
            steps = step_note(protocol)
            if number == 1:
                rule = f"{self.first_dose.first_dose_mg} mg (day 1)"
                note = self.first_dose.cited.note
                if device is not None:
                    note = join_notes(
                        note, _device_note(self.first_dose.first_dose_mg, device.wait_between_devices_minutes)
                    )
                return float(self.first_dose.first_dose_mg), rule, note
            return None, f"{later} (prescriber decides" + (f"; {steps})" if steps else ")"), ""
        if protocol.dose.basis == "mg_per_kg":
            if self.per_kg is None:
                return None, "mg/kg dose set by the prescriber", ""
            rule = f"{self.per_kg:g} mg/kg"
            if protocol.dose.infusion_minutes is not None:
                rule += f" over {protocol.dose.infusion_minutes} min"
            return self.amount, rule, ""
        if self.amount is not None:
            return self.amount, f"{self.amount:g} mg", ""
        return None, "dose in mg set by the prescriber", ""


def _device_note(amount_mg: int, wait_minutes: int) -> str:
    devices = esketamine_devices(amount_mg)
    plural = "s" if devices > 1 else ""
    if devices == 1:
        return f"{devices} device{plural}."
    return f"{devices} device{plural}, {wait_minutes} min between devices."


def dose_mg(mg_per_kg: float, weight_kg: float, *, protocol_id: str = "iv_ketamine") -> float:
    """Weight-based dose in mg: ``mg_per_kg * weight_kg``, rounded to 0.01 mg.

    ``mg_per_kg`` must lie in the protocol's dose bounds (IV ketamine 0.1-1.0 mg/kg [Andrade2017]
    [Fava2018]); ``weight_kg`` in the plausible range :data:`WEIGHT_KG_RANGE`. 0.5 mg/kg for 70 kg is 35 mg
    [Murrough2013a]. Raises ValueError naming the value and the allowed range.
    """
    protocol = get_protocol(protocol_id)
    if protocol.dose.basis != "mg_per_kg":
        raise ValueError(f"protocol {protocol.id!r} is dosed in fixed mg, not mg/kg")
    _check_mg_per_kg(protocol, mg_per_kg)
    _check_weight(weight_kg)
    return round(mg_per_kg * weight_kg, 2)


def _check_mg_per_kg(protocol: Protocol, mg_per_kg: float) -> None:
    value = check_number("mg_per_kg", mg_per_kg)
    low, high = protocol.dose_bounds.min_mg_per_kg, protocol.dose_bounds.max_mg_per_kg
    assert low is not None and high is not None  # noqa: S101 - the loader requires them for mg/kg protocols
    if not low <= value <= high:
        raise ValueError(
            f"mg_per_kg {value:g} is out of range for protocol {protocol.id!r}; expected {low:g}-{high:g}"
        )


def _check_weight(weight_kg: float) -> None:
    value = check_number("weight_kg", weight_kg)
    low, high = WEIGHT_KG_RANGE
    if not low <= value <= high:
        raise ValueError(f"weight_kg {value:g} is out of range; expected {low:g}-{high:g}")


def esketamine_devices(dose_mg: float) -> int:
    """Number of 28-mg nasal spray devices for an esketamine dose (each device is 2 sprays) [HCP-Dose3].

    56 mg is 2 devices, 84 mg is 3. Raises ValueError for a dose that is not a multiple of 28 mg or is
    outside the label's 28-84 mg.
    """
    protocol = get_protocol("esketamine_trd")
    device = protocol.device
    low, high = protocol.dose_bounds.min_mg, protocol.dose_bounds.max_mg
    assert device is not None and low is not None and high is not None  # noqa: S101 - present in the data
    value = check_number("dose_mg", dose_mg)
    allowed = ", ".join(str(n) for n in range(int(low), int(high) + 1, device.mg_per_device))
    if value % device.mg_per_device:
        raise ValueError(
            f"dose_mg {value:g} is not a multiple of {device.mg_per_device} mg (one device); allowed: {allowed}"
        )
    if not low <= value <= high:
        raise ValueError(f"dose_mg {value:g} is out of range {low:g}-{high:g} mg; allowed: {allowed}")
    return int(value // device.mg_per_device)
