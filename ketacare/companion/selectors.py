"""Reads for the patient companion: the home page's sections and the progress charts.

The companion reads across the record apps (doses, check-ins, questionnaires, intake baselines), so it
stands above them and imports them directly.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from ketacare.checkins.preparation import preparation_items
from ketacare.checkins.selectors import patient_checkins, patient_symptoms, preparation_ticks
from ketacare.checkins.timeline import timeline
from ketacare.core.instruments import classify_change, instruments
from ketacare.core.triage import describe_minutes
from ketacare.intake.selectors import intake_baselines
from ketacare.patients.models import Patient
from ketacare.questionnaires.charts import line_chart
from ketacare.questionnaires.selectors import due_assignments, patient_responses
from ketacare.treatments.selectors import last_dose, next_appointment, patient_doses, patient_route

# Plain words for the core's change classes (the thresholds themselves live in the core).
CHANGE_WORDS = {
    "remission": "Your latest score is in the range called remission: few or no symptoms.",
    "response": "Your score has fallen by at least half since you started. This is called a response.",
    "partial": "Your score has improved since you started, though by less than half.",
    "no_change": "Your score has not changed much yet. Some people need several sessions; talk with your care team about how you feel.",
    "worsening": "Your score is higher than when you started. Please talk with your clinic about it.",
}


def home_context(patient: Patient) -> dict[str, Any]:
    """Time since the last session and what to expect, active rules, next appointment, due questionnaires."""
    now = timezone.now()
    dose = last_dose(patient, now=now)
    appointment = next_appointment(patient, now=now)
    route = appointment.route if appointment and appointment.route else patient_route(patient, now=now)
    items = preparation_items(route)
    ticks = preparation_ticks(patient=patient, session_key=appointment.public_id if appointment else "next")
    return {
        "last_dose": dose,
        "timeline": timeline(
            route=dose.route, started_at=dose.started_at, now=now, time_zone=patient.time_zone
        )
        if dose
        else None,
        "appointment": appointment,
        "prep_total": len(items),
        "prep_done": sum(1 for i in items if ticks.get(i.id)),
        "due_questionnaires": list(due_assignments(patient=patient, now=now)[:10]),
    }


def progress_context(patient: Any) -> dict[str, Any]:
    """Charts of scores and mood with session markers, change in plain words, side-effect durations."""
    now = timezone.now()
    zone = ZoneInfo(patient.time_zone)
    doses = [d.started_at.astimezone(zone) for d in patient_doses(patient, now=now)]
    # Each point: (when, total, band). Staff-entered intake baselines come first where they exist.
    by_instrument: dict[str, list[tuple[Any, float, str]]] = {}
    for baseline in intake_baselines(patient):
        by_instrument.setdefault(baseline.instrument_id, []).append(
            (baseline.completed_at, baseline.total, baseline.band)
        )
    for response in patient_responses(patient=patient):
        by_instrument.setdefault(response.instrument_id, []).append(
            (response.submitted_at, response.total, response.band)
        )
    known = {i.id: i for i in instruments()}
    sections = []
    for instrument_id, points in by_instrument.items():
        definition = known.get(instrument_id)
        if definition is None or definition.completed_by != "patient":
            continue
        points.sort(key=lambda p: p[0])
        series = [(when.astimezone(zone), total) for when, total, _ in points]
        change = None
        if len(points) > 1 and definition.has_change_rules:
            change = classify_change(instrument_id, baseline=points[0][1], current=points[-1][1])
        sections.append(
            {
                "instrument": definition,
                "chart": line_chart(
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
                "change": change,
                "change_words": CHANGE_WORDS.get(change or "", ""),
                "rows": [(when.astimezone(zone), total, band) for when, total, band in points],
            }
        )
    checkins = [c for c in reversed(patient_checkins(patient=patient)[:200]) if c.mood_0_10 is not None]
    mood_series = [(c.submitted_at.astimezone(zone), float(c.mood_0_10)) for c in checkins]  # type: ignore[arg-type]
    mood_chart = line_chart(
        title="Mood over time",
        description=f"{len(mood_series)} mood ratings from 0 (very low) to 10 (very good); vertical lines mark sessions.",
        y_label="mood",
        series=mood_series,
        y_min=0,
        y_max=10,
        markers=doses,
    )
    symptoms = []
    for report in patient_symptoms(patient=patient)[:50]:
        recorded = report.recorded_minutes_after_dose
        symptoms.append(
            {
                "report": report,
                "recorded": describe_minutes(recorded) if recorded is not None else None,
                "expected": describe_minutes(report.expected_resolution_min)
                if report.expected_resolution_min is not None
                else None,
                "longer": recorded is not None
                and report.expected_resolution_min is not None
                and recorded > report.expected_resolution_min,
            }
        )
    return {
        "patient": patient,
        "sections": sections,
        "mood_chart": mood_chart,
        "mood_rows": mood_series,
        "symptoms": symptoms,
    }
