"""A session's personal recovery timeline: a population-PK model estimate from `ketacare.core.pk`.

For display only (the run-sheet and the discharge instructions): never a discharge rule and never
dosing advice; the core's caveat travels with every result.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass
from typing import Any

from ketacare.core.pk import timeline as pk_timeline
from ketacare.core.pk.models import plain_status
from ketacare.patients import facts
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.selectors._common import age_years, clinic_zone, patient_zone
from ketacare.treatments.selectors.run_sheet import valid_doses

# Virtual patients for the 5-95% band, and the fixed seed that makes the band the same on every page
# view. A display setting (how smooth the band is), not a clinical number; ~30 ms per session.
RECOVERY_POPULATION_SIZE = 500
RECOVERY_SEED = 0
# Crossing times are shown rounded to this many minutes ("around 11:40"): the model is not precise to
# the minute, and a rounded time reads as the estimate it is.
RECOVERY_ROUND_MIN = 5


@dataclass(frozen=True)
class RecoveryThreshold:
    """When the predicted effect falls below one of the core's thresholds, as clock times for display.

    Clock strings are in the patient's zone (with the date when not the day of the dose); minutes are
    after the start of dosing. Both are rounded to ``RECOVERY_ROUND_MIN``. The band bounds the time
    across the simulated population (5th-95th percentile); ``band_from_start`` means at least 5% of the
    simulated people never reached the level, so the band starts at the dose.
    """

    label: str
    fraction_of_c50: float
    concentration_ng_per_ml: float
    reached: bool
    minutes: int | None
    clock: str | None
    clinic_clock: str | None
    band_from_min: int | None
    band_to_min: int | None
    band_from_clock: str | None
    band_to_clock: str | None
    band_from_start: bool
    percent_reaching: int | None

    @property
    def duration_text(self) -> str:
        """The minutes after the dose in plain words ("1 hour 45 minutes")."""
        if self.minutes is None:
            return ""
        hours, minutes = divmod(self.minutes, 60)
        parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
        if minutes or not hours:
            parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
        return " ".join(parts)


@dataclass(frozen=True)
class RecoveryEstimate:
    """A session's personal recovery timeline, as plain data for the run-sheet and the instructions.

    ``available`` is False when the route has no model (``no_model_reason``) or an input is missing
    (``missing_input``). ``patient_threshold`` is the lowest threshold the typical simulated patient
    falls below: the one the patient-facing sentence uses. Every number comes from the core.
    """

    available: bool
    route: str
    caveat: str
    caveat_basis: str
    dose_mg: float
    dose_start: dt.datetime
    patient_zone: str
    clinic_zone: str
    no_model_reason: str | None = None
    missing_input: str | None = None
    weight_kg: float | None = None
    age_years: int | None = None
    sex: str = "unknown"
    infusion_min: float | None = None
    model_title: str | None = None
    pk_citation: str | None = None
    pd_citation: str | None = None
    pk_pd_caveat: str | None = None
    thresholds: tuple[RecoveryThreshold, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    population_size: int = 0
    seed: int | None = None

    @property
    def dose_start_clock(self) -> str:
        """When dosing started, in the patient's zone (a string: templates must not convert it again)."""
        return f"{self.dose_start:%H:%M}"

    @property
    def zones_differ(self) -> bool:
        return self.patient_zone != self.clinic_zone

    @property
    def patient_threshold(self) -> RecoveryThreshold | None:
        reached = [t for t in self.thresholds if t.reached]
        return min(reached, key=lambda t: t.fraction_of_c50) if reached else None


@functools.lru_cache(maxsize=512)
def _cached_timeline(
    route: str, dose_mg: float, weight_kg: float, age_years: int, sex: str, infusion_min: float | None
) -> pk_timeline.Timeline:
    """The core's timeline for these inputs (a pure function: cached per input set, i.e. per session)."""
    return pk_timeline.personal_timeline(
        route=route,
        dose_mg=dose_mg,
        weight_kg=weight_kg,
        age_years=age_years,
        sex=sex,
        infusion_min=infusion_min,
        population_size=RECOVERY_POPULATION_SIZE,
        seed=RECOVERY_SEED,
    )


def _round_minutes(minutes: float) -> int:
    return int(RECOVERY_ROUND_MIN * round(minutes / RECOVERY_ROUND_MIN))


def _clock(start: dt.datetime, minutes: float, zone: zoneinfo.ZoneInfo) -> str:
    """The clock time `minutes` after `start` in `zone`, rounded to ``RECOVERY_ROUND_MIN`` ("around 11:40").

    The weekday and date are added when it is not the day dosing started.
    """
    step = RECOVERY_ROUND_MIN * 60
    exact = (start + dt.timedelta(minutes=minutes)).timestamp()
    at = dt.datetime.fromtimestamp(step * round(exact / step), tz=zone)
    return f"{at:%H:%M}" if at.date() == start.astimezone(zone).date() else f"{at:%a %d %b %H:%M}"


def session_recovery_estimate(session: TreatmentSession) -> RecoveryEstimate | None:
    """The model estimate of when this session's effect wears off, or None before dosing has ended.

    Inputs come from the session: route, the administered dose (valid doses only), the check-in weight
    (else the plan's), age on the day of the dose, sex from the current intake (else "unknown") and,
    for IV, the infusion length from the first start to the last stop. Never a discharge rule and never
    dosing advice: the core's caveat travels with every result.
    """
    if session.dose_ended_at is None:
        return None
    doses = valid_doses(session)
    if not doses:
        return None
    patient = session.patient
    p_zone = patient_zone(patient)
    start = min(d.started_at for d in doses)
    dose_mg = float(sum(d.dose_mg for d in doses))
    base: dict[str, Any] = {
        "route": session.route,
        "caveat": pk_timeline.CAVEAT,
        "caveat_basis": pk_timeline.CAVEAT_BASIS,
        "dose_mg": dose_mg,
        "dose_start": start.astimezone(p_zone),
        "patient_zone": patient.time_zone,
        "clinic_zone": session.clinic.time_zone,
    }
    weight = session.weight_kg or (session.plan.weight_kg if session.plan else None)
    age = age_years(patient, start.astimezone(p_zone).date())
    mapping = pk_timeline.ROUTES.get(session.route)
    if mapping is None:
        reason = "no model for this route"
        if session.route in pk_timeline.ROUTES:
            # The core answers "no model" (with its reason) before it looks at the covariates.
            reason = (
                pk_timeline.personal_timeline(
                    route=session.route,
                    dose_mg=dose_mg,
                    weight_kg=float(weight) if weight is not None else float("nan"),
                    age_years=age,
                ).no_model_reason
                or reason
            )
        return RecoveryEstimate(available=False, no_model_reason=reason, **base)
    if weight is None:
        return RecoveryEstimate(available=False, missing_input="no weight recorded for this session", **base)
    infusion_min = None
    if mapping[1] == "iv":
        stops = [d.ended_at for d in doses if d.ended_at is not None]
        end = max(stops) if stops else session.dose_ended_at
        infusion_min = round((end - start).total_seconds() / 60, 1)
        if infusion_min <= 0:
            return RecoveryEstimate(
                available=False, missing_input="the infusion's start and stop times are the same", **base
            )
    c_zone = clinic_zone(session.clinic)
    sex = facts.patient_sex(patient)
    timeline = _cached_timeline(session.route, dose_mg, float(weight), age, sex, infusion_min)
    crossings = []
    for crossing in timeline.thresholds:
        exact, p05, p95 = crossing.falls_below_min, crossing.band_p05_min, crossing.band_p95_min
        crossings.append(
            RecoveryThreshold(
                label=crossing.label,
                fraction_of_c50=crossing.fraction_of_c50,
                concentration_ng_per_ml=crossing.concentration_ng_per_ml,
                reached=crossing.reached,
                minutes=_round_minutes(exact) if exact is not None else None,
                clock=_clock(start, exact, p_zone) if exact is not None else None,
                clinic_clock=_clock(start, exact, c_zone) if exact is not None else None,
                band_from_min=_round_minutes(p05) if p05 is not None else None,
                band_to_min=_round_minutes(p95) if p95 is not None else None,
                band_from_clock=_clock(start, p05, p_zone) if p05 is not None else None,
                band_to_clock=_clock(start, p95, p_zone) if p95 is not None else None,
                band_from_start=crossing.band_p05_min is not None and crossing.band_p05_min <= 0,
                percent_reaching=(
                    round(100 * crossing.fraction_reaching)
                    if crossing.fraction_reaching is not None
                    else None
                ),
            )
        )
    return RecoveryEstimate(
        available=True,
        weight_kg=float(weight),
        age_years=age,
        sex=sex,
        infusion_min=infusion_min,
        model_title=timeline.model_title,
        pk_citation=timeline.pk_citation,
        pd_citation=timeline.pd_citation,
        pk_pd_caveat=timeline.pk_pd_caveat,
        thresholds=tuple(crossings),
        warnings=timeline.warnings,
        # The models' notes carry the code's status tags ("[Ours]"); staff read them in words.
        notes=tuple(plain_status(note) for note in timeline.notes),
        population_size=timeline.population_size,
        seed=timeline.seed,
        **base,
    )
