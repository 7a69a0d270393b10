"""Discharge instructions for one session, personalised from the core knowledge base.

What to expect (side effects with their usual windows for this route, as clock times in the
patient's zone), the safety rules with their end (the driving rule ends the next calendar day in the
patient's zone, after sleep), aftercare, the red flags and whom to call. No clinical text is written
here: it all comes from ketacare/core/knowledge and protocols.toml.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketacare.core import knowledge
from ketacare.core.knowledge import Level
from ketacare.treatments import selectors
from ketacare.treatments.models import TreatmentSession

LEVEL_LABELS = {
    Level.EMERGENCY: "Call your local emergency number now",
    Level.URGENT: "Call the clinic now (out of hours: urgent care)",
    Level.CONTACT_CLINIC: "Tell the clinic today",
}


def _fmt(at: dt.datetime, day: dt.date) -> str:
    """A clock time, with the date when it is not the treatment day."""
    return f"{at:%H:%M}" if at.date() == day else f"{at:%a %d %b %H:%M}"


def build(session: TreatmentSession, now: dt.datetime) -> dict[str, Any]:
    """The template context for the instructions page and PDF."""
    patient = session.patient
    clinic = session.clinic
    zone = selectors.patient_zone(patient)
    rules = selectors.route_rules(session)
    start = (session.dose_started_at or session.checked_in_at or session.scheduled_at).astimezone(zone)
    end = (session.dose_ended_at or start).astimezone(zone)
    day = start.date()
    expect: list[dict[str, Any]] = []
    for effect in knowledge.side_effects():
        try:
            course = effect.course(session.route)
        except LookupError:
            continue
        window = course.window
        expect.append(
            {
                "name": effect.name,
                "description": effect.description,
                "from": _fmt(start + dt.timedelta(minutes=window.onset_min), day),
                "until": _fmt(start + dt.timedelta(minutes=window.resolution_min), day),
                "call_after": _fmt(start + dt.timedelta(minutes=course.longer_than_expected_after_min), day),
                "self_care": effect.self_care,
                "resolution_min": window.resolution_min,
            }
        )
    expect.sort(key=lambda e: e["resolution_min"])
    next_day = day + dt.timedelta(days=1)
    phases = [
        {
            "title": phase.title,
            "when": phase.when,
            "items": [item for item in phase.items if item.audience == "patient"],
        }
        for phase in knowledge.aftercare_phases()
        if phase.id != "in_clinic"
    ]
    red = sorted(knowledge.red_flags(), key=lambda f: -f.level.rank)
    return {
        "session": session,
        "patient": patient,
        "clinic": clinic,
        "route_name": rules.name,
        "patient_zone": patient.time_zone,
        "dose_start": start,
        "dose_end": end,
        "discharged_at": session.discharged_at.astimezone(zone) if session.discharged_at else None,
        "driving_rule": rules.driving.rule,
        "no_driving_before": next_day,
        "expect": expect,
        "phases": phases,
        "red_flags": [
            {"name": f.name, "message": f.patient_message, "action": LEVEL_LABELS.get(f.level, f.level.value)}
            for f in red
        ],
        "generated_at": now.astimezone(zone),
        # The personal recovery timeline: a model estimate (None before dosing has ended).
        "recovery": selectors.session_recovery_estimate(session),
    }


def to_pdf(html: str) -> bytes:
    """Render HTML to PDF with WeasyPrint (imported lazily: it loads pango)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]
