"""Reads for the patient companion's home page (the progress pages read in ``companion.progress``).

The companion reads across the record apps (doses, check-ins, questionnaires, intake baselines), so it
stands above them and imports them directly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from ketacare.checkins.preparation import before_session_day, preparation_items, progress, session_day
from ketacare.checkins.selectors import (
    preparation_ticks,
    red_flags_still_open,
)
from ketacare.checkins.services import open_episodes
from ketacare.checkins.timeline import Timeline, fasting_text, timeline
from ketacare.core import knowledge as kb
from ketacare.core.dayrules import DayRule, active_rules
from ketacare.core.episodes import prompt_due
from ketacare.core.protocols import route_ids
from ketacare.core.triage import describe_minutes
from ketacare.intake.models import Indication
from ketacare.patients.facts import patient_conditions
from ketacare.patients.models import Patient
from ketacare.questionnaires.selectors import due_questionnaires
from ketacare.treatments.selectors import (
    current_plan,
    ended_plans,
    last_dose_start,
    next_appointment,
    patient_route,
    patient_sessions,
)

# Aftercare guidance (core aftercare.toml item ids) whose evidence comes from trials in one condition,
# and the intake indications it fits: Home shows it only to a patient treated for that condition, so
# a patient never reads a trial about someone else's illness as advice for their own.
GUIDANCE_FOR_INDICATIONS: dict[str, frozenset[str]] = {
    # Wilkinson2017, Wilkinson2021: people with treatment-resistant major depression.
    "cbt_after_response": frozenset({Indication.TREATMENT_RESISTANT_DEPRESSION, Indication.MAJOR_DEPRESSION}),
    # Grabski2022: alcohol use disorder, which no intake indication records: shown to no one here.
    "relapse_prevention_therapy_aud": frozenset(),
}

# Under two minutes "0 minutes ago" or "1 minute ago" reads like a glitch to a patient who has
# just walked out of the door.
JUST_NOW_MIN = 2


def _ago(minutes: float) -> str:
    """How long ago, in plain words: "just now" under two minutes, else "40 minutes ago"."""
    return "just now" if minutes < JUST_NOW_MIN else f"{describe_minutes(minutes)} ago"


IN_CHAIR_STAGES = {
    "checked_in": "You have arrived: the team is getting ready.",
    "dosing": "Your treatment is being given now.",
    "observing": "You are being observed after the treatment. Stay seated and tell the staff how you feel.",
    "ready_for_discharge": "The team is checking that you are ready to go home.",
}


@dataclass(frozen=True, slots=True)
class PatientState:
    """Where the patient is in their treatment now; the home page's first block follows it.

    ``kind``: not_started | before_session | in_chair | discharged | between_sessions |
    induction_finished | paused | completed | discontinued (the last two: the course has ended).
    """

    kind: str
    title: str
    detail: str = ""
    since: str = ""  # when discharged: how long ago the patient left ("just now", "40 minutes ago")
    still: tuple[str, ...] = ()  # when the course has ended: what still applies, one line each


# The stages a course ends in (treatments.services.end_treatment_plan sets them with the plan's end).
COURSE_ENDED_STAGES = frozenset({Patient.Stage.COMPLETED, Patient.Stage.DISCONTINUED})
COURSE_ENDED_TITLES = {
    Patient.Stage.COMPLETED: "Your course of treatment is complete",
    Patient.Stage.DISCONTINUED: "Your course of treatment was stopped",
}
# The indications whose returning symptom a patient knows as low mood (intake.models.Indication).
LOW_MOOD_INDICATIONS = frozenset(
    {
        Indication.TREATMENT_RESISTANT_DEPRESSION,
        Indication.MAJOR_DEPRESSION,
        Indication.BIPOLAR_DEPRESSION,
    }
)
# After the course no questionnaire is laid out for the patient (questionnaires.schedule.due_slots
# lays out none at these stages), and any can still be filled in from the questionnaires page, whose
# scores the clinic's relapse checks read (vigilance.course_signals): one of the few ways a returning
# low mood reaches the clinic once sessions are over. Check-ins stay open the same way.
STILL_AFTER_THE_COURSE = (
    "You can still check in here at any time to tell the clinic how you feel.",
    # Those laid out before the course ended may still be listed as due below: "new" stays true of them.
    "No new questionnaires will be scheduled. You can still fill one in at any time (Questionnaires, "
    "in the menu) when you want the clinic to know how you are.",
)


def course_ended(patient: Patient, plan: Any) -> bool:
    """Whether the patient's course has ended: completed or discontinued, with no active plan (a new
    plan starts a new course and moves the stage on again)."""
    return plan is None and patient.stage in COURSE_ENDED_STAGES


def _ended_state(patient: Patient, *, zone: ZoneInfo) -> PatientState:
    """The home's first block once the course has ended: that it is over, the sessions held and the
    last one's date, and what still applies (the clinic to call if the symptoms return, check-ins and
    questionnaires). No word on doses: there are none to plan."""
    ended = ended_plans(patient)
    if ended:
        held, last_at = ended[0].held, ended[0].last_held_at
    else:
        # Completed or discontinued with no plan ended on record: the sessions held are all there is.
        given = patient_sessions(patient).filter(discharged_at__isnull=False).exclude(state="cancelled")
        last = given.first()
        held, last_at = given.count(), (last.discharged_at if last is not None else None)
    if held and last_at is not None:
        day = last_at.astimezone(zone)
        on = f"{_day_words(day)} {day.year}"
        sessions_words = (
            f"You had 1 session, on {on}." if held == 1 else f"You had {held} sessions; the last was on {on}."
        )
    else:
        sessions_words = "No session was held in this course."
    clinic = patient.clinic
    returning = (
        "your low mood comes back or gets worse"
        if set(patient_conditions(patient)) & LOW_MOOD_INDICATIONS
        else "what you were treated for comes back or gets worse"
    )
    return PatientState(
        str(patient.stage),
        COURSE_ENDED_TITLES[Patient.Stage(patient.stage)],
        f"{sessions_words} No more sessions are planned.",
        still=(
            f"If {returning}, tell the clinic: call {clinic.name} on {clinic.phone}.",
            *STILL_AFTER_THE_COURSE,
        ),
    )


def _state(
    patient: Patient,
    *,
    now: dt.datetime,
    sessions: list[Any],
    appointment: Any,
    plan: Any,
    rules_active: bool,
) -> PatientState:
    zone = ZoneInfo(patient.time_zone)
    live = [s for s in sessions if s.state in IN_CHAIR_STAGES]
    if live:
        return PatientState("in_chair", "You are at the clinic", IN_CHAIR_STAGES[live[0].state])
    discharged = [s for s in sessions if s.discharged_at is not None and s.discharged_at <= now]
    if discharged and rules_active:
        since = _ago((now - discharged[0].discharged_at).total_seconds() / 60)
        return PatientState(
            "discharged",
            f"You left the clinic {since}",
            "Rest today. Below: the rules for today with their end times, and what is normal to feel now.",
            since=since,
        )
    if _is_today(appointment, zone=zone, now=now):
        assert appointment is not None  # noqa: S101 - _is_today is False without one
        return PatientState(
            "before_session",
            f"Your session is today at {appointment.starts_at.astimezone(zone):%H:%M}",
            "Check your preparation below: eating and drinking before the session, and your ride home.",
        )
    if course_ended(patient, plan):
        return _ended_state(patient, zone=zone)
    if plan is None:
        if sessions:
            return PatientState(
                "paused",
                "Your treatment is paused",
                "No sessions are planned at the moment. Contact your clinic if you want to talk about restarting.",
            )
        return PatientState(
            "not_started", "Welcome", "After your first session this page shows what to expect."
        )
    if appointment is None and discharged:
        review = plan.review_due_before or plan.review_not_before
        when = f" by {review.astimezone(zone):%A %-d %B}" if review and review > now else ""
        return PatientState(
            "induction_finished",
            "Your first series of sessions is complete",
            "What comes next is decided with your clinic. Some people go on with maintenance: further "
            "sessions, spaced further apart, to keep the improvement. Whether you need them, and how "
            f"often, is decided at your review{when}. "
            f"To book, call {patient.clinic.name} on {patient.clinic.phone}.",
        )
    # Never a bare heading: the state says what comes next.
    starts = appointment.starts_at.astimezone(zone) if appointment is not None else None
    detail = "Your clinic books your next session with you."
    if starts is not None:
        detail = f"Your next session is at {starts:%H:%M} on {_day_words(starts)}."
    return PatientState("between_sessions", "Between sessions", detail)


def _is_today(appointment: Any, *, zone: ZoneInfo, now: dt.datetime) -> bool:
    """Whether a booked appointment is on today's date on the patient's clock."""
    return (
        appointment is not None
        and appointment.starts_at.astimezone(zone).date() == now.astimezone(zone).date()
    )


def session_today(patient: Patient, *, now: dt.datetime) -> Any:
    """The patient's appointment booked for later today (their clock), or None."""
    appointment = next_appointment(patient, now=now)
    return appointment if _is_today(appointment, zone=ZoneInfo(patient.time_zone), now=now) else None


def _recent_sessions(patient: Patient) -> list[Any]:
    """The patient's latest sessions that were not cancelled, newest first (what the state reads)."""
    return [s for s in patient_sessions(patient)[:20] if s.state != "cancelled"]


def series_is_over(patient: Patient, *, now: dt.datetime) -> bool:
    """Whether the patient's series of sessions is over: Home says it is complete or paused, or the
    sessions given have reached the review point of their plan (the prescriber's own number)."""
    sessions = _recent_sessions(patient)
    plan = current_plan(patient)
    state = _state(
        patient,
        now=now,
        sessions=sessions,
        appointment=next_appointment(patient, now=now),
        plan=plan,
        rules_active=False,
    )
    if state.kind in ("induction_finished", "paused", *COURSE_ENDED_STAGES):
        return True
    if plan is None:
        return False
    given = (
        patient_sessions(patient)
        .filter(discharged_at__isnull=False, discharged_at__lte=now)
        .exclude(state="cancelled")
        .count()
    )
    return given >= plan.review_after_session


# Aftercare items Home does not list: the "avoid" items are the day's rules, shown above with their end
# times, and these are said by another block (the ride home and sleep by the driving rule, water and
# food and side effects passing by "what is normal to feel").
HOME_SAID_ELSEWHERE = frozenset({"ride_home", "sleep", "water_and_food", "side_effects_gone"})


def _session_day_timeline() -> Timeline:
    """Home's "what to expect" on the day of a session not yet begun: today's phase (the session) and
    the one after it. The last session's phase ("The following weeks") is not what today holds."""
    phases = kb.aftercare_phases()
    index = next(i for i, p in enumerate(phases) if p.id == "in_clinic")
    return Timeline(
        since="",
        phase=phases[index],
        next_phase=phases[index + 1] if index + 1 < len(phases) else None,
        expected_now=[],
        rules=[],
    )


def _timeline_for_patient(timeline_now: Timeline, patient: Patient, route: str) -> Timeline:
    """The timeline as Home shows it to this patient: what is normal to feel in the order it passes
    (as the discharge instructions list it), condition-specific evidence only for their condition, and
    only the items Home lists (a phase left with none gets no heading)."""
    ends_min: dict[str, float] = {}
    if route in kb.ROUTES:
        for effect in kb.side_effects():
            try:
                ends_min[effect.name] = effect.course(route).window.resolution_min
            except LookupError:
                continue
    expected = sorted(timeline_now.expected_now, key=lambda e: ends_min.get(e[0], math.inf))
    conditions = set(patient_conditions(patient))
    items = tuple(
        item
        for item in timeline_now.phase.items
        if item.audience == "patient"
        and item.kind != "avoid"
        and item.id not in HOME_SAID_ELSEWHERE
        and (item.id not in GUIDANCE_FOR_INDICATIONS or conditions & GUIDANCE_FOR_INDICATIONS[item.id])
    )
    return dataclasses.replace(
        timeline_now, expected_now=expected, phase=dataclasses.replace(timeline_now.phase, items=items)
    )


def home_context(patient: Patient) -> dict[str, Any]:
    """The patient's state, time since the last session and what to expect, the day's rules (one engine:
    core.dayrules), open symptoms to answer, next appointment with its preparation, due questionnaires."""
    now = timezone.now()
    dose = last_dose_start(patient, now=now)
    appointment = next_appointment(patient, now=now)
    if appointment and appointment.route:
        route = appointment.route
    elif dose is not None and dose.route:
        route = dose.route  # what patient_route answers first, without asking for the last dose again
    else:
        route = patient_route(patient, now=now)
    items = preparation_items(route, patient.clinic)
    # The checklist counts only for a booked session: without one nothing is ticked for.
    ticks = preparation_ticks(patient=patient, session_key=appointment.public_id) if appointment else {}
    prep = progress(
        items,
        ticks,
        before_the_day=appointment is not None
        and before_session_day(appointment.starts_at, clinic_zone=patient.clinic.time_zone, now=now),
    )
    sessions = _recent_sessions(patient)
    rules: tuple[DayRule, ...] = ()
    left_at = None
    if dose is not None and dose.route in route_ids():
        session = next((s for s in sessions if str(s.public_id) == dose.session_public_id), None)
        left_at = (session.discharged_at if session is not None else None) or dose.ended_at or dose.started_at
        rules = active_rules(route=dose.route, left_at=left_at, time_zone=patient.time_zone, now=now)
    plan = current_plan(patient)
    state = _state(
        patient,
        now=now,
        sessions=sessions,
        appointment=appointment,
        plan=plan,
        rules_active=any(r.ends_at for r in rules),
    )
    # A session today comes first: what today holds, not the phase after the last session.
    shown: Timeline | None = None
    if state.kind == "before_session":
        shown = _timeline_for_patient(_session_day_timeline(), patient, route)
    elif dose is not None and state.kind != "in_chair":
        shown = _timeline_for_patient(
            timeline(route=dose.route, started_at=dose.started_at, now=now, time_zone=patient.time_zone),
            patient,
            dose.route,
        )
    reports = open_episodes(patient=patient)
    # In the chair the staff a few steps away are the fastest help (the selector's own words).
    still_open = red_flags_still_open(reports, in_the_chair=state.kind == "in_chair")
    # A red flag said above, with what to do and its own "it has gone" link, is not asked about twice.
    said_above = {item.report.pk for item in still_open}
    episodes = []
    for report in (r for r in reports if r.pk not in said_above):
        asking = None
        if report.dose_started_at is not None:
            asking = prompt_due(report.episode(), now_min=(now - report.dose_started_at).total_seconds() / 60)
        episodes.append({"report": report, "asking_now": asking is not None})
    return {
        "state": state,
        "last_dose": dose,
        "timeline": shown,
        "session_today": state.kind == "before_session",
        # Said apart from the state: on the day of the last session the state is still "discharged".
        "course_ended": course_ended(patient, plan),
        # The discharge instructions link names the session they are from: on the morning of the next
        # session they are still the last one's.
        "instructions_from": _day_words(dose.started_at.astimezone(ZoneInfo(patient.time_zone)))
        if dose is not None
        else "",
        "day_rules": rules,
        "open_episodes": episodes,
        "still_open": still_open,
        "appointment": appointment,
        "fasting": fasting_text(patient.clinic, route),
        "prep_total": prep.tickable,
        "prep_done": prep.done,
        "prep_day": session_day(
            appointment.starts_at, clinic_zone=patient.clinic.time_zone, patient_zone=patient.time_zone
        )
        if appointment
        else "",
        "due_questionnaires": due_questionnaires(patient=patient, now=now)[:10],
    }


def _day_words(at: dt.datetime) -> str:
    """'Thursday 3 December': a date that stays true whenever the page is read."""
    return f"{at:%A} {at.day} {at:%B}"
