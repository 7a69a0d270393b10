"""Reads for support people: what each role sees, and nothing else (never journal, scores or messages)."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from ketacare.clinics.selectors import clinic_contact
from ketacare.core import knowledge
from ketacare.core.knowledge import Level
from ketacare.patients.facts import upcoming_appointments
from ketacare.patients.models import Patient
from ketacare.support.models import SupportGrant
from ketacare.support.services import COMPANION_DAYS_AHEAD, day_bounds, is_active, treatment_days
from ketacare.treatments import instructions
from ketacare.treatments.instructions import URGENT_CARE, Part, red_flag_groups, tel, words
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.selectors import at_the_clinic, patient_sessions

# How far ahead an ongoing supporter sees appointments (a page length, not a clinical number).
SUPPORTER_HORIZON_DAYS = 90


def patient_grants(patient: Patient) -> QuerySet[SupportGrant]:
    """The people this patient invited, newest first."""
    return SupportGrant.objects.filter(patient=patient)


def active_grant(public_id: str, now: dt.datetime) -> SupportGrant | None:
    """The grant held in a support person's session, while it still works."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    grant = SupportGrant.objects.select_related("patient", "patient__clinic").filter(public_id=key).first()
    return grant if grant is not None and is_active(grant, now) else None


def next_companion_day(patient: Patient, now: dt.datetime) -> dt.date | None:
    """The first day, from today on the patient's clock, a companion may be invited for: the day of the
    patient's next session booked or held (today's counts: its night is what a companion is for), within
    the days an invitation may look ahead; None when none is booked."""
    today = now.astimezone(zoneinfo.ZoneInfo(patient.time_zone)).date()
    days = treatment_days(patient, today, today + dt.timedelta(days=COMPANION_DAYS_AHEAD))
    return min(days, default=None)


def short_name(patient: Patient) -> str:
    """How the companion's page names the patient in its sentences ("Hiro went home at 11:00"): the
    preferred name, else the first word of the full name."""
    return patient.preferred_name or patient.full_name.split(" ", 1)[0] or patient.full_name


# The core writes to the patient: the day rules and their reasons ("when you feel fully normal"), the red
# flags' names and signs ("Not able to look after yourself", "a sudden change in your vision") and the
# side effects' names ("Changes in what you see or hear"). A support person reads them about the
# patient: every "you" those words use, in the words for a third person. Phrases, not single words:
# "you" is "they" or "them" by its place in the sentence (the support tests catch a "you" left over).
_ABOUT_THEM = (
    ("takes you home", "takes them home"),
    ("you feel", "they feel"),
    ("you leave", "they leave"),
    ("look after yourself", "look after themselves"),
    ("change in your vision", "change in their vision"),
    ("feeling you do not need sleep", "feeling they do not need sleep"),
    ("what you see or hear", "what they see or hear"),
)


def about_them(sentence: str) -> str:
    """The core's words to the patient as a support person reads them: about the patient, not to them."""
    for yours, theirs in _ABOUT_THEM:
        sentence = sentence.replace(yours, theirs)
    return sentence


def _level_action(level: Level, clinic: Any) -> list[Part]:
    """What a support person does for a sign at ``level``, in one line: the core's words for the level
    (core.triage.LEVEL_MESSAGES), said to the support person about the patient, with the numbers."""
    phone = tel(clinic.phone)
    if level is Level.EMERGENCY:
        return words("Call ", tel(clinic.emergency_number), " now.")
    if level is Level.URGENT:
        return words("Call the clinic now on ", phone, "; when it is closed, ", _closed(clinic), ".")
    if level is Level.CONTACT_CLINIC:
        return words("Tell the clinic today on ", phone, ".")
    if level is Level.LONGER_THAN_EXPECTED:
        return words(
            "Not an emergency: let them rest; the clinic will see this report. Call it on ",
            phone,
            " if it gets worse or something new starts.",
        )
    return words("This is expected after treatment and should pass: let them rest.")


def _closed(clinic: Any) -> list[Part]:
    """Where a problem of the body goes when the clinic is closed: never the crisis line, which cannot
    see to a bladder or a blood pressure."""
    if clinic.after_hours_phone:
        return words("call ", tel(clinic.after_hours_phone))
    return words("get ", URGENT_CARE)


def _action(group: dict[str, Any], clinic: Any) -> list[Part]:
    """What a support person does for a red flag of ``group``, in one line: the group's instruction on
    the patient's sheet, shortened. Its fallback ("if you cannot reach anyone, call the emergency
    number") is said once, beside the emergency call above the list, rather than on every line."""
    level = Level(group["level"])
    if level is Level.URGENT and any("crisis line" in part.get("text", "") for part in group["instruction"]):
        # A problem of the mind: the sheet sends it to the crisis line when the clinic is closed.
        crisis = tel(clinic.crisis_line)
        closed = (
            words(tel(clinic.after_hours_phone), " or the crisis line ", crisis)
            if clinic.after_hours_phone
            else words("the crisis line ", crisis)
        )
        return words("Call the clinic now on ", tel(clinic.phone), ", or ", closed, " when it is closed.")
    if level is Level.URGENT:
        # As the sheet says it for the body: the same day the sign is noticed.
        return words(
            "Call the clinic on ",
            tel(clinic.phone),
            " the same day; when it is closed, ",
            _closed(clinic),
            ".",
        )
    return _level_action(level, clinic)


def companion_red_flags(clinic: Any, contact: Any) -> list[dict[str, Any]]:
    """Every red flag the patient's discharge sheet lists, in its order, for a support person to read
    fast: its id and level, its name about the patient, and one line of what to do (its group's)."""
    # The sheet lists each flag by its name with its signs (``described``): the way back to the flag.
    flags = {flag.described: flag for flag in knowledge.red_flags()}
    return [
        {
            "id": flags[described].id,
            "level": group["level"],
            "name": about_them(described),
            "action": _action(group, clinic),
        }
        for group in red_flag_groups(clinic, contact)
        for described in group["names"]
    ]


def companion_answer(result: dict[str, Any], clinic: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """The answer to a companion's report, most urgent first: each sign they reported, named about the
    patient, with one line of what to do. Never the core's message to the patient ("If you feel you
    might act on these thoughts"), which a companion could read as about themselves.

    A red flag at its own level does what the page's list says for it (the crisis line for the mind);
    a sign whose level the triage set otherwise (rated severe, or past its window) does its level's."""
    lines = {line["id"]: line for line in companion_red_flags(clinic, clinic_contact(clinic, now))}
    answer = []
    for detail in result.get("details", []):
        line = lines.get(detail.get("red_flag_id") or "")
        if line is not None and line["level"] == detail["level"]:
            action = line["action"]
        else:
            action = _level_action(Level(detail["level"]), clinic)
        answer.append({"name": about_them(detail["name"]), "level": detail["level"], "action": action})
    return sorted(answer, key=lambda a: -Level(a["level"]).rank)


def _latest_visit(patient: Patient, start: dt.datetime, day_end: dt.datetime, now: dt.datetime) -> Any:
    """The day's latest visit up to ``now`` (checked in, dosed or discharged that day), or None.

    A later visit supersedes an earlier one: its dose restarts every limit, so the earlier visit's end
    times would be too early."""
    began = Coalesce("checked_in_at", "dose_started_at", "discharged_at")
    return (
        patient_sessions(patient)
        .exclude(state=TreatmentSession.State.CANCELLED)
        .annotate(began=began)
        .filter(
            Q(began__gte=start, began__lt=day_end, began__lte=now)
            | Q(discharged_at__gte=start, discharged_at__lt=day_end, discharged_at__lte=now)
        )
        .order_by("-began", "-id")
        .first()
    )


def companion_context(grant: SupportGrant, now: dt.datetime) -> dict[str, Any]:
    """A companion's day: the discharge instructions of that day's latest session (rules with their end
    times, what is normal, red flags) once the patient has left; while they are in the clinic, that they
    are there; before either, the red flags and whom to call.

    Before discharge the red flags are the patient's sheet's own groups, each with its action: a
    companion told to call the emergency number for a craving or a bladder pain would not, and then
    might not for chest pain either. An earlier session's sheet never stands in for a later one under
    way: its limits count from a dose the later one supersedes.
    """
    patient = grant.patient
    # A companion grant always has its day (invite_support_person); its bounds are the grant's own.
    day = grant.day or grant.valid_from.date()
    start, day_end = day_bounds(patient, day)
    end = grant.valid_until or day_end
    visit = _latest_visit(patient, start, day_end, now)
    sheet: dict[str, Any] | None = None
    if visit is not None and visit.discharged_at is not None and visit.discharged_at <= now:
        sheet = instructions.build(visit, now)
        sheet["rules"] = [
            {**line, "sentence": about_them(line["sentence"]), "reason": about_them(line["reason"])}
            for line in sheet["rules"]
        ]
        sheet["expect"] = [{**line, "name": about_them(line["name"])} for line in sheet["expect"]]
    return {
        "instructions": sheet,
        "at_the_clinic": visit is not None and visit.discharged_at is None and at_the_clinic(patient),
        "name": short_name(patient),
        "red_flag_lines": companion_red_flags(patient.clinic, clinic_contact(patient.clinic, now)),
        "emergency_call": tel(patient.clinic.emergency_number),
        "day_end": end,
        "read_at": now.astimezone(zoneinfo.ZoneInfo(patient.time_zone)),
    }


def _tell_the_clinic(clinic: Any, contact: Any) -> list[Part]:
    """How an ongoing supporter tells the clinic how the patient is: by phone, since only the patient
    and their day-of-treatment companion report in KetaCare (docs/decisions/0020)."""
    hours = f" ({contact.hours})" if contact.hours else ""
    return words(
        "To tell their clinic how they are, call it on ",
        tel(clinic.phone),
        f"{hours}; when it is closed, ",
        _closed(clinic),
        ". Reports cannot be sent from this page.",
    )


def supporter_context(grant: SupportGrant, now: dt.datetime) -> dict[str, Any]:
    """An ongoing supporter's view: the patient's upcoming appointments, and what a relative staying with
    them needs in the days after a dose: the emergency call, the red flags with what to do (the
    discharge sheet's, general guidance about the clinic's numbers, none of the patient's records), the
    clinic's phone and crisis line, and how to tell the clinic how they are."""
    clinic = grant.patient.clinic
    contact = clinic_contact(clinic, now)
    until = now + dt.timedelta(days=SUPPORTER_HORIZON_DAYS)
    return {
        "appointments": upcoming_appointments(grant.patient, now=now, until=until),
        "name": short_name(grant.patient),
        "red_flag_lines": companion_red_flags(clinic, contact),
        "emergency_call": tel(clinic.emergency_number),
        "tell_clinic": _tell_the_clinic(clinic, contact),
    }
