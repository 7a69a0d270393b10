"""Checks every treatments service shares: times, free text, the session's state, the prescriber role.

Each raises a `ketacare.lib.errors` class naming the field, before anything is written or inside
the transaction that then rolls back.
"""

from __future__ import annotations

import datetime as dt
import re

from ketacare.lib.errors import ConflictError, FieldError
from ketacare.treatments import selectors
from ketacare.treatments.models import Appointment, TreatmentSession

# A time a little ahead of the server clock is a clock difference between devices, not the future.
CLOCK_SKEW = dt.timedelta(minutes=2)
MAX_TEXT = 1000
# A core ValueError starts with the name of the value it refuses ("weight_kg 400 is out of range ...").
_FIELD_IN_MESSAGE = re.compile(r"^([a-z_]+) ")


def set_appointment_status(appointment_id: int, status: str) -> None:
    """Change an appointment's status with a save, not ``QuerySet.update``: what others keep from
    appointments (the outcomes app's drop-out counts, through ``post_save``) sees every change."""
    appointment = Appointment.objects.get(pk=appointment_id)
    appointment.status = status
    appointment.save(update_fields=["status"])


def core_error(exc: ValueError, default_field: str = "") -> FieldError:
    """Turn a core ValueError (which names the value and the range) into a domain error."""
    message = str(exc)
    match = _FIELD_IN_MESSAGE.match(message)
    field = match.group(1) if match and "_" in match.group(1) else default_field
    return FieldError(field, message)


def check_time(
    field: str,
    value: dt.datetime,
    session: TreatmentSession,
    *,
    now: dt.datetime,
    not_before: dt.datetime | None = None,
) -> None:
    """Refuse a time without a zone, in the future, before check-in or before `not_before` (clinic clock)."""
    if value.tzinfo is None:
        raise FieldError(field, f"{field} must carry a time zone")
    zone = selectors.clinic_zone(session.clinic)
    try:
        local = value.astimezone(zone)
    except OverflowError:
        # Year 1 or 9999 shifted into the clinic's zone: not a time of this session either way.
        raise FieldError(field, f"{field} {value.isoformat()} is out of range") from None
    if value > now + CLOCK_SKEW:
        clock = now.astimezone(zone)
        # The day is named when it is not today: "10:00 is in the future (now 17:11)" reads as nonsense
        # for a time typed on tomorrow's date.
        when = f"{local:%H:%M}" if local.date() == clock.date() else f"{local:%a %d %b %H:%M}"
        raise FieldError(field, f"{field} {when} is in the future (now {clock:%H:%M})")
    started = session.checked_in_at
    if started is not None and value < started:
        raise FieldError(
            field,
            f"{field} {local:%H:%M} is before the session started "
            f"(check-in {started.astimezone(zone):%H:%M})",
        )
    if not_before is not None and value < not_before:
        raise FieldError(field, f"{field} {local:%H:%M} is before {not_before.astimezone(zone):%H:%M}")


def check_text(field: str, value: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    """The text stripped, or a refusal when it is required and empty or longer than `limit`."""
    value = (value or "").strip()
    if required and not value:
        raise FieldError(field, f"{field} is required")
    if len(value) > limit:
        raise FieldError(field, f"{field} is {len(value)} characters long; at most {limit} are allowed")
    return value


def require_state(session: TreatmentSession, *states: str, action: str) -> None:
    """Refuse `action` (a ConflictError on "state") unless the session is in one of `states`."""
    if session.state not in states:
        allowed = ", ".join(states)
        raise ConflictError(
            "state",
            f"cannot {action}: the session is {session.get_state_display().lower()} (needs {allowed})",
        )
