"""Reads for the progress pages (the patient's own and the clinic's): score charts with the change from
the baseline in words, mood, when side effects passed, and the clinic's cumulative exposure.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from ketacare.checkins.models import SymptomReport
from ketacare.checkins.onset import day_words
from ketacare.checkins.selectors import patient_checkins, patient_symptoms
from ketacare.companion.selectors import series_is_over
from ketacare.core.display import item_name, route_name
from ketacare.core.instruments import classify_change, instruments
from ketacare.core.triage import describe_minutes
from ketacare.core.vigilance import cumulative_exposure
from ketacare.intake.selectors import intake_baselines
from ketacare.patients.facts import SUICIDE_RISK
from ketacare.patients.models import Patient
from ketacare.questionnaires.charts import Chart, line_chart
from ketacare.questionnaires.selectors import patient_responses
from ketacare.treatments.selectors import patient_doses

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


def began_words(report: Any) -> str:
    """When a side effect began, as the patient gave it at the check-in ("about 30 minutes after the
    session", "on Monday 7 December"), or "not given": the check-in's own time is when they reported it,
    never when it began. Worded for both readers ("the session"), with no "today" a later read makes wrong.
    """
    if report.onset_day is not None:
        return f"on {day_words(report.onset_day)}"
    if report.onset_min is not None and report.dose_started_at is not None:
        if report.onset_min < 1:
            return "at the session"
        return f"about {describe_minutes(report.onset_min)} after the session"
    return "not given"


# One score on a chart: when, total, band, and whether the clinic entered it at intake.
Point = tuple[dt.datetime, float, str, bool]
# The first score, which the change is measured from, as each reader's table marks it.
BASELINE_TAG = {True: "Baseline", False: "Starting score"}
AT_INTAKE_TAG = "at intake"
# Percentages are rounded down, never up, so that a percentage shown never reaches a threshold the score
# did not: a 49.6% drop shown as "50%" beside "by less than half" would read as the response the rule did
# not find. The tolerance keeps an exact 30% (10 -> 7) from flooring to 29% on binary rounding.
_TOLERANCE = 1e-9


def _row_tag(index: int, at_intake: bool, *, staff: bool) -> str:
    """What the score table says beside a row: the baseline (the first row), and where the clinic
    entered a score at intake."""
    if index == 0:
        return f"{BASELINE_TAG[staff]}, {AT_INTAKE_TAG}" if at_intake else BASELINE_TAG[staff]
    return AT_INTAKE_TAG.capitalize() if at_intake else ""


def _score(value: float) -> str:
    """A score as the table shows it: whole numbers bare, a mean (BPI) to one decimal."""
    return f"{round(value, 1):g}"


def _date_words(at: dt.datetime, *, zone: ZoneInfo, now: dt.datetime) -> str:
    """'2 November', with the year when it is not this year's."""
    local = at.astimezone(zone)
    year = f" {local.year}" if local.year != now.astimezone(zone).year else ""
    return f"{local.day} {local:%B}{year}"


def _percent_words(definition: Any, baseline: float, current: float, *, staff: bool) -> str:
    """The improvement as a percentage, counted as the change rule counts it: of the baseline's distance
    from the best score (the "% reduction from baseline" of a symptom scale whose best is 0). Only for an
    improvement on an instrument whose rule is a fraction (the PCL-5's is in points: none is said)."""
    if definition.response_min_drop_fraction is None and definition.partial_min_drop_fraction is None:
        return ""
    direction = 1 if definition.higher_is_worse else -1
    best = float(definition.min_score if definition.higher_is_worse else definition.max_score)
    headroom = (baseline - best) * direction
    improvement = (baseline - current) * direction
    if headroom <= 0 or improvement <= 0:
        return ""
    percent = math.floor(improvement / headroom * 100 + _TOLERANCE)
    amount = f"{percent}%" if percent >= 1 else "under 1%"
    if definition.higher_is_worse and best == 0:
        return f"{amount} less" if staff else f"{amount} less than at the start"
    start = "the baseline" if staff else "your first score"
    return f"{amount} of the way from {start} to the best score ({best:g})"


def change_detail(
    definition: Any, first: Point, latest: Point, *, staff: bool, zone: ZoneInfo, now: dt.datetime
) -> str:
    """What the change is measured from and how large it is: "Baseline 20 (entered by the clinic at
    intake on 2 November) → latest 14 (30 November): 6 points lower, 30% less." for staff; the same
    numbers in plain words for the patient."""
    (first_at, baseline, _, first_intake), (latest_at, current, _, latest_intake) = first, latest
    moved = round(abs(current - baseline), 1)
    if moved == 0:
        change = "the same score" if staff else "the same as your first"
    else:
        change = f"{moved:g} point{'' if moved == 1 else 's'} {'lower' if current < baseline else 'higher'}"
        percent = _percent_words(definition, baseline, current, staff=staff)
        if percent:
            change = f"{change}, {percent}"
    first_day, latest_day = (_date_words(at, zone=zone, now=now) for at in (first_at, latest_at))
    if staff:
        source = (
            f"entered by the clinic at intake on {first_day}"
            if first_intake
            else f"the patient's first answer, {first_day}"
        )
        latest_when = f"at intake, {latest_day}" if latest_intake else latest_day
        return f"Baseline {_score(baseline)} ({source}) → latest {_score(current)} ({latest_when}): {change}."
    source = f", taken by your clinic at intake on {first_day}" if first_intake else f", on {first_day}"
    return (
        f"Your first score was {_score(baseline)}{source}. "
        f"Your latest, on {latest_day}, is {_score(current)}: {change}."
    )


def progress_context(patient: Any, *, staff: bool = False) -> dict[str, Any]:
    """Charts of scores and mood with session markers, change in plain words, side-effect durations.

    ``staff``: the words for the staff progress page, about the patient in the third person; the
    patient's own page speaks to them ("Your score ...").
    """
    now = timezone.now()
    zone = ZoneInfo(patient.time_zone)
    doses = [d.started_at.astimezone(zone) for d in patient_doses(patient, now=now)]
    # The page's own clock: the staff page shows its dates on the clinic's (its {% timezone %}).
    shown_zone = ZoneInfo(patient.clinic.time_zone if staff else patient.time_zone)
    # Each point: (when, total, band, entered at intake). Staff-entered intake baselines come first where
    # they exist, and stay first on a tie (the sort below is stable).
    by_instrument: dict[str, list[Point]] = {}
    for baseline in intake_baselines(patient):
        by_instrument.setdefault(baseline.instrument_id, []).append(
            (baseline.completed_at, baseline.total, baseline.band, True)
        )
    # Instrument -> the suicide-risk items of its latest answers (none: the instrument is left out).
    latest_suicide_risk: dict[str, list[str]] = {}
    for response in patient_responses(patient=patient):
        by_instrument.setdefault(response.instrument_id, []).append(
            (response.submitted_at, response.total, response.band, False)
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
    series_over = not staff and series_is_over(patient, now=now)
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
                    "rows": [(when.astimezone(zone), total, band) for when, total, band, _ in points],
                }
            )
            continue
        series = [(when.astimezone(zone), total) for when, total, *_ in points]
        change = None
        detail = ""
        if len(points) > 1 and definition.has_change_rules:
            change = classify_change(instrument_id, baseline=points[0][1], current=points[-1][1])
            # A low total beside a suicide-risk answer is not shown to the patient as points gained.
            if staff or instrument_id not in latest_suicide_risk:
                detail = change_detail(
                    definition, points[0], points[-1], staff=staff, zone=shown_zone, now=now
                )
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
                "change_detail": detail,
                "rows": [
                    (when.astimezone(zone), total, band, _row_tag(n, at_intake, staff=staff))
                    for n, (when, total, band, at_intake) in enumerate(points)
                ],
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
        {"report": report, "began": began_words(report), "lasted": lasted_words(report, staff=staff)}
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
