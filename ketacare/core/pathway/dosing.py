"""Plausible dosing: what a nurse may record only with a written reason.

- an infusion stopped before :data:`EARLY_STOP_FRACTION` of its planned duration (the dose recorded is
  what was delivered, rate x time: :func:`delivered_mg`);
- a total outside the protocol's dose range (protocols.toml ``dose_bounds``);
- an esketamine total the label does not allow for this patient: 56 or 84 mg; 28 mg only for the
  age-65-and-over start [MIMS-HK] or a patient of Japanese ancestry (label practice the clinic confirms).

The 5-minute wait between nasal devices is a hard rule and is not checked here (the service refuses it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ketacare.core.protocols import get_protocol

# Clinic practice: an infusion stopped before 80% of its planned time is an early stop that needs a reason.
EARLY_STOP_FRACTION = 0.8


@dataclass(frozen=True)
class Plausibility:
    """``needs_reason`` when any issue applies; each issue is (code, message)."""

    issues: tuple[tuple[str, str], ...]

    @property
    def needs_reason(self) -> bool:
        """Whether the entry may be recorded only with a written reason."""
        return bool(self.issues)


def _number(name: str, value: float, *, low: float = 0.0) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < low
    ):
        raise ValueError(f"{name} {value!r} must be a number, {low:g} or more")
    return float(value)


def delivered_mg(planned_mg: float, planned_minutes: float, actual_minutes: float) -> float:
    """The dose an infusion at a constant rate delivered in ``actual_minutes`` (rate x time, 0.01 mg)."""
    planned = _number("planned_mg", planned_mg)
    minutes = _number("planned_minutes", planned_minutes)
    actual = _number("actual_minutes", actual_minutes)
    if minutes <= 0:
        raise ValueError("planned_minutes must be above 0")
    return round(planned * min(actual, minutes) / minutes, 2)


def dose_plausibility(
    protocol_id: str,
    *,
    total_mg: float,
    weight_kg: float | None = None,
    age_years: int | None = None,
    japanese_ancestry: bool = False,
    finished: bool = False,
    planned_minutes: float | None = None,
    actual_minutes: float | None = None,
) -> Plausibility:
    """The issues that make a dose entry need a written reason (empty when plausible).

    ``finished`` marks the end of dosing (the esketamine label total applies to the whole session).
    ``planned_minutes``/``actual_minutes`` describe an infusion being stopped.
    """
    protocol = get_protocol(protocol_id)
    total = _number("total_mg", total_mg)
    issues: list[tuple[str, str]] = []
    bounds = protocol.dose_bounds
    if protocol.dose.basis == "mg_per_kg":
        if weight_kg is None:
            raise ValueError("weight_kg is required for a weight-based protocol")
        weight = _number("weight_kg", weight_kg)
        per_kg = total / weight
        low, high = bounds.min_mg_per_kg or 0.0, bounds.max_mg_per_kg or math.inf
        if not low <= round(per_kg, 4) <= high:
            issues.append(
                (
                    "out_of_range",
                    f"{total:g} mg is {per_kg:.2f} mg/kg for {weight:g} kg; protocol {protocol.id} allows "
                    f"{low:g}–{high:g} mg/kg ({low * weight:.1f}–{high * weight:.1f} mg)",
                )
            )
    elif bounds.max_mg is not None and (total > bounds.max_mg or (finished and total < (bounds.min_mg or 0))):
        issues.append(
            (
                "out_of_range",
                f"{total:g} mg total is outside the protocol's range {bounds.min_mg:g}–{bounds.max_mg:g} mg",
            )
        )
    if finished and protocol.device is not None:
        allowed: set[int] = set()
        if age_years is not None:
            rule = protocol.first_dose_for_age(age_years)
            if rule is not None:
                allowed = {rule.first_dose_mg, *rule.later_doses_mg}
        if not allowed:
            allowed = {
                d
                for r in protocol.first_doses
                for d in r.later_doses_mg
                if d != protocol.device.mg_per_device
            }
        if japanese_ancestry:
            allowed.add(protocol.device.mg_per_device)
        if round(total) not in allowed or not math.isclose(total, round(total)):
            listed = " or ".join(f"{d} mg" for d in sorted(allowed))
            issues.append(
                (
                    "label_total",
                    f"{total:g} mg is not a total the label allows for this patient ({listed}; 28 mg only for "
                    "the age-65-and-over or Japanese-ancestry start)",
                )
            )
    if planned_minutes is not None and actual_minutes is not None:
        planned = _number("planned_minutes", planned_minutes)
        actual = _number("actual_minutes", actual_minutes)
        if planned > 0 and actual < EARLY_STOP_FRACTION * planned:
            issues.append(
                (
                    "early_stop",
                    f"stopped after {actual:.0f} of {planned:.0f} planned min (before "
                    f"{EARLY_STOP_FRACTION:.0%}, clinic practice)",
                )
            )
    return Plausibility(issues=tuple(issues))
