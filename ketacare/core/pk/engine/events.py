"""The inputs of a compartment system: boluses and constant-rate inputs, checked and cut into pieces.

Every solver advances the system over pieces of constant input, so the events are
validated (compartment in range, no negative time, positive duration) and split here
once. Units: time in minutes, amounts in mg, rates in mg/min.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Event times closer than this (min) count as the same instant.
TIME_TOLERANCE_MIN = 1e-9


@dataclass(frozen=True)
class Bolus:
    """An instantaneous input of ``amount_mg`` into ``compartment`` at ``time_min``.

    ``amount_mg`` is a scalar or an array of shape (P,) (one amount per patient).
    """

    time_min: float
    compartment: int
    amount_mg: float | np.ndarray


@dataclass(frozen=True)
class ZeroOrderInput:
    """A constant-rate input delivering ``amount_mg`` into ``compartment`` evenly over ``duration_min``.

    The input runs on ``[start_min, start_min + duration_min)``; ``amount_mg`` is a
    scalar or an array of shape (P,).
    """

    start_min: float
    duration_min: float
    compartment: int
    amount_mg: float | np.ndarray


Event = Bolus | ZeroOrderInput


@dataclass(frozen=True)
class Piece:
    """One interval of constant input: boluses at its start, then constant rates."""

    start_min: float
    boluses: tuple[tuple[int, np.ndarray], ...]
    rates: tuple[tuple[int, np.ndarray], ...]


def grid_times_min(step_min: float, n_steps: int) -> np.ndarray:
    """Return the uniform grid ``0, step_min, ..., n_steps * step_min`` (min), shape (n_steps + 1,)."""
    return np.arange(n_steps + 1, dtype=np.float64) * float(step_min)


def patient_array(value: float | np.ndarray, n_patients: int) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return np.full(n_patients, float(array))
    if array.shape != (n_patients,):
        raise ValueError(f"per-patient amount has shape {array.shape}; expected ({n_patients},)")
    return array


def split_into_pieces(events: Sequence[Event], n_patients: int, n_compartments: int) -> list[Piece]:
    """Split the event list into intervals of constant input, starting at time 0."""
    breakpoints = [0.0]
    for event in events:
        if not 0 <= event.compartment < n_compartments:
            raise ValueError(f"event compartment {event.compartment} is outside 0..{n_compartments - 1}")
        if isinstance(event, Bolus):
            if event.time_min < 0:
                raise ValueError(
                    f"bolus time {event.time_min} min is negative; events start at 0 min or later"
                )
            breakpoints.append(float(event.time_min))
        else:
            if event.start_min < 0:
                raise ValueError(
                    f"input start {event.start_min} min is negative; events start at 0 min or later"
                )
            if not event.duration_min > 0:
                raise ValueError(f"input duration {event.duration_min} min must be > 0 (use a Bolus instead)")
            breakpoints += [float(event.start_min), float(event.start_min + event.duration_min)]
    starts: list[float] = []
    for time in sorted(breakpoints):
        if not starts or time - starts[-1] > TIME_TOLERANCE_MIN:
            starts.append(time)
    pieces = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else math.inf
        boluses = tuple(
            (e.compartment, patient_array(e.amount_mg, n_patients))
            for e in events
            if isinstance(e, Bolus) and abs(e.time_min - start) <= TIME_TOLERANCE_MIN
        )
        rates = tuple(
            (e.compartment, patient_array(e.amount_mg, n_patients) / e.duration_min)
            for e in events
            if isinstance(e, ZeroOrderInput)
            and e.start_min <= start + TIME_TOLERANCE_MIN
            and e.start_min + e.duration_min >= end - TIME_TOLERANCE_MIN
        )
        pieces.append(Piece(start, boluses, rates))
    return pieces


def check_rate_matrix(rate_matrix_per_min: np.ndarray) -> np.ndarray:
    matrix = np.asarray(rate_matrix_per_min, dtype=np.float64)
    if matrix.ndim != 3 or matrix.shape[1] != matrix.shape[2]:
        raise ValueError(f"rate matrix has shape {matrix.shape}; expected (n_patients, n, n)")
    if not math.isfinite(float(matrix.sum())) and not np.all(np.isfinite(matrix)):
        raise ValueError("rate matrix contains non-finite values")
    return matrix


def subset_events(events: Sequence[Event], patients: np.ndarray, n_patients: int) -> list[Event]:
    """Return ``events`` restricted to ``patients`` (per-patient amounts are indexed, scalars kept)."""
    subset: list[Event] = []
    for event in events:
        amount = patient_array(event.amount_mg, n_patients)[patients]
        if isinstance(event, Bolus):
            subset.append(Bolus(event.time_min, event.compartment, amount))
        else:
            subset.append(ZeroOrderInput(event.start_min, event.duration_min, event.compartment, amount))
    return subset
