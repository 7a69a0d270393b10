"""Discharge instructions for one session: a sheet a drowsy patient can read (at most two A4 pages).

In this order (docs/decisions/0014): what happened today in plain words; the day's rules with their end
times (core.dayrules, the same objects as the home screen and e-mails); what is normal and until when
(the route's side-effect windows as clock times in the patient's zone); when to call the clinic, with
its hours and what to do out of hours; when to get help now (each red flag once, one instruction per
level); the next appointment; how to reach the clinic. Sources shrink to one footnote line; trial
details and evidence labels stay in Learn and on the clinic pages. No clinical text is written here:
it all comes from ketacare/core.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketacare.clinics.selectors import clinic_contact
from ketacare.core import knowledge
from ketacare.core.dayrules import day_rules, when_words
from ketacare.core.display import route_name
from ketacare.core.knowledge import Level
from ketacare.treatments import selectors
from ketacare.treatments.models import TreatmentSession

# How many sources the footnote names before "and others" (space on the page, not a clinical number).
FOOTNOTE_SOURCES = 8


def _until(at: dt.datetime, reference: dt.datetime) -> str:
    """'18:30 today' / '09:00 tomorrow' / '09:00 on Tuesday 8 December' (the weekday only when needed)."""
    words = when_words(at, reference=reference)
    return words.split(",")[0]


def out_of_hours(clinic: Any) -> str:
    """What to do when the clinic is closed (the clinic's settings; else the crisis and emergency lines)."""
    if clinic.after_hours_instructions:
        return str(clinic.after_hours_instructions)
    if clinic.after_hours_phone:
        return f"For something that cannot wait, call {clinic.after_hours_phone}."
    return (
        f"For something that cannot wait, call the crisis line {clinic.crisis_line} or, in an emergency, "
        f"{clinic.emergency_number}. Otherwise call the clinic when it opens."
    )


def _red_flag_groups(clinic: Any, contact: Any) -> list[dict[str, Any]]:
    """Each red flag once, grouped by what to do: one instruction per group."""
    flags = sorted(knowledge.red_flags(), key=lambda f: -f.level.rank)
    groups = [
        (
            Level.EMERGENCY,
            f"Call {clinic.emergency_number} now.",
        ),
        (
            Level.URGENT,
            f"Call the clinic now on {clinic.phone}; when it is closed, call "
            + (clinic.after_hours_phone or f"the crisis line {clinic.crisis_line}")
            + f". If you cannot reach anyone, call {clinic.emergency_number}.",
        ),
        (Level.CONTACT_CLINIC, f"Tell the clinic today on {clinic.phone}."),
    ]
    out = []
    for level, instruction in groups:
        names = [f.name for f in flags if f.level is level and not f.id.endswith("_past_window")]
        if names:
            out.append({"level": level.value, "instruction": instruction, "names": names})
    return out


def build(session: TreatmentSession, now: dt.datetime) -> dict[str, Any]:
    """The template context for the instructions page and PDF (the same content in both)."""
    patient = session.patient
    clinic = session.clinic
    zone = selectors.patient_zone(patient)
    rules = selectors.route_rules(session)
    start = (session.dose_started_at or session.checked_in_at or session.scheduled_at).astimezone(zone)
    end = (session.dose_ended_at or start).astimezone(zone)
    left = (session.discharged_at or end).astimezone(zone)
    expect: list[dict[str, Any]] = []
    sources: list[str] = []
    for effect in knowledge.side_effects():
        try:
            course = effect.course(session.route)
        except LookupError:
            continue
        window = course.window
        until = start + dt.timedelta(minutes=window.resolution_min)
        if until <= left:
            continue  # already over before the patient went home
        expect.append(
            {
                "name": effect.name,
                "until": _until(until.astimezone(zone), left),
                "tip": effect.self_care[0] if effect.self_care else "",
                "resolution_min": window.resolution_min,
            }
        )
        sources += course.sources
    expect.sort(key=lambda e: e["resolution_min"])
    day = day_rules(route=session.route, left_at=left, time_zone=patient.time_zone) if session.route else ()
    for rule in day:
        sources = [*rule.sources, *sources]
    contact = clinic_contact(clinic, now)
    appointment = selectors.next_appointment(patient, now=max(now, left))
    unique = [s for s in dict.fromkeys(sources) if s != knowledge.CLINIC_PRACTICE]
    driving = next((r for r in day if r.id == "driving"), None)
    return {
        "session": session,
        "patient": patient,
        "clinic": clinic,
        "route_name": rules.name,
        "route_short": route_name(session.route),
        "patient_zone": patient.time_zone,
        "dose_start": start,
        "dose_end": end,
        "discharged_at": session.discharged_at.astimezone(zone) if session.discharged_at else None,
        "day_rules": day,
        "driving": driving,
        "expect": expect,
        "contact": contact,
        "out_of_hours": out_of_hours(clinic),
        "red_flag_groups": _red_flag_groups(clinic, contact),
        "next_appointment": appointment,
        "footnote_sources": unique[:FOOTNOTE_SOURCES],
        "more_sources": len(unique) > FOOTNOTE_SOURCES,
        "generated_at": now.astimezone(zone),
        # The personal recovery timeline: a model estimate (None before dosing has ended).
        "recovery": selectors.session_recovery_estimate(session),
    }


def to_pdf(html: str) -> bytes:
    """Render HTML to PDF with WeasyPrint (imported lazily: it loads pango)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]
