"""Classify the change between a baseline and a current score as remission, response, partial, no change or worsening.

The thresholds are data in each instrument's ``[change]`` table, each citing its source
(``clinic-practice`` where the brief has none). The rule, checked in this order:

0. **baseline already in the remission range** - a baseline at or below ``remission_max_score``
   leaves nothing to remit from or respond to: only ``worsening`` or ``no_change`` (PHQ-9 0 -> 4 is
   not a remission: decision 0012). Remission and response are only claimed from a symptomatic
   baseline [PsychServ2020].
1. **remission** - ``current <= remission_max_score`` (only for scales where higher is worse).
   Remission is a state, so it wins even when the score rose a little within the remission range.
2. **response** - improvement of at least ``response_min_drop_fraction`` of the baseline's distance
   from the best score, or at least ``response_min_drop_points`` points. For a symptom scale whose
   best score is 0 the fraction is the familiar "% reduction from baseline" (PHQ-9 20 -> 10 is a
   50% drop [PsychServ2020]). For a scale where higher is better (daily mood) the same fraction
   is taken of the distance up to the maximum (clinic practice: there is no published rule).
3. **partial** - the same with the ``partial_*`` thresholds (25% by default, clinic practice).
4. **worsening** - a move of at least ``worsening_min_rise_points`` towards the worse end.
5. otherwise **no_change**.
"""

from __future__ import annotations

import math

from .model import ChangeClass, Instrument, Number
from .registry import get_instrument, instruments

# Scores are often fractional (BPI means) and thresholds are fractions such as 0.3, so exact
# boundary cases (10 -> 7 is exactly a 30% drop) must not fail on binary rounding.
_TOLERANCE = 1e-9


def classify_change(instrument_id: str, baseline: float, current: float) -> ChangeClass:
    """Classify the change from ``baseline`` to ``current`` (both in the instrument's points).

    Returns ``"remission"``, ``"response"``, ``"partial"``, ``"no_change"`` or ``"worsening"``
    (see the module docstring for the rule and its order). Raises ``ValueError`` when a score is
    not a finite number inside ``[min_score, max_score]``, or when the instrument has no change
    rules (C-SSRS screener, MOAA/S: they grade a state, not a course).
    """
    instrument = get_instrument(instrument_id)
    if not instrument.has_change_rules:
        raise ValueError(
            f"{instrument.id} has no response or remission rule; classify_change applies to "
            f"{', '.join(i.id for i in instruments() if i.has_change_rules)}"
        )
    for name, value in (("baseline", baseline), ("current", current)):
        _check_score(instrument, name, value)

    # Improvement in points, positive when the score moved towards the better end.
    direction = 1 if instrument.higher_is_worse else -1
    improvement = (baseline - current) * direction
    threshold = instrument.remission_max_score
    if threshold is not None and baseline <= threshold + _TOLERANCE:
        # Rule 0: nothing to remit from; a large enough rise is still worsening.
        worsening_points = instrument.worsening_min_rise_points
        if worsening_points is not None and -improvement >= worsening_points - _TOLERANCE:
            return "worsening"
        return "no_change"
    if threshold is not None and current <= threshold + _TOLERANCE:
        return "remission"
    best = instrument.min_score if instrument.higher_is_worse else instrument.max_score
    headroom = (baseline - best) * direction  # how far the baseline was from the best score
    if _improved(
        improvement, headroom, instrument.response_min_drop_fraction, instrument.response_min_drop_points
    ):
        return "response"
    if _improved(
        improvement, headroom, instrument.partial_min_drop_fraction, instrument.partial_min_drop_points
    ):
        return "partial"
    worsening = instrument.worsening_min_rise_points
    if worsening is not None and -improvement >= worsening - _TOLERANCE:
        return "worsening"
    return "no_change"


def _improved(improvement: float, headroom: float, fraction: float | None, points: float | None) -> bool:
    """Whether ``improvement`` meets a threshold given as a fraction of ``headroom`` or in points."""
    if fraction is not None:
        # A baseline already at the best score cannot improve, whatever the fraction.
        return headroom > 0 and improvement >= fraction * headroom - _TOLERANCE
    if points is not None:
        return improvement >= points - _TOLERANCE
    return False


def _check_score(instrument: Instrument, name: str, value: Number) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} score for {instrument.id} must be a finite number, got {value!r}")
    if not instrument.min_score <= value <= instrument.max_score:
        raise ValueError(
            f"{name} score {value} is outside the {instrument.id} range "
            f"{instrument.min_score}-{instrument.max_score}"
        )
