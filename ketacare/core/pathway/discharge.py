"""Discharge readiness with blood pressure back below the pre-dose hold threshold.

``monitoring.discharge_readiness`` checks time, sedation, dissociation, vital-sign flags, ride and
instructions; its vital-sign flags fire only at critical levels or a large rise over baseline, so a
patient at 165/95 two hours after esketamine would read "ready". Here the latest blood pressure must
also pass the route's pre-dose hold rule (the level at which the clinic would not have dosed), or be
within the clinic's margin of the patient's own baseline (``bp_margin_mmhg``, a clinic setting; none by
default). The blood pressure should be back at a safe, consistent level before the end [HCP-Dose].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ketacare.core.monitoring import (
    DischargeReadiness,
    UnmetCriterion,
    VitalSigns,
    check_pre_dose,
    discharge_readiness,
)


@dataclass(frozen=True)
class DischargeCheck:
    """``ready`` only when ``unmet`` is empty (the monitoring criteria plus ``bp_above_hold``)."""

    ready: bool
    unmet: tuple[UnmetCriterion, ...]
    required_observation_minutes: int


def discharge_check(
    route: str,
    *,
    age_years: int,
    minutes_since_dose: float,
    moaas_score: int | None,
    dissociation_resolved: bool | None,
    baseline_vitals: VitalSigns | None,
    latest_vitals: VitalSigns | None,
    ride_home_confirmed: bool,
    instructions_given: bool,
    clinic_min_observation_min: int | None = None,
    bp_margin_mmhg: int | None = None,
    missed_checks: tuple[str, ...] = (),
) -> DischargeCheck:
    """Every unmet discharge criterion, including a blood pressure still above the pre-dose hold level.

    ``missed_checks`` names the vital-sign checkpoints of the route's schedule (``vital_checkpoints``)
    that passed without a reading, and the before-discharge set when it is not taken yet: the latest
    reading alone can be an hour old and look fine ("vital_checks_missed"; a prescriber may still
    discharge without them, giving a reason).
    """
    if bp_margin_mmhg is not None and (
        isinstance(bp_margin_mmhg, bool)
        or not isinstance(bp_margin_mmhg, int)
        or not 0 <= bp_margin_mmhg <= 40
    ):
        raise ValueError(f"bp_margin_mmhg {bp_margin_mmhg!r} is out of range; expected whole mmHg 0-40")
    base: DischargeReadiness = discharge_readiness(
        route,
        minutes_since_dose,
        moaas_score,
        baseline_vitals,
        latest_vitals,
        ride_home_confirmed,
        instructions_given,
        clinic_min_observation_min,
        dissociation_resolved=dissociation_resolved,
    )
    unmet = list(base.unmet)
    if latest_vitals is not None:
        result = check_pre_dose(
            route,
            age_years,
            latest_vitals.systolic_mmhg,
            latest_vitals.diastolic_mmhg,
            latest_vitals.heart_rate_bpm,
            latest_vitals.spo2_pct,
        )
        bp_holds = [
            r for r in result.reasons if r.level == "hold" and r.field in ("systolic_mmhg", "diastolic_mmhg")
        ]
        within_margin = False
        if bp_holds and baseline_vitals is not None and bp_margin_mmhg is not None:
            within_margin = all(
                (latest_vitals.value(r.field) or math.inf) - (baseline_vitals.value(r.field) or 0)
                <= bp_margin_mmhg
                for r in bp_holds
            )
        if bp_holds and not within_margin:
            margin = f" or within {bp_margin_mmhg} mmHg of baseline" if bp_margin_mmhg is not None else ""
            # Said as a discharge criterion: the pre-dose rule's own words ("prescriber decision before
            # dosing") read as an instruction for the wrong moment at the end of a session.
            limits = " and ".join(
                f"{'systolic' if r.field == 'systolic_mmhg' else 'diastolic'} above {r.threshold:g} mmHg"
                for r in bp_holds
            )
            unmet.append(
                UnmetCriterion(
                    "bp_above_hold",
                    "Blood pressure "
                    f"{latest_vitals.systolic_mmhg:g}/{latest_vitals.diastolic_mmhg:g} mmHg is still at a level "
                    f"this session would not have started at ({limits}); it must come back below it{margin} "
                    "before the patient leaves.",
                )
            )
    if missed_checks:
        unmet.append(
            UnmetCriterion(
                "vital_checks_missed",
                "Vital signs not taken at: " + "; ".join(missed_checks) + ". Take a set now (and enter any "
                "set taken at the time with its real time); without them a prescriber must give a reason.",
            )
        )
    return DischargeCheck(
        ready=not unmet, unmet=tuple(unmet), required_observation_minutes=base.required_observation_minutes
    )
