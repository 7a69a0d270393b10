"""Discharge against the core's checklist (`monitoring.discharge_readiness`)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import is_prescriber
from ketacare.core.display import name_for
from ketacare.treatments import selectors
from ketacare.treatments.errors import DischargeRefused
from ketacare.treatments.models import Appointment, TreatmentSession
from ketacare.treatments.selectors.run_sheet import not_overridable
from ketacare.treatments.services._common import (
    check_text,
    require_state,
    set_appointment_status,
)
from ketacare.treatments.services.rems import start_rems_form


def discharge_session(
    *,
    session: TreatmentSession,
    user: User,
    ride_present: bool,
    instructions_given: bool,
    override_reason: str = "",
) -> TreatmentSession:
    """Discharge when the core's checklist is met; esketamine's minimum observation never yields.

    A prescriber may discharge with other criteria unmet by giving a reason (recorded); the minimum
    observation of a route whose rule is not overridable (esketamine, REMS) refuses in every case, and
    so does an unresolved suicide-risk or emergency alert of the patient (`SAFETY_ALERT_CODES`: resolving
    it records what was done, docs/decisions/0013). The checklist includes what apps above this one add
    (`signals.discharge_criteria`, e.g. a controlled drug drawn for the session and not accounted for);
    those are overridable like the core's.
    """
    now = timezone.now()
    override_reason = check_text("override_reason", override_reason)
    with transaction.atomic():
        session = (
            TreatmentSession.objects.select_for_update()
            .select_related("clinic", "patient")
            .get(pk=session.pk)
        )
        require_state(
            session,
            TreatmentSession.State.OBSERVING,
            TreatmentSession.State.READY_FOR_DISCHARGE,
            action="discharge",
        )
        result = selectors.readiness(
            session, now, ride_present=ride_present, instructions_given=instructions_given
        )
        assert result is not None  # noqa: S101 - observing means dosing has ended
        unmet = [(c.code, c.message) for c in result.unmet]
        if unmet:
            hard = [(code, message) for code, message in unmet if not_overridable(session, code)]
            if hard or not override_reason or not is_prescriber(user, session.clinic_id):
                why = "" if not override_reason or hard else " (an override needs a prescriber)"
                raise DischargeRefused(
                    "discharge",
                    "Not ready for discharge" + why + ": " + " ".join(m for _, m in unmet),
                    unmet=unmet,
                )
            # Each code once (two open draws of the register are two messages, one criterion).
            codes = list(dict.fromkeys(code for code, _ in unmet))
            session.discharge_override_reason = override_reason
            session.discharge_overridden_criteria = codes
            # An overridden discharge reaches the clinic's prescribers now (decision 0013).
            raise_alert(
                patient=session.patient,
                source=Alert.Source.DISCHARGE_OVERRIDE,
                severity=Alert.Severity.CONTACT_CLINIC,
                title="Discharged with criteria overridden: " + ", ".join(name_for(code) for code in codes),
                detail=" ".join(m for _, m in unmet) + f" Reason: {override_reason}",
                dedupe_key=f"discharge_override:{session.public_id}",
            )
            # Who discharged past which criteria is in the audit chain under its own name, as a plan
            # gate override is (the audit report reads it as "Discharge (override)").
            record_access_event(
                action="write",
                outcome="granted",
                user=user,
                patient=session.patient,
                object_type="discharge_override",
                object_id=str(session.public_id),
            )
        session.state = TreatmentSession.State.DISCHARGED
        session.discharged_at = now
        session.discharged_by = user
        session.ride_present = ride_present
        session.instructions_given = instructions_given
        session.save()
        if session.appointment_id:
            set_appointment_status(session.appointment_id, Appointment.Status.COMPLETED)
        start_rems_form(session, now)
    return session
