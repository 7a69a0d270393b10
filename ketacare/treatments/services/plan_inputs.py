"""A new plan's inputs checked in words before the core lays it out: the plan gate, the schedule and the
weight-based dose, each refusal naming its field and the allowed range with its unit.

`create_treatment_plan` gathers every refusal of these with its own checks and raises them together
(`errors.InputsRefused`), so the plan form names each mistake at once.
"""

from __future__ import annotations

import math
from typing import Any

from ketacare.core import course
from ketacare.core.protocols import Protocol
from ketacare.lib.errors import ConflictError, FieldError


def check_gate(gate: Any, reason: str) -> None:
    """Refuse a plan the gate does not let through: never past a "not eligible" decision; past a missing
    step only with the prescriber's written reason (the refusal stands on that reason's field)."""
    if gate.blocked:
        raise ConflictError(
            "plan_gate", "A plan cannot be created: " + " ".join(m.message for m in gate.missing)
        )
    if not gate.ok and not reason:
        raise ConflictError(
            "gate_override_reason",
            "A plan needs: "
            + " ".join(m.message for m in gate.missing)
            + " Complete these steps on the intake page, or write the prescriber's reason to plan with a "
            "step missing here (audited, shown on every run-sheet).",
        )


def schedule_errors(
    protocol: Protocol, preset_id: str | None, weekdays: list[int] | None, session_count: int | None
) -> list[FieldError]:
    """The schedule's inputs refused in words: a custom schedule needs its weekdays and number of sessions;
    a fixed one sets the number itself and takes as many weekdays as it has sessions a week."""
    try:
        preset = protocol.preset(preset_id or None)
    except ValueError:
        names = "; ".join(p.name for p in protocol.presets)
        return [
            FieldError(
                "preset_id",
                f"preset_id {preset_id!r} is not a schedule of {protocol.name}; choose one of: {names}",
            )
        ]
    errors: list[FieldError] = []
    days = list(weekdays or [])
    wrong = [d for d in days if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6]
    if wrong:
        errors.append(
            FieldError(
                "weekdays",
                f"weekdays {wrong[0]!r} is not a day of the week; give 0 for Monday up to 6 for Sunday",
            )
        )
    elif len(set(days)) != len(days):
        errors.append(FieldError("weekdays", "weekdays: each day once"))
    elif preset.custom and not days:
        errors.append(
            FieldError(
                "weekdays",
                f"weekdays: the schedule \u201c{preset.name}\u201d is set by the clinic: tick the weekdays its "
                "sessions fall on",
            )
        )
    elif not preset.custom and days and preset.sessions_per_week and len(days) != preset.sessions_per_week:
        errors.append(
            FieldError(
                "weekdays",
                f"weekdays: {preset.name} has {preset.sessions_per_week} session"
                f"{'s' if preset.sessions_per_week != 1 else ''} a week, so tick {preset.sessions_per_week} "
                f"weekday{'s' if preset.sessions_per_week != 1 else ''} ({len(days)} ticked), or none for its "
                "usual days",
            )
        )
    if preset.custom:
        most = preset.max_sessions or 1
        if session_count is None:
            errors.append(
                FieldError(
                    "session_count",
                    f"session_count: the schedule \u201c{preset.name}\u201d is set by the clinic: give the "
                    f"number of sessions, 1 to {most}",
                )
            )
        elif (
            isinstance(session_count, bool)
            or not isinstance(session_count, int)
            or not 1 <= session_count <= most
        ):
            errors.append(
                FieldError(
                    "session_count",
                    f"session_count {session_count!r} is out of range; give 1 to {most} sessions",
                )
            )
    elif session_count is not None:
        errors.append(
            FieldError(
                "session_count",
                f"session_count: {preset.name} sets the number of sessions itself; leave it empty, or choose "
                "a custom schedule",
            )
        )
    return errors


def dose_errors(protocol: Protocol, weight_kg: float | None, mg_per_kg: float | None) -> list[FieldError]:
    """The weight and mg/kg of a weight-based protocol refused in words, each with its unit."""
    if protocol.dose.basis != "mg_per_kg":
        return []
    errors: list[FieldError] = []
    low, high = course.WEIGHT_KG_RANGE
    if weight_kg is None:
        errors.append(
            FieldError(
                "weight_kg", f"weight_kg is required for a weight-based (mg/kg) protocol: {low:g}–{high:g} kg"
            )
        )
    elif (
        isinstance(weight_kg, bool)
        or not isinstance(weight_kg, int | float)
        or not math.isfinite(weight_kg)
        or not low <= weight_kg <= high
    ):
        errors.append(
            FieldError("weight_kg", f"weight_kg {weight_kg:g} kg is out of range; enter {low:g}–{high:g} kg")
        )
    bounds = protocol.dose_bounds
    if mg_per_kg is not None and bounds.min_mg_per_kg is not None and bounds.max_mg_per_kg is not None:
        lowest, highest = bounds.min_mg_per_kg, bounds.max_mg_per_kg
        if (
            isinstance(mg_per_kg, bool)
            or not isinstance(mg_per_kg, int | float)
            or not math.isfinite(mg_per_kg)
            or not lowest <= mg_per_kg <= highest
        ):
            errors.append(
                FieldError(
                    "mg_per_kg",
                    f"mg_per_kg {mg_per_kg:g} mg/kg is out of range for {protocol.name}; enter "
                    f"{lowest:g}–{highest:g} mg/kg, or leave it empty for the standard",
                )
            )
    return errors
