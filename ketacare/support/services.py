"""Writes for support people: invite (the link is returned once), revoke, and open a link; and the
check-ins others record for the patient (a day-of-treatment companion's report, the care team from a
patient's message)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from ketacare.accounts.models import User
from ketacare.accounts.tokens import digest, new_token, well_formed
from ketacare.checkins.models import NOTE_MAX_CHARS
from ketacare.checkins.services import CheckinOutcome, ReportIn, submit_checkin
from ketacare.lib.errors import FieldError
from ketacare.messaging.models import Message
from ketacare.messaging.services import mark_recorded_as_checkin
from ketacare.patients.models import Patient
from ketacare.support.models import NAME_MAX_CHARS, SupportGrant
from ketacare.treatments.models import Appointment, TreatmentSession

PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,24}$")
# How far ahead a companion may be invited (a software bound: an induction series is 2 to 3 weeks).
COMPANION_DAYS_AHEAD = 60


class SupportError(FieldError):
    """Invalid support-person input; ``field`` names it."""


@dataclass(frozen=True, slots=True)
class Invitation:
    """The stored grant and its link's secret (shown to the patient once, never stored)."""

    grant: SupportGrant
    token: str


def day_bounds(patient: Patient, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of ``day`` in the patient's time zone, as aware datetimes (DST-safe)."""
    zone = zoneinfo.ZoneInfo(patient.time_zone)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def day_words(day: dt.date) -> str:
    """A day as the patient reads it in a sentence: "Thursday 5 March 2026"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def treatment_days(patient: Patient, first: dt.date, last: dt.date) -> set[dt.date]:
    """The days from ``first`` to ``last`` (on the patient's clock) with a treatment session of the
    patient booked or held: an appointment booked or completed, or a session (not cancelled) scheduled,
    checked in, dosed or discharged that day. The companion's page follows the day's visit
    (selectors.companion_context), so on a day without one it would wait for a discharge that never
    comes."""
    start, _ = day_bounds(patient, first)
    _, end = day_bounds(patient, last)
    zone = zoneinfo.ZoneInfo(patient.time_zone)
    times = ("scheduled_at", "checked_in_at", "dose_started_at", "discharged_at")
    within = Q()
    for name in times:
        within |= Q(**{f"{name}__gte": start, f"{name}__lt": end})
    sessions = (
        TreatmentSession.objects.filter(patient=patient)
        .exclude(state=TreatmentSession.State.CANCELLED)
        .filter(within)
        .values_list(*times)
    )
    booked = (
        Appointment.objects.filter(
            patient=patient,
            starts_at__gte=start,
            starts_at__lt=end,
            status__in=(Appointment.Status.SCHEDULED, Appointment.Status.COMPLETED),
        )
        .exclude(session__state=TreatmentSession.State.CANCELLED)
        .values_list("starts_at", flat=True)
    )
    found = [when for row in sessions for when in row] + list(booked)
    return {when.astimezone(zone).date() for when in found if when is not None and start <= when < end}


def invite_support_person(
    *, patient: Patient, name: str, email: str, phone: str, role: str, day: dt.date | None, now: dt.datetime
) -> Invitation:
    """Invite a support person by e-mail or phone; a companion's link works on ``day`` and the day after.

    A companion's ``day`` is the day of one of the patient's treatment sessions, booked or held: their
    page shows that day's visit and its discharge instructions, and on a day without a session would
    promise instructions that never come."""
    name = name.strip()
    email = email.strip()
    phone = phone.strip()
    if not name or len(name) > NAME_MAX_CHARS:
        raise SupportError("name", f"name: 1 to {NAME_MAX_CHARS} characters")
    if not email and not phone:
        raise SupportError(
            "email", "give their e-mail address or mobile number, so you know who has the link (you send it)"
        )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise SupportError("email", "e-mail: not a valid address (e.g. name@example.org)") from None
    if phone and not PHONE.match(phone):
        raise SupportError(
            "phone", "phone: digits, spaces, brackets and dashes, 6 to 25 characters, e.g. +1 555 0100"
        )
    if role not in SupportGrant.Role.values:
        raise SupportError(
            "role", f"role: choose one of {', '.join(str(r.label) for r in SupportGrant.Role)}"
        )
    today = now.astimezone(zoneinfo.ZoneInfo(patient.time_zone)).date()
    valid_until: dt.datetime | None = None
    if role == SupportGrant.Role.DAY_COMPANION:
        if day is None or not today <= day <= today + dt.timedelta(days=COMPANION_DAYS_AHEAD):
            raise SupportError(
                "day", f"day: the treatment day, from today to {COMPANION_DAYS_AHEAD} days ahead"
            )
        if day not in treatment_days(patient, day, day):
            raise SupportError("day", _no_session_message(patient, day, today))
        # Through the day after: the safety rules the companion is there for run overnight and until 24
        # hours after leaving (the driving rule), so a link ending at the treatment day's midnight would
        # leave them without the red flags on the first night.
        valid_from, _ = day_bounds(patient, day)
        _, valid_until = day_bounds(patient, day + dt.timedelta(days=1))
    else:
        day, valid_from = None, now
    token, token_digest = new_token()
    with transaction.atomic():
        grant = SupportGrant.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            name=name,
            email=email,
            phone=phone,
            role=role,
            token_digest=token_digest,
            day=day,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    return Invitation(grant, token)


def _no_session_message(patient: Patient, day: dt.date, today: dt.date) -> str:
    ahead = sorted(treatment_days(patient, today, today + dt.timedelta(days=COMPANION_DAYS_AHEAD)))
    then = (
        f"the first from today is {day_words(ahead[0])}"
        if ahead
        else f"none is booked in the next {COMPANION_DAYS_AHEAD} days: ask your clinic to book it first"
    )
    return (
        f"day: you have no treatment session booked on {day_words(day)}. A companion is invited for the "
        f"day of a session ({then})."
    )


def revoke_support_grant(*, patient: Patient, grant_id: str, now: dt.datetime) -> SupportGrant | None:
    """End one of the patient's grants now (another patient's or an unknown id: None, nothing changes)."""
    grant = SupportGrant.objects.filter(patient=patient, public_id__in=_uuid_or_none(grant_id)).first()
    if grant is None:
        return None
    if grant.revoked_at is None:
        grant.revoked_at = now
        grant.save(update_fields=["revoked_at"])
    return grant


def _uuid_or_none(value: str) -> list[str]:
    try:
        return [str(uuid.UUID(value[:40]))]
    except ValueError:
        return []


def is_active(grant: SupportGrant, now: dt.datetime) -> bool:
    """The link works now: not revoked, its day has begun and not yet ended."""
    if grant.revoked_at is not None or now < grant.valid_from:
        return False
    return grant.valid_until is None or now < grant.valid_until


def open_support_link(*, token: str, now: dt.datetime) -> SupportGrant | None:
    """The grant a link names, when it works now; else None (unknown, revoked, not yet or no longer)."""
    if not well_formed(token):
        return None
    grant = (
        SupportGrant.objects.select_related("patient", "patient__clinic")
        .filter(token_digest=digest(token))
        .first()
    )
    if grant is None or not is_active(grant, now):
        return None
    SupportGrant.objects.filter(pk=grant.pk).update(last_opened_at=now)
    return grant


# The mark a companion's report carries in its check-in's note, which staff and the patient see with it.
ON_BEHALF_NOTE = "Reported on behalf of the patient by {name} (day-of-treatment companion)."


def report_on_behalf(
    *, grant: SupportGrant, idempotency_key: str, reports: Sequence[ReportIn], now: dt.datetime
) -> CheckinOutcome:
    """A day-of-treatment companion reports how the patient is: a check-in triaged like the patient's
    own (a red flag raises its alert in the same transaction), marked in its note as theirs.

    The caller holds the grant from the companion's session while it is active. At least one sign is
    required: an empty report would be a check-in that says nothing."""
    if grant.role != SupportGrant.Role.DAY_COMPANION or not is_active(grant, now):
        raise SupportError("grant", "only a day-of-treatment companion may report, on their day")
    if not reports:
        raise SupportError("symptom", "symptom: tick at least one sign you see, then send")
    return submit_checkin(
        patient=grant.patient,
        idempotency_key=idempotency_key,
        reports=reports,
        mood=None,
        note=ON_BEHALF_NOTE.format(name=grant.name),
        now=now,
        # The companion is not asked about the patient's open symptoms: one left unticked is unknown to
        # them, not gone.
        close_unticked=False,
    )


# The mark a check-in recorded by the care team from a patient's message carries in its note, which
# staff and the patient see with the check-in (as the companion's "on behalf" note).
FROM_MESSAGE_NOTE = "Recorded by {name} (care team) from the patient's message of {sent}: “{body}”"


def record_message_as_checkin(
    *, message: Message, user: User, reports: Sequence[ReportIn], now: dt.datetime
) -> CheckinOutcome:
    """The care team records a patient's message as a check-in: the symptoms it describes, triaged like
    any check-in (a red flag raises its alert in the same transaction), marked in its note as coming
    from that message, once per message.

    The caller has reached the patient through ``access_patient(action="write")``, which audits it. A
    check-in is a snapshot of now (an open side effect it leaves out is closed as gone), so at least one
    symptom is required; the view offers the patient's open symptoms already ticked.
    """
    if message.author_kind != Message.Author.PATIENT:
        raise SupportError("message", "only a patient's message can be recorded as a check-in")
    if message.checkin_public_id is not None:
        raise SupportError("message", "this message is already recorded as a check-in")
    if not reports:
        raise SupportError("symptom", "symptom: tick at least one symptom the message describes")
    patient = message.patient
    sent = message.sent_at.astimezone(zoneinfo.ZoneInfo(patient.clinic.time_zone))
    name, when = user.full_name or "a staff member", f"{sent.day} {sent:%b %Y %H:%M}"
    room = NOTE_MAX_CHARS - len(FROM_MESSAGE_NOTE.format(name=name, sent=when, body=""))
    body = message.body if len(message.body) <= room else message.body[: room - 1] + "…"
    with transaction.atomic():
        outcome = submit_checkin(
            patient=patient,
            # One check-in per message, whoever records it and however often the form is sent.
            idempotency_key=f"message-{message.public_id.hex}",
            reports=reports,
            mood=None,
            note=FROM_MESSAGE_NOTE.format(name=name, sent=when, body=body),
            now=now,
            # A message says what the patient wrote, not that every other open symptom has gone.
            close_unticked=False,
        )
        mark_recorded_as_checkin(message=message, checkin_public_id=outcome.checkin.public_id)
    return outcome
