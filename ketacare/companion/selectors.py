"""Reads for the patient companion: the home page's sections and the progress charts.

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

from ketacare.checkins.models import SymptomReport
from ketacare.checkins.preparation import before_session_day, preparation_items, progress, session_day
from ketacare.checkins.selectors import (
    patient_checkins,
    patient_symptoms,
    preparation_ticks,
    red_flags_still_open,
)
from ketacare.checkins.services import open_episodes
from ketacare.checkins.timeline import Timeline, fasting_text, timeline
from ketacare.core import knowledge as kb
from ketacare.core.dayrules import DayRule, active_rules
from ketacare.core.display import item_name, route_name
from ketacare.core.episodes import prompt_due
from ketacare.core.instruments import classify_change, instruments
from ketacare.core.protocols import route_ids
from ketacare.core.triage import describe_minutes
from ketacare.core.vigilance import cumulative_exposure
from ketacare.intake.models import Indication
from ketacare.intake.selectors import intake_baselines
from ketacare.patients.facts import SUICIDE_RISK, patient_conditions
from ketacare.patients.models import Patient
from ketacare.questionnaires.charts import Chart, line_chart
from ketacare.questionnaires.selectors import due_questionnaires, patient_responses
from ketacare.treatments.selectors import (
    current_plan,
    last_dose_start,
    next_appointment,
    patient_doses,
    patient_route,
    patient_sessions,
)

# Plain words for the core's change classes (the thresholds themselves live in the core).
# A low total never reads as good news when the same answers speak of thoughts of self-harm.
SUICIDE_ANSWER_WORDS = (
    "Your answer about thoughts of harming yourself matters more than this score. Your clinic has been "
    "told. If you might act on these thoughts, call the crisis line or the emergency number now."
)
CHANGE_WORDS = {
    "remission": "Your latest score is in the range called remission: few or no symptoms.",
    "response": "Your score has fallen by at least half since you started. This is called a response.",
    "partial": "Your score has improved since you started, though by less than half.",
    "no_change": "Your score has not changed much yet. Some people need several sessions; talk with your care team about how you feel.",
    "worsening": "Your score is higher than when you started. Please talk with your clinic about it.",
}
# Once the series is over, "some people need several sessions" would tell the patient to keep waiting
# for sessions that are not coming: say what is true then, and who decides what comes next.
CHANGE_WORDS_AFTER_SERIES = CHANGE_WORDS | {
    "no_change": "Your score has not changed much over your series of sessions. This happens for some "
    "people. Talk with your care team about how you feel and what could come next.",
}
# The same facts for the staff progress page, in the third person: staff are not the patient.
STAFF_SUICIDE_ANSWER_WORDS = (
    "Latest answers include thoughts of death or self-harm ({items}): the clinic was alerted; review the "
    "alert. The total score does not reflect this risk."
)
STAFF_CHANGE_WORDS = {
    "remission": "Latest score in the remission range.",
    "response": "Score fallen by at least half from baseline (response).",
    "partial": "Score improved from baseline, by less than half (partial response).",
    "no_change": "Little change from baseline so far.",
    "worsening": "Score higher than at baseline (worsening).",
}


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


# A warning sign still open while the patient is in the chair (as patients/_at_the_clinic.html says).
IN_CHAIR_STILL_OPEN = "tell the staff with you now. They are close by and can help at once."


@dataclass(frozen=True, slots=True)
class PatientState:
    """Where the patient is in their treatment now; the home page's first block follows it.

    ``kind``: not_started | before_session | in_chair | discharged | between_sessions |
    induction_finished | paused.
    """

    kind: str
    title: str
    detail: str = ""
    since: str = ""  # when discharged: how long ago the patient left ("just now", "40 minutes ago")


def _state(
    patient: Patient, *, now: dt.datetime, sessions: list[Any], appointment: Any, rules_active: bool
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
    plan = current_plan(patient)
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


def _series_over(patient: Patient, *, now: dt.datetime) -> bool:
    """Whether the patient's series of sessions is over: Home says it is complete or paused, or the
    sessions given have reached the review point of their plan (the prescriber's own number)."""
    sessions = _recent_sessions(patient)
    state = _state(
        patient,
        now=now,
        sessions=sessions,
        appointment=next_appointment(patient, now=now),
        rules_active=False,
    )
    if state.kind in ("induction_finished", "paused"):
        return True
    plan = current_plan(patient)
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


# Who saw a side effect gone, as Progress says it: the time is when someone looked, not when it went.
# A check-in that left it out says nothing about how long before it had gone.
# Keyed by the record's ``closed_by``; "new_dose": ticked again after the next session, which starts a
# new row (its own line), so this one ends there without being said to be gone.
GONE_WHEN = {
    "omission": "gone when you checked in",
    "patient": "gone when you told us",
    "clinician": "marked gone by your care team",
    "new_dose": "ticked again after your next session",
}
STAFF_GONE_WHEN = {
    "omission": "not ticked at the next check-in",
    "patient": "reported gone by the patient",
    "clinician": "marked gone by the care team",
    "new_dose": "ticked again after the next session (new episode)",
}


def lasted_words(report: Any, *, staff: bool = False) -> dict[str, Any]:
    """What can honestly be said about when a symptom passed (core.episodes.duration).

    A symptom closed by a later check-in or answer was last seen at one time and seen gone at another:
    both are said as times after the session, never the later one as how long it lasted (a patient who
    next checked in the following morning did not feel sick all night).
    """
    d = report.duration()
    usual = (
        describe_minutes(report.expected_resolution_min)
        if report.expected_resolution_min is not None
        else None
    )
    if report.dose_started_at is None:
        text = "still there when last asked" if d.open else "gone"
    elif d.end_min is not None:
        text = f"gone at about {describe_minutes(d.end_min)} after the session"
    elif d.open:
        text = f"still there when last asked, {describe_minutes(d.end_after_min)} after the session"
    else:
        assert d.end_before_min is not None  # noqa: S101 - closed episodes have an upper bound
        seen_gone, last_there = describe_minutes(d.end_before_min), describe_minutes(d.end_after_min)
        words = STAFF_GONE_WHEN if staff else GONE_WHEN
        gone = words.get(str(getattr(report, "closed_by", "") or ""), words["omission"])
        if last_there == seen_gone:  # two check-ins close together read the same: say the time once
            text = f"{gone}, {seen_gone} after the session"
        else:
            text = f"last reported {last_there} after the session; {gone} at {seen_gone}"
    return {"text": text, "usual": usual, "longer": d.longer_than_usual, "open": d.open}


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
    state = _state(
        patient,
        now=now,
        sessions=sessions,
        appointment=appointment,
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
    still_open = red_flags_still_open(reports)
    if state.kind == "in_chair":
        # The staff a few steps away are the fastest help: "contact your clinic today" beside "you are
        # at the clinic" reads as two instructions for one symptom.
        still_open = [dataclasses.replace(item, message=IN_CHAIR_STILL_OPEN) for item in still_open]
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


def progress_context(patient: Any, *, staff: bool = False) -> dict[str, Any]:
    """Charts of scores and mood with session markers, change in plain words, side-effect durations.

    ``staff``: the words for the staff progress page, about the patient in the third person; the
    patient's own page speaks to them ("Your score ...").
    """
    now = timezone.now()
    zone = ZoneInfo(patient.time_zone)
    doses = [d.started_at.astimezone(zone) for d in patient_doses(patient, now=now)]
    # Each point: (when, total, band). Staff-entered intake baselines come first where they exist.
    by_instrument: dict[str, list[tuple[Any, float, str]]] = {}
    for baseline in intake_baselines(patient):
        by_instrument.setdefault(baseline.instrument_id, []).append(
            (baseline.completed_at, baseline.total, baseline.band)
        )
    # Instrument -> the suicide-risk items of its latest answers (none: the instrument is left out).
    latest_suicide_risk: dict[str, list[str]] = {}
    for response in patient_responses(patient=patient):
        by_instrument.setdefault(response.instrument_id, []).append(
            (response.submitted_at, response.total, response.band)
        )
        # Responses come oldest first: the map ends up holding the instruments whose latest answer
        # carried a suicide-risk item, whatever the total.
        risky = [str(a.get("item_id", "")) for a in response.item_alerts if a.get("code") == SUICIDE_RISK]
        if risky:
            latest_suicide_risk[response.instrument_id] = risky
        else:
            latest_suicide_risk.pop(response.instrument_id, None)
    known = {i.id: i for i in instruments()}
    # The patient's own words about a score that has not moved depend on whether sessions are still to come.
    series_over = not staff and _series_over(patient, now=now)
    sections = []
    for instrument_id, points in by_instrument.items():
        definition = known.get(instrument_id)
        if definition is None or definition.completed_by != "patient":
            continue
        points.sort(key=lambda p: p[0])
        if _yes_no_check(definition):
            # A yes/no check (bladder, cravings) is a count of yes answers, not a score on a scale: no
            # chart, no "better or worse", the dates and how many questions were answered yes.
            sections.append(
                {
                    "instrument": definition,
                    "yes_no": True,
                    "questions": len(definition.items),
                    "rows": [(when.astimezone(zone), total, band) for when, total, band in points],
                }
            )
            continue
        series = [(when.astimezone(zone), total) for when, total, _ in points]
        change = None
        if len(points) > 1 and definition.has_change_rules:
            change = classify_change(instrument_id, baseline=points[0][1], current=points[-1][1])
        sections.append(
            {
                "instrument": definition,
                "chart": _whole_number_ticks(
                    line_chart(
                        title=f"{definition.title} over time",
                        description=(
                            f"{len(points)} scores from {series[0][1]:g} to {series[-1][1]:g} "
                            f"(range {definition.min_score:g} to {definition.max_score:g}; "
                            f"{'lower' if definition.higher_is_worse else 'higher'} is better); "
                            f"vertical lines mark sessions."
                        ),
                        y_label="score",
                        series=series,
                        y_min=float(definition.min_score),
                        y_max=float(definition.max_score),
                        markers=doses,
                    ),
                    y_min=float(definition.min_score),
                    y_max=float(definition.max_score),
                ),
                "change": change,
                "change_words": _change_words(
                    change, latest_suicide_risk.get(instrument_id), staff=staff, series_over=series_over
                ),
                "rows": [(when.astimezone(zone), total, band) for when, total, band in points],
            }
        )
    checkins = [c for c in reversed(patient_checkins(patient=patient)[:200]) if c.mood_0_10 is not None]
    mood_series = [(c.submitted_at.astimezone(zone), float(c.mood_0_10)) for c in checkins]  # type: ignore[arg-type]
    mood_chart = _whole_number_ticks(
        line_chart(
            title="Mood over time",
            description=f"{len(mood_series)} mood ratings from 0 (very low) to 10 (very good); vertical lines mark sessions.",
            y_label="mood",
            series=mood_series,
            y_min=0,
            y_max=10,
            markers=doses,
        ),
        y_min=0,
        y_max=10,
    )
    # Durations are for side effects: a red flag is not an effect that "lasts", and is never graded.
    symptoms = [
        {"report": report, "lasted": lasted_words(report, staff=staff)}
        for report in patient_symptoms(patient=patient).filter(kind=SymptomReport.Kind.SIDE_EFFECT)[:50]
    ]
    return {
        "patient": patient,
        "sections": sections,
        "mood_chart": mood_chart,
        "mood_rows": mood_series,
        "symptoms": symptoms,
    }


def _change_words(
    change: str | None, suicide_items: list[str] | None, *, staff: bool, series_over: bool = False
) -> str:
    """The sentence under a score chart: a suicide-risk answer first, whatever the total; else the change
    (for the patient, in the words that fit whether their series of sessions is over)."""
    if suicide_items:
        if not staff:
            return SUICIDE_ANSWER_WORDS
        return STAFF_SUICIDE_ANSWER_WORDS.format(items=", ".join(item_name(i) for i in suicide_items if i))
    if staff:
        return STAFF_CHANGE_WORDS.get(change or "", "")
    return (CHANGE_WORDS_AFTER_SERIES if series_over else CHANGE_WORDS).get(change or "", "")


# Even splits of a whole-number axis, tried in this order: halves, thirds, quarters, fifths.
TICK_SPLITS = (2, 3, 4, 5)


def _yes_no_check(definition: Any) -> bool:
    """Whether every question of the instrument is answered yes or no (its total counts the yes answers)."""
    return bool(definition.items) and all(
        {option.label.casefold() for option in item.options} == {"yes", "no"} for item in definition.items
    )


def _whole_number_ticks(chart: Chart, *, y_min: float, y_max: float) -> Chart:
    """Give a chart of whole-number scores whole-number axis labels: "13.5" on a 0-27 scale reads as
    a score no one can have. The axis is split evenly (0, 9, 18, 27 for the PHQ-9; 0, 7, 14, 21 for the
    GAD-7); a span with no even split keeps only its ends."""
    if not chart.y_ticks or not (float(y_min).is_integer() and float(y_max).is_integer()):
        return chart
    low, high = int(y_min), int(y_max)
    span = high - low
    values = [low, high] if span else [low]
    for parts in TICK_SPLITS:
        if span >= parts and span % parts == 0:
            values = list(range(low, high + 1, span // parts))
            break
    plot_h = chart.plot_bottom - chart.plot_top
    # Where line_chart puts a value: the same mapping, so a label sits at the height of its score.
    chart.y_ticks = [
        {"y": round(chart.plot_top + (1 - (v - low) / (span or 1)) * plot_h, 1), "label": str(v)}
        for v in values
    ]
    return chart


def exposure_context(patient: Patient, *, now: dt.datetime) -> dict[str, Any]:
    """Cumulative ketamine exposure for the staff progress page (decision 0012 rule 19): mg and sessions
    in the last 30, 90 and 365 days and in all, by route, from the core's ``cumulative_exposure``.

    KetaCare sets no limit of its own (no published limit for therapeutic use). A session whose dose
    has no recorded mg counts as a session but adds nothing to the mg totals, and the page says so.
    """
    doses = patient_doses(patient, now=now)
    # Sessions over every dose; mg over the doses with a recorded amount (the core takes mg > 0 only).
    sessions = cumulative_exposure([(d.started_at, 1.0) for d in doses], now=now)
    with_mg = cumulative_exposure([(d.started_at, d.dose_mg) for d in doses if d.dose_mg], now=now)
    mg_by_days = {w.days: w.total_mg for w in with_mg.windows}
    zone = ZoneInfo(patient.clinic.time_zone)
    routes: dict[str, int] = {}
    for dose in doses:
        routes[dose.route] = routes.get(dose.route, 0) + 1
    return {
        "exposure": {
            "lifetime_sessions": sessions.lifetime_sessions,
            "lifetime_mg": with_mg.lifetime_mg,
        },
        "exposure_rows": [
            {"label": f"Last {w.days} days", "sessions": w.sessions, "total_mg": mg_by_days[w.days]}
            for w in sessions.windows
        ],
        "exposure_routes": [(route_name(r), n) for r, n in routes.items()],
        "exposure_missing_mg": sum(1 for d in doses if d.dose_mg is None),
        "exposure_first": sessions.first_dose_at.astimezone(zone) if sessions.first_dose_at else None,
        "exposure_last": sessions.last_dose_at.astimezone(zone) if sessions.last_dose_at else None,
    }
