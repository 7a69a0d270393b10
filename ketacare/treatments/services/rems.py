"""The SPRAVATO REMS patient monitoring form: prefilled from the run-sheet at discharge (deadline from
`monitoring.rems_form_due_by`), then answered and submitted by staff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.core import monitoring
from ketacare.lib.errors import ConflictError, FieldError
from ketacare.treatments import selectors
from ketacare.treatments.models import Observation, RemsForm, TreatmentSession, VitalSign
from ketacare.treatments.services._common import check_text

# The form asks for the blood pressure "about 40 minutes" after administration [REMS-PMF]. The set used is
# the in-session set nearest the run-sheet's own 40-minute checkpoint (`monitoring.vital_checkpoints`,
# counted from the end of administration, as the nurse saw it), if one was taken within 20 minutes of it
# (clinic practice). A set further away is not "about 40 min" and is never reported as one: the field
# stays empty and the form says no set was taken near 40 minutes.
FORTY_MIN = dt.timedelta(minutes=40)
FORTY_MIN_TOLERANCE = dt.timedelta(minutes=20)


@dataclass(frozen=True)
class RemsBloodPressures:
    """The three sets of the form: the baseline, the one near 40 minutes and the last before discharge."""

    pre: VitalSign | None
    forty: VitalSign | None
    end: VitalSign | None


def forty_minute_checkpoint(session: TreatmentSession) -> dt.datetime:
    """When the run-sheet asked for the set about 40 minutes after administration."""
    assert session.dose_started_at is not None  # noqa: S101
    end = session.dose_ended_at or session.dose_started_at
    due = [
        c.due_at
        for c in monitoring.vital_checkpoints(session.route, session.dose_started_at, end)
        if c.code == "after_dose"
    ]
    return due[0] if due else end + FORTY_MIN


def rems_blood_pressures(session: TreatmentSession, discharged_at: dt.datetime) -> RemsBloodPressures:
    """Pick the form's three blood pressures from the session's valid vital signs.

    Before administration: the baseline (the latest pre-dose set, as on the run-sheet). About 40 min:
    the in-session set nearest the run-sheet's 40-minute checkpoint, within `FORTY_MIN_TOLERANCE` of
    it. End: the last in-session set measured at or before discharge.
    """
    assert session.dose_started_at is not None  # noqa: S101
    after = [
        v
        for v in selectors.valid_vitals(session)
        if v.kind == VitalSign.Kind.IN_SESSION and v.measured_at <= discharged_at
    ]
    target = forty_minute_checkpoint(session)
    near = [v for v in after if abs(v.measured_at - target) <= FORTY_MIN_TOLERANCE]
    forty = min(near, key=lambda v: abs(v.measured_at - target)) if near else None
    return RemsBloodPressures(
        pre=selectors.baseline_vitals(session), forty=forty, end=after[-1] if after else None
    )


def start_rems_form(session: TreatmentSession, now: dt.datetime) -> RemsForm | None:
    """Prefill the REMS patient monitoring form from the run-sheet (esketamine outpatient sessions).

    Called by `discharge_session` inside its transaction (`now` is the discharge); None when the
    session needs no form. A blood pressure with no suitable set stays empty (the form says none was
    recorded); it is never filled from another time's set.
    """
    assert session.dose_started_at is not None and session.dose_ended_at is not None  # noqa: S101
    zone = selectors.clinic_zone(session.clinic)
    due = monitoring.rems_form_due_by(
        session.route, session.dose_started_at.astimezone(zone), inpatient=session.inpatient
    )
    if due is None:
        return None
    bp = rems_blood_pressures(session, now)
    pre, forty, end = bp.pre, bp.forty, bp.end
    observations = selectors.valid_observations(session)
    total = sum(int(d.dose_mg) for d in selectors.valid_doses(session))
    baseline = selectors.as_core_vitals(pre)
    return RemsForm.objects.create(
        clinic=session.clinic,
        patient=session.patient,
        session=session,
        due_at=due,
        dose_mg=total,
        total_monitoring_min=round((now - session.dose_started_at).total_seconds() / 60),
        bp_pre_systolic_mmhg=pre.systolic_mmhg if pre else None,
        bp_pre_diastolic_mmhg=pre.diastolic_mmhg if pre else None,
        bp_40min_systolic_mmhg=forty.systolic_mmhg if forty else None,
        bp_40min_diastolic_mmhg=forty.diastolic_mmhg if forty else None,
        bp_end_systolic_mmhg=end.systolic_mmhg if end else None,
        bp_end_diastolic_mmhg=end.diastolic_mmhg if end else None,
        vitals_acceptable_before=(not session.hold) if pre else None,
        vitals_acceptable_end=(
            not monitoring.flag_vitals(session.route, baseline, selectors.as_core_vitals(end))  # type: ignore[arg-type]
            if end
            else None
        ),
        sedation_occurred=any(o.moaas_score < monitoring.MOAAS_ALERT for o in observations),
        dissociation_occurred=any(o.dissociation != Observation.Dissociation.NONE for o in observations),
        respiratory_changes_occurred=any(o.respiratory_concern for o in observations),
    )


REMS_EDITABLE = (
    "ready_to_leave_min",
    "benzodiazepines",
    "non_benzo_sedative_hypnotics",
    "psychostimulants",
    "maois",
    "sedation_occurred",
    "dissociation_occurred",
    "respiratory_changes_occurred",
    "vitals_acceptable_before",
    "vitals_acceptable_end",
)


def update_rems_form(
    *,
    form: RemsForm,
    user: User,
    answers: dict[str, Any],
    submit: bool = False,
    submission_reference: str = "",
) -> RemsForm:
    """Answer the staff questions of a REMS form; `submit` records that it was sent (online or fax)."""
    unknown = set(answers) - set(REMS_EDITABLE)
    if unknown:
        raise FieldError(sorted(unknown)[0], f"fields {', '.join(sorted(unknown))} cannot be written")
    minutes = answers.get("ready_to_leave_min")
    if minutes is not None and (
        isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= 24 * 60
    ):
        raise FieldError("ready_to_leave_min", f"ready_to_leave_min {minutes} is out of range 0–1440 min")
    submission_reference = check_text("submission_reference", submission_reference, limit=80)
    with transaction.atomic():
        form = RemsForm.objects.select_for_update().get(pk=form.pk)
        if form.submitted_at is not None:
            raise ConflictError("submitted_at", "this form was already submitted")
        for field, value in answers.items():
            setattr(form, field, value)
        if submit:
            missing = [
                f
                for f in ("benzodiazepines", "non_benzo_sedative_hypnotics", "psychostimulants", "maois")
                if getattr(form, f) is None
            ]
            if missing:
                raise FieldError(missing[0], f"{missing[0]} must be answered before the form is submitted")
            form.submitted_at = timezone.now()
            form.submitted_by = user
            form.submission_reference = submission_reference
        form.save()
    return form
