"""Prompts on the treatment timeline, sent through ``notifications.services.deliver``: run by
`manage.py send_prompts` (every 15 minutes or so; each prompt goes once per channel).

The default schedule (clinic practice, not a published standard; docs/decisions/0020):

- when observation ends (the discharge time): "you have a check-in waiting";
- the evening of the session (:data:`EVENING` on the patient's clock, when still after discharge);
- the next morning (:data:`MORNING`);
- 48 and 72 hours after the dose started;
- the day before the next appointment (:data:`DAY_BEFORE`), opening the preparation checklist.

Calendar times are on the patient's own clock (their IANA zone, so DST is handled by ``zoneinfo``).
A prompt whose time came during the patient's quiet hours is held by ``deliver`` and sent by a later
run, up to :data:`LATENESS` after its time; after that it is stale and dropped. None of these is a
safety follow-up, so all respect quiet hours.

A questionnaire that falls due is not one of these prompts: ``questionnaires.services.send_due_reminders``
reminds the patient once for all that are waiting, through the same ``deliver``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Q

from ketacare.notifications.models import Delivery
from ketacare.notifications.services import deliver
from ketacare.patients.models import Patient
from ketacare.treatments.models import Appointment, TreatmentSession

EVENING = dt.time(19, 0)  # clinic practice
MORNING = dt.time(9, 0)  # clinic practice
DAY_BEFORE = dt.time(18, 0)  # clinic practice: the evening before, with the preparation checklist
LATENESS = dt.timedelta(hours=12)  # a held prompt still goes this long after its time
FOLLOW_UP_DAYS = 4  # sessions discharged this recently have prompts left (the 72 h one and its lateness)


@dataclass(frozen=True, slots=True)
class Prompt:
    """One prompt: when it is due, which fixed text it sends, the page it opens, its once-only key."""

    name: str
    at: dt.datetime
    kind: str
    path: str
    key: str


def _local(day: dt.date, clock: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=zone)


def session_prompts(session: TreatmentSession, zone: zoneinfo.ZoneInfo) -> list[Prompt]:
    """The check-in prompts after one discharged session."""
    left = session.discharged_at
    if left is None:
        return []
    start = session.dose_started_at or left
    day = left.astimezone(zone).date()
    times = [
        ("observation_end", left),
        ("evening", _local(day, EVENING, zone)),
        ("next_morning", _local(day + dt.timedelta(days=1), MORNING, zone)),
        ("48h", start + dt.timedelta(hours=48)),
        ("72h", start + dt.timedelta(hours=72)),
    ]
    return [
        Prompt(name, at, "checkin_prompt", "/me/checkin/", f"prompt:{name}:{session.public_id}")
        for name, at in times
        if at >= left
    ]


def patient_prompts(patient: Patient, *, now: dt.datetime) -> list[Prompt]:
    """Every prompt of the default schedule whose time is within LATENESS before ``now``."""
    zone = zoneinfo.ZoneInfo(patient.time_zone)
    prompts: list[Prompt] = []
    for session in TreatmentSession.objects.filter(
        patient=patient, discharged_at__gte=now - dt.timedelta(days=FOLLOW_UP_DAYS), discharged_at__lte=now
    ):
        prompts += session_prompts(session, zone)
    for appointment in Appointment.objects.filter(
        patient=patient,
        status=Appointment.Status.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(days=2),
    ):
        day = appointment.starts_at.astimezone(zone).date() - dt.timedelta(days=1)
        prompts.append(
            Prompt(
                "day_before",
                _local(day, DAY_BEFORE, zone),
                "session_tomorrow",
                "/me/preparation/",
                f"prompt:day_before:{appointment.public_id}",
            )
        )
    return [p for p in prompts if p.at <= now < p.at + LATENESS]


def _candidates(now: dt.datetime) -> list[Patient]:
    recent = now - dt.timedelta(days=FOLLOW_UP_DAYS)
    ids = set(
        TreatmentSession.objects.filter(discharged_at__gte=recent, discharged_at__lte=now).values_list(
            "patient_id", flat=True
        )
    )
    ids |= set(
        Appointment.objects.filter(
            Q(status=Appointment.Status.SCHEDULED),
            starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(days=2),
        ).values_list("patient_id", flat=True)
    )
    return list(
        Patient.objects.filter(pk__in=ids, archived_at__isnull=True, user__isnull=False).select_related(
            "user"
        )
    )


def send_due_prompts(*, now: dt.datetime) -> list[Delivery]:
    """Deliver every prompt now due (each once per channel, its key in the delivery log)."""
    sent: list[Delivery] = []
    for patient in _candidates(now):
        for prompt in patient_prompts(patient, now=now):
            sent += deliver(
                patient=patient, kind=prompt.kind, url=prompt.path, now=now, dedupe_key=prompt.key
            )
    return sent
