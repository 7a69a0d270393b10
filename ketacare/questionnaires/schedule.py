"""Which questionnaires fall due when: calendar reasoning in the patient's zone, arithmetic in UTC.

Pure given its inputs (the policy, the patient's doses and upcoming sessions, `now`); the service in
``services.py`` stores the slots idempotently by their ``key``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

# How far ahead slots are laid out: the next periodic one only, never an endless list.
HORIZON = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PolicyValues:
    """A clinic's schedule policy as plain values (see QuestionnairePolicy for the defaults)."""

    instruments: tuple[str, ...]
    before_each_induction_session: bool
    after_first_dose_hours: int
    induction_interval_days: int
    maintenance_interval_days: int
    due_hour_local: int
    daily_mood: bool


@dataclass(frozen=True, slots=True)
class Slot:
    """One questionnaire due at ``due_at`` (UTC), identified by a stable ``key``."""

    instrument_id: str
    reason: str
    due_at: dt.datetime
    key: str


# How long before a before-session slot falls due (the start of the session's local day) an answer
# still counts for it: the day before the session. Clinic practice, not evidence: the policy sets no
# interval between sessions (the clinic books them, two or three days apart or on consecutive days),
# and the pre-dose check wants a recent score, which half the weekly interval (three and a half days)
# would not give. A day is enough not to ask a two-week scale again the day after it was answered
# (docs/decisions/0025).
BEFORE_SESSION_ANSWER_WINDOW = dt.timedelta(days=1)


def answer_window(reason: str, policy: PolicyValues) -> dt.timedelta | None:
    """How long before its due time an answer of its instrument completes a slot of this ``reason``.

    Half the slot's interval (clinic practice, docs/decisions/0025): a scale answered that close to
    the slot stands for it, since it asks about the last days or weeks, and one answered earlier is
    nearer the slot before. Weekly in induction and periodic in maintenance: half the policy's interval;
    after the first dose: half the hours after the dose (never the first hours after it); daily mood:
    half a day; before a session: ``BEFORE_SESSION_ANSWER_WINDOW``. A baseline: None, never by
    another answer (it describes the patient before treatment). Any other reason: no window, only an
    answer from its due time on.
    """
    if reason == "baseline":
        return None
    if reason == "before_session":
        return BEFORE_SESSION_ANSWER_WINDOW
    interval = {
        "induction_weekly": dt.timedelta(days=policy.induction_interval_days),
        "maintenance": dt.timedelta(days=policy.maintenance_interval_days),
        "after_first_dose": dt.timedelta(hours=policy.after_first_dose_hours),
        "daily_mood": dt.timedelta(days=1),
    }.get(reason)
    return interval / 2 if interval is not None else dt.timedelta(0)


def before_session_key_prefix(session_id: str) -> str:
    """The start of the ``key`` of every slot due before the session ``session_id`` (one per instrument)."""
    return f"before:{session_id}:"


def _local_at(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    # A wall-clock time on a local calendar day; fold=0 picks the first of a repeated hour (DST).
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.UTC)


def due_slots(
    *,
    policy: PolicyValues,
    stage: str,
    time_zone: str,
    enrolled_at: dt.datetime,
    dose_starts: Sequence[dt.datetime],
    upcoming_induction_sessions: Sequence[tuple[str, dt.datetime]],
    maintenance_started_at: dt.datetime | None,
    now: dt.datetime,
) -> list[Slot]:
    """Every slot due up to ``now + HORIZON`` for a patient at ``stage``.

    Baseline slots are due at enrolment. Before each upcoming induction session: at the start of the
    session's local day. After the first dose: ``after_first_dose_hours`` later. Weekly (induction)
    and every ``maintenance_interval_days`` (maintenance) at ``due_hour_local`` on local days counted
    from the anchor (first dose, else enrolment; maintenance: its start).
    """
    zone = ZoneInfo(time_zone)
    limit = now + HORIZON
    slots: list[Slot] = []
    if stage in ("completed", "discontinued"):
        return slots
    for instrument in policy.instruments:
        slots.append(Slot(instrument, "baseline", enrolled_at, f"baseline:{instrument}"))
    if stage == "screening":
        return [s for s in slots if s.due_at <= limit]
    first_dose = min(dose_starts) if dose_starts else None
    if stage == "induction":
        if policy.before_each_induction_session:
            for session_id, starts_at in upcoming_induction_sessions:
                local_day = starts_at.astimezone(zone).date()
                due = dt.datetime.combine(local_day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
                for instrument in policy.instruments:
                    slots.append(
                        Slot(
                            instrument,
                            "before_session",
                            due,
                            before_session_key_prefix(session_id) + instrument,
                        )
                    )
        if first_dose is not None:
            due = first_dose + dt.timedelta(hours=policy.after_first_dose_hours)
            for instrument in policy.instruments:
                slots.append(Slot(instrument, "after_first_dose", due, f"after_first:{instrument}"))
        anchor = (first_dose or enrolled_at).astimezone(zone).date()
        slots += _periodic(policy, "induction_weekly", anchor, policy.induction_interval_days, zone, limit)
    elif stage == "maintenance":
        anchor = (maintenance_started_at or first_dose or enrolled_at).astimezone(zone).date()
        slots += _periodic(policy, "maintenance", anchor, policy.maintenance_interval_days, zone, limit)
    if policy.daily_mood:
        today = now.astimezone(zone).date()
        slots.append(
            Slot("daily_mood", "daily_mood", _local_at(today, policy.due_hour_local, zone), f"mood:{today}")
        )
    return [s for s in slots if s.due_at <= limit]


def _periodic(
    policy: PolicyValues, reason: str, anchor: dt.date, every_days: int, zone: ZoneInfo, limit: dt.datetime
) -> list[Slot]:
    out: list[Slot] = []
    number = 1
    while True:
        due = _local_at(anchor + dt.timedelta(days=every_days * number), policy.due_hour_local, zone)
        if due > limit:
            return out
        for instrument in policy.instruments:
            out.append(Slot(instrument, reason, due, f"{reason}:{anchor}:{number}:{instrument}"))
        number += 1
