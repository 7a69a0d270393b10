"""Discharge instructions for one session: a sheet a drowsy patient can read (at most two A4 pages).

In this order (docs/decisions/0014, amended): when to get help now (each red flag once, one instruction
per level), first, since a frightened reader must not scroll past what is normal to find it; what
happened in plain words, with the booked time and the medicine's own times each named; the day's rules
with their end times (core.dayrules, the same objects as the home screen and e-mails); what is normal
and until when (the route's side-effect windows as clock times in the patient's zone); when to call the
clinic, with its hours and what to do out of hours; the next appointment; how to reach the clinic.
Every phone number is a tel: link the size of a button (a thumb on a phone). Sources shrink to one
footnote line; trial details and evidence labels stay in Learn and on the clinic pages. No clinical
text is written here: it all comes from ketacare/core.

The sheet is read later than it is made: the patient keeps it on the phone for offline reading (the
service worker caches the HTML as sent) and reads the PDF days afterwards. So every time carries its
weekday and date, never "today" or "tomorrow"; the one relative hint names the moment it was true ("Updated
10:00 on Sunday 6 December, 4 days after your treatment"), and a limit already over when the page is
made says that it ended (which stays true).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ketacare.clinics.selectors import clinic_contact
from ketacare.core import knowledge
from ketacare.core.dayrules import AFTER_SLEEP_WORDS, DayRule, day_rules, when_words
from ketacare.core.display import route_name
from ketacare.core.knowledge import Evidence, Level, RedFlag
from ketacare.treatments import selectors
from ketacare.treatments.models import TreatmentSession

# The kinds of source a patient is told the sheet rests on, in the order named: the source ids and
# trial names stay in Learn and on the clinic pages (a drowsy patient reads plain words).
_SOURCE_KINDS: tuple[tuple[str, frozenset[Evidence]], ...] = (
    ("the medicine's product information", frozenset({Evidence.LABEL})),
    (
        "published studies",
        frozenset({Evidence.RCT, Evidence.MA, Evidence.OL, Evidence.OBS, Evidence.REVIEW, Evidence.PRECLIN}),
    ),
    ("expert guidelines", frozenset({Evidence.CONS})),
    ("the advice ketamine clinics give their patients", frozenset({Evidence.PRACTICE})),
)

# Where a patient turns out of hours with a physical problem when the clinic has no after-hours line.
URGENT_CARE = "urgent medical care (an urgent care centre or an out-of-hours doctor)"


# A sentence as the template renders it: plain text, and phone numbers the template turns into links
# (treatments/_instructions_words.html), so no markup is built here and every value stays escaped.
Part = dict[str, str]


def tel(number: str) -> Part:
    """A phone number the sheet shows as a link that dials it, sized as a button (44 px high) for a
    thumb on a phone; printed, it reads as the number. The link keeps the digits and a leading + only:
    a tel: URI has no spaces."""
    digits = "".join(c for c in number if c.isdigit())
    href = ("+" if number.strip().startswith("+") else "") + digits if digits else number
    return {"tel": number, "href": href}


def words(*parts: str | Part | list[Part]) -> list[Part]:
    """One sentence of text and numbers, in order: words("Call ", tel("911"), " now.")."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, str):
            out.append({"text": part})
        elif isinstance(part, list):
            out += part
        else:
            out.append(part)
    return out


def zone_words(patient_zone: str, clinic_zone: str) -> tuple[str, str]:
    """('New York', "the clinic's time"): the zone the patient's times are in, as a place, and whose
    time it is. Never "your clock": the phone may be set to another zone (the banner says so)."""
    place = patient_zone.rsplit("/", 1)[-1].replace("_", " ")
    whose = "the clinic's time" if patient_zone == clinic_zone else "the time zone your clinic set for you"
    return place, whose


def on_day(at: dt.datetime) -> str:
    """'09:00 on Sunday 6 December': true whenever it is read (a cached page or a printed sheet)."""
    return f"{at:%H:%M} on {at:%A} {at.day} {at:%B}"


def _day_name(at: dt.datetime) -> str:
    return f"{at:%A} {at.day} {at:%B}"


def _since(day: dt.date, now: dt.date) -> str:
    """How the day the page was made stands to the treatment day, in words that stay true."""
    days = (now - day).days
    if days <= 0:
        return "the day of your treatment"
    return "the day after your treatment" if days == 1 else f"{days} days after your treatment"


def _rule_line(rule: DayRule, *, left: dt.datetime, now: dt.datetime, same_day: bool) -> dict[str, Any]:
    """One day rule as the sheet shows it: its end as a dated time, or that it has ended."""
    if rule.ends_at is None:
        # A rule without an end (eating and drinking) is for the day of the treatment.
        prefix = "" if same_day else f"On {_day_name(left)}: "
        return {"id": rule.id, "sentence": prefix + rule.sentence, "reason": rule.reason, "ended": False}
    if not rule.active(now):
        # The limit's own condition does not end with the clock (a night's sleep, feeling fully normal).
        after = (
            f"; still {AFTER_SLEEP_WORDS.removeprefix('and ')}" if AFTER_SLEEP_WORDS in rule.end_text else ""
        )
        sentence = f"{rule.title}: this limit ended {on_day(rule.ends_at)}{after}."
        return {"id": rule.id, "sentence": sentence, "reason": "", "ended": True}
    relative = when_words(rule.ends_at, reference=left)
    end_text = rule.end_text.replace(relative, on_day(rule.ends_at))
    sentence = f"{rule.text} {end_text}." if end_text else f"{rule.text}."
    return {"id": rule.id, "sentence": sentence, "reason": rule.reason, "ended": False}


def plain_sources(source_ids: list[str]) -> str:
    """'the medicine's product information, published studies and expert guidelines': the kinds of
    source behind the sheet, for patients (ids such as trial names stay in Learn)."""
    kinds = {knowledge.get_source(s).evidence for s in source_ids}
    names = [name for name, evidence in _SOURCE_KINDS if kinds & evidence]
    if len(names) < 2:
        return "".join(names) or "published information"
    return f"{', '.join(names[:-1])} and {names[-1]}"


def out_of_hours(clinic: Any) -> list[Part]:
    """What to do when the clinic is closed (the clinic's settings; else urgent care and the emergency
    number for the body, the crisis line for thoughts of suicide or a mental-health crisis only)."""
    if clinic.after_hours_instructions:
        return words(str(clinic.after_hours_instructions))
    crisis = words(
        "For thoughts of suicide or a mental-health crisis, call the crisis line ",
        tel(clinic.crisis_line),
        ".",
    )
    if clinic.after_hours_phone:
        return words("For something that cannot wait, call ", tel(clinic.after_hours_phone), ". ", crisis)
    return words(
        f"For a physical problem that cannot wait, get {URGENT_CARE}; if it is severe, call ",
        tel(clinic.emergency_number),
        ". ",
        crisis,
        " Otherwise call the clinic when it opens.",
    )


def _mental_health(flag: RedFlag) -> bool:
    """A red flag the core sends to a crisis line (its own sourced message names one)."""
    return "crisis line" in flag.patient_message


def red_flag_groups(clinic: Any, contact: Any) -> list[dict[str, Any]]:
    """Each red flag once, grouped by what to do: one instruction per group."""
    flags = sorted(knowledge.red_flags(), key=lambda f: -f.level.rank)
    after_hours = clinic.after_hours_phone
    phone, emergency, crisis = tel(clinic.phone), tel(clinic.emergency_number), tel(clinic.crisis_line)
    # Urgent problems of the mind may go to the crisis line out of hours; problems of the body never:
    # a crisis line cannot see to a bladder or a blood pressure.
    urgent_mind = words(
        "Call the clinic now on ",
        phone,
        "; when it is closed, call ",
        words(tel(after_hours), " or the crisis line ", crisis)
        if after_hours
        else words("the crisis line ", crisis),
        ". If you cannot reach anyone, call ",
        emergency,
        ".",
    )
    # The same day, as the red flags' own sourced messages say it ("today"): "now" beside them read as a
    # second, stricter instruction for the same symptom. No "today" here: the sheet is read days later.
    urgent_body = words(
        "Call the clinic on ",
        phone,
        " the same day you notice it; when it is closed, ",
        words("call ", tel(after_hours)) if after_hours else words(f"get {URGENT_CARE}"),
        ". If it is severe or you cannot get help, call ",
        emergency,
        ".",
    )
    groups: list[tuple[Level, list[Part], Callable[[RedFlag], bool]]] = [
        (Level.EMERGENCY, words("Call ", emergency, " now."), lambda f: True),
        (Level.URGENT, urgent_mind, _mental_health),
        (Level.URGENT, urgent_body, lambda f: not _mental_health(f)),
        (Level.CONTACT_CLINIC, words("Tell the clinic today on ", phone, "."), lambda f: True),
    ]
    out = []
    for level, instruction, belongs in groups:
        # A name that only says "Signs of ..." carries its signs: the reader must know what to look for.
        names = [
            f.described
            for f in flags
            if f.level is level and belongs(f) and not f.id.endswith("_past_window")
        ]
        if names:
            out.append({"level": level.value, "instruction": instruction, "names": names})
    return out


def build(session: TreatmentSession, now: dt.datetime) -> dict[str, Any]:
    """The template context for the instructions page and PDF (the same content in both)."""
    patient = session.patient
    clinic = session.clinic
    zone = selectors.patient_zone(patient)
    rules = selectors.route_rules(session)
    # The side-effect windows count from the dose; before it, from arrival (the sheet then says the
    # medicine has not been given, rather than naming this time as its start).
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
                "until": on_day(until.astimezone(zone)),
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
    local_now = now.astimezone(zone)
    same_day = local_now.date() == left.date()
    recovery = selectors.session_recovery_estimate(session)
    low_at = _low_level_at(recovery)
    place, whose = zone_words(patient.time_zone, clinic.time_zone)
    return {
        "session": session,
        "patient": patient,
        "clinic": clinic,
        "route_name": rules.name,
        "route_short": route_name(session.route),
        "patient_zone": patient.time_zone,
        # "America/New_York" reads "New York": the place, as the patient would say it, and whose time
        # it is (not "your clock": the phone may be set elsewhere).
        "zone_place": place,
        "zone_whose": whose,
        # Three times of one visit, each named for what it is: the booking (as the appointments page
        # shows it), and the medicine's start and end (what the windows and rules count from).
        "booked_at": session.scheduled_at.astimezone(zone),
        "dose_start": start,
        "dose_end": end,
        "medicine_started": session.dose_started_at is not None,
        "medicine_ended": session.dose_ended_at is not None,
        # An oral or sublingual dose or an injection ends when given: one time, not a start and an end.
        "given_at_one_time": session.dose_started_at is not None
        and session.dose_ended_at == session.dose_started_at,
        "discharged_at": session.discharged_at.astimezone(zone) if session.discharged_at else None,
        "session_day": _day_name(start),
        "updated": f"{on_day(local_now)}, {_since(start.date(), local_now.date())}",
        "day_rules": day,
        "rules": [_rule_line(r, left=left, now=now, same_day=same_day) for r in day],
        "driving": driving,
        "expect": expect,
        "contact": contact,
        "out_of_hours": out_of_hours(clinic),
        "clinic_phone_link": words(tel(clinic.phone)),
        "after_hours_link": words(tel(clinic.after_hours_phone)) if clinic.after_hours_phone else [],
        "crisis_link": words(tel(clinic.crisis_line)),
        "emergency_link": words(tel(clinic.emergency_number)),
        "red_flag_groups": red_flag_groups(clinic, contact),
        "next_appointment": appointment,
        "sources_in_words": plain_sources(unique),
        "generated_at": local_now,
        # The personal recovery timeline: a model estimate (None before dosing has ended).
        "recovery": recovery,
        # The patient went home before the model's low level: the sheet says why that is not too early.
        "home_before_low_level": bool(low_at and session.discharged_at and session.discharged_at < low_at),
    }


def _low_level_at(recovery: Any) -> dt.datetime | None:
    """When the model's patient-facing level is reached (the time the sheet shows), if it gives one."""
    threshold = recovery.patient_threshold if recovery is not None and recovery.available else None
    if threshold is None or threshold.minutes is None:
        return None
    return recovery.dose_start + dt.timedelta(minutes=threshold.minutes)


def to_pdf(html: str) -> bytes:
    """Render HTML to PDF with WeasyPrint (imported lazily: it loads pango)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]
