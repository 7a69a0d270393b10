"""The safe pathway's checks every treatments service shares (docs/decisions/0013).

Prescriber-only decisions, the booking window for appointments, and the alerts a hold, an adverse
event or an overridden discharge raise at the moment they arise (inside the event's transaction).
"""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Q

from ketacare.accounts.models import User
from ketacare.alerts.models import HOLDS_NEXT_DOSE, Alert
from ketacare.alerts.services import raise_alert
from ketacare.clinics.selectors import is_prescriber
from ketacare.core import pathway
from ketacare.lib.errors import FieldError, NotPermitted
from ketacare.treatments import selectors
from ketacare.treatments.models import TreatmentSession

# How far ahead an appointment may be booked or moved (a software limit: a course is planned in weeks;
# two years covers any maintenance plan and catches a mistyped year).
BOOKING_HORIZON = dt.timedelta(days=2 * 365)


def require_prescriber(user: User, clinic_id: int, *, field: str, action: str) -> None:
    """Refuse (NotPermitted) unless the user is an active prescriber at this clinic."""
    if not is_prescriber(user, clinic_id):
        raise NotPermitted(field, f"only a prescriber of this clinic can {action}")


def check_booking_time(field: str, value: dt.datetime, *, zone: dt.tzinfo, now: dt.datetime) -> None:
    """Refuse a time without a zone, in the past or more than two years ahead, naming the allowed range."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise FieldError(field, f"{field} must be a date and time with a time zone")
    earliest = now
    latest = now + BOOKING_HORIZON
    allowed = (
        f"allowed {earliest.astimezone(zone):%Y-%m-%d %H:%M} to {latest.astimezone(zone):%Y-%m-%d %H:%M}"
    )
    try:
        shown = f"{value.astimezone(zone):%Y-%m-%d %H:%M}"
    except (OverflowError, ValueError):
        raise FieldError(field, f"{field} is out of range; {allowed} (clinic time)") from None
    if value < earliest:
        raise FieldError(field, f"{field} {shown} is in the past; {allowed} (clinic time)")
    if value > latest:
        raise FieldError(field, f"{field} {shown} is more than 2 years ahead; {allowed} (clinic time)")


_HOLD_SEVERITY = {"urgent": Alert.Severity.URGENT, "contact_clinic": Alert.Severity.CONTACT_CLINIC}


def hold_alert_prefix(session: TreatmentSession) -> str:
    """What the dedupe key of every dosing-hold alert of this session starts with ("hold:<id>:<code>")."""
    return f"hold:{session.public_id}:"


def _hold_key(session: TreatmentSession, code: str) -> str:
    """The key of the hold's alert: the first one's, or a new one when every earlier alert of this cause
    was resolved (the cause was fixed, then came back: the prescribers hear of it again)."""
    key = hold_alert_prefix(session) + code
    earlier = list(
        Alert.objects.filter(patient_id=session.patient_id)
        .filter(Q(dedupe_key=key) | Q(dedupe_key__startswith=key + ":"))
        .values_list("dedupe_key", "state")
    )
    for dedupe_key, state in earlier:
        if state != Alert.State.RESOLVED:
            return str(dedupe_key)
    return f"{key}:{len(earlier) + 1}" if earlier else key


# The holds one pre-dose reading raises (systolic, diastolic, heart rate, SpO2) reach the prescribers as
# one alert for the reading, not one per number; each keeps its own hold code on the run-sheet.
PRE_DOSE_READING = "pre_dose_reading"


def alert_cause(code: str) -> str:
    """The cause a hold code's alert is raised under: a pre-dose reading's holds share one."""
    if code.startswith("pre_dose_") and code not in selectors.STEP_HOLDS:
        return PRE_DOSE_READING
    return code


_READING = re.compile(r"^(?P<rule>[^:(]*)(?::[^(]*)?(?P<measured>\(measured [^)]*\))")


def _reading_in_short(message: str) -> str:
    """ "Pre-dose systolic BP above 140 mmHg (measured 172 mmHg)" from a pre-dose hold's message, for the
    alert's title (the full message is its detail)."""
    match = _READING.match(message)
    return f"{match['rule'].strip()} {match['measured']}" if match else message


def raise_hold_alerts(session: TreatmentSession, holds: list[pathway.Hold]) -> list[Alert]:
    """One prescriber alert per hold cause of this session (a repeat returns the unresolved one); the
    holds of one pre-dose reading are one cause (`alert_cause`)."""
    causes: dict[str, list[pathway.Hold]] = {}
    for hold in holds:
        if hold.code in selectors.STEP_HOLDS:
            continue
        causes.setdefault(alert_cause(hold.code), []).append(hold)
    raised = []
    for cause, grouped in causes.items():
        urgent = any(h.severity == "urgent" for h in grouped)
        words = " ".join(h.message.rstrip(".") + "." for h in grouped)
        if cause == PRE_DOSE_READING:
            title = "Dosing on hold: " + "; ".join(_reading_in_short(h.message) for h in grouped)
        else:
            title = f"Dosing on hold: {grouped[0].message}"
        raised.append(
            raise_alert(
                patient=session.patient,
                source=Alert.Source.DOSING_HOLD,
                severity=_HOLD_SEVERITY["urgent" if urgent else grouped[0].severity],
                title=title[:200],
                detail=f"{words} A prescriber clears it by fixing the cause or overriding with a reason.",
                dedupe_key=_hold_key(session, cause),
                evidence={HOLDS_NEXT_DOSE: True},
            )
        )
    return raised
