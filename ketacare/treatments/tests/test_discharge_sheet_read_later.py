"""The patient's discharge sheet (/me/instructions/) stays true when it is read later: it is kept on the
phone for offline reading and printed, so times carry their weekday and date, a limit already over says
it ended, out-of-hours advice sends the body to urgent care and only the mind to a crisis line, and the
patient reads plain words, not source keys or clinician wording."""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from ketacare.clinics.services import update_clinic_settings
from ketacare.core import knowledge
from ketacare.treatments import selectors
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")  # clinic A and its patients (conftest)
# A day word next to a clock time, as the sheet used to print them ("11:15 today", "09:00 tomorrow").
RELATIVE_TIME = re.compile(r"\d{1,2}:\d{2},? (?:today|tomorrow)|\b(?:today|tomorrow), [A-Z]", re.IGNORECASE)


def _sheet(personas: Any, client_for: Any, at: dt.datetime) -> str:
    """The patient's own sheet as the phone receives it at `at` (what the service worker keeps)."""
    with time_machine.travel(at, tick=False):
        response = client_for("a1").get(reverse("companion:instructions"))
    assert response.status_code == 200
    return _visible(response.content.decode())


def _visible(page: str) -> str:
    """The page's text as a person reads it: no tags, entities decoded, whitespace flattened."""
    return " ".join(html.unescape(strip_tags(page)).split())


def test_a_sheet_read_four_days_later_names_the_date_and_says_the_limits_ended(
    personas: Any, client_for: Any
) -> None:
    # Treated Wednesday 2 December (esketamine: no driving before the next morning, no alcohol for 24
    # hours), read Sunday 6 December.
    left = dt.datetime(2026, 12, 2, 11, 0, tzinfo=NEW_YORK)
    make_session(personas.a1, route="esketamine_in", state="discharged", minutes_since_dose_end=125, now=left)
    text = _sheet(personas, client_for, dt.datetime(2026, 12, 6, 10, 0, tzinfo=NEW_YORK))
    assert "After your treatment on Wednesday 2 December" in text
    assert "After your treatment today" not in text and "What happened today" not in text
    assert not RELATIVE_TIME.search(text), RELATIVE_TIME.search(text)
    assert "tomorrow" not in text.lower()
    assert (
        "Driving and machinery: this limit ended 09:00 on Thursday 3 December; still only after a night's sleep"
        in text
    )
    assert "No driving and no machinery before" not in text
    assert "Alcohol: this limit ended 11:00 on Thursday 3 December." in text
    assert "Someone else takes you home" not in text  # the day's reason, not a current instruction
    assert "Updated 10:00 on Sunday 6 December, 4 days after your treatment" in text
    assert "On Wednesday 2 December: Drink water" in text
    # Plain words: the treatment with its article, the time zone as a place.
    assert "your esketamine nasal spray at Clinic A was on Wednesday 2 December" in text
    assert "Times are New York time (the clinic's time)." in text and "America/New_York" not in text


def test_a_sheet_read_the_next_morning_dates_what_still_applies_and_what_has_ended(
    personas: Any, client_for: Any
) -> None:
    # Discharged Saturday 5 December at 18:00 (IV: no driving for at least 24 hours, no important
    # decisions before 09:00 the next morning), read on Sunday morning.
    left = dt.datetime(2026, 12, 5, 18, 0, tzinfo=NEW_YORK)
    make_session(personas.a1, route="iv", state="discharged", minutes_since_dose_end=30, now=left)
    early = _sheet(personas, client_for, dt.datetime(2026, 12, 6, 8, 30, tzinfo=NEW_YORK))
    assert "After your treatment on Saturday 5 December" in early
    assert not RELATIVE_TIME.search(early), RELATIVE_TIME.search(early)
    assert "No driving and no machinery before 18:00 on Sunday 6 December, and only after" in early
    assert (
        "No important decisions (money, contracts, big messages) before 09:00 on Sunday 6 December" in early
    )
    assert "Updated 08:30 on Sunday 6 December, the day after your treatment" in early
    # The side effects' "usually gone by" times were on Saturday, and say so.
    assert re.search(r"\d{2}:\d{2} on Saturday 5 December", early[early.index("Usually gone by") :])
    later = _sheet(personas, client_for, dt.datetime(2026, 12, 6, 10, 0, tzinfo=NEW_YORK))
    assert (
        "Important decisions: this limit ended 09:00 on Sunday 6 December; still only after a night's sleep"
        in later
    )
    assert "No important decisions" not in later
    assert "No driving and no machinery before 18:00 on Sunday 6 December" in later


def test_a_sheet_made_on_the_day_has_no_day_word_that_goes_stale_in_the_cache(
    personas: Any, client_for: Any
) -> None:
    left = dt.datetime(2026, 12, 5, 12, 25, tzinfo=NEW_YORK)
    make_session(personas.a1, route="iv", state="discharged", minutes_since_dose_end=30, now=left)
    text = _sheet(personas, client_for, left + dt.timedelta(minutes=20))
    assert "After your treatment on Saturday 5 December" in text
    assert not RELATIVE_TIME.search(text), RELATIVE_TIME.search(text)
    assert "No driving and no machinery before 12:25 on Sunday 6 December" in text
    assert "Updated 12:45 on Saturday 5 December, the day of your treatment" in text
    assert "Drink water and eat a light meal" in text and "On Saturday 5 December: Drink" not in text


def _groups(page: str) -> dict[str, str]:
    """Red flag name -> the one instruction of its group on the sheet."""
    out = {}
    levels = re.findall(
        r'<div class="help-level" data-level="[a-z_]+">\s*<p><strong>(.*?)</strong></p>\s*'
        r'<ul class="help-signs">(.*?)</ul>',
        page,
        re.S,
    )
    for instruction, signs in levels:
        for name in re.findall(r"<li>(.*?)</li>", signs, re.S):
            out[html.unescape(name)] = strip_tags(instruction)
    return out


def _html(client: Client, at: dt.datetime) -> str:
    with time_machine.travel(at, tick=False):
        response = client.get(reverse("companion:instructions"))
    assert response.status_code == 200
    return response.content.decode()


def test_out_of_hours_a_body_problem_goes_to_urgent_care_and_only_the_mind_to_the_crisis_line(
    personas: Any, client_for: Any
) -> None:
    left = dt.datetime(2026, 12, 5, 12, 0, tzinfo=NEW_YORK)
    make_session(personas.a1, route="iv", state="discharged", now=left)
    clinic = personas.a1.clinic
    page = _html(client_for("a1"), left + dt.timedelta(hours=1))
    groups = _groups(page)
    urinary = knowledge.get_red_flag("urinary_symptoms").name
    pressure = knowledge.get_red_flag("persistent_high_blood_pressure").name
    suicide = knowledge.get_red_flag("suicidal_thoughts_without_plan").name
    for body in (urinary, pressure):
        assert "crisis line" not in groups[body], groups[body]
        # The same day, as the red flags' own messages say ("Contact your clinic today").
        assert groups[body].startswith(f"Call the clinic on {clinic.phone} the same day you notice it")
        assert "urgent medical care" in groups[body] and clinic.emergency_number in groups[body]
    assert f"the crisis line {clinic.crisis_line}" in groups[suicide]
    # Emergencies are unchanged: the emergency number, now.
    assert groups[knowledge.get_red_flag("chest_pain").name] == f"Call {clinic.emergency_number} now."
    closed = strip_tags(page.split("When the clinic is closed:", 1)[1].split("</p>", 1)[0])
    assert "For a physical problem that cannot wait, get urgent medical care" in closed
    assert (
        f"For thoughts of suicide or a mental-health crisis, call the crisis line {clinic.crisis_line}"
        in closed
    )
    assert not re.search(r"cannot wait, call the crisis line", closed)

    # A clinic with an after-hours line: physical problems go there, never to the crisis line.
    update_clinic_settings(
        clinic=clinic,
        by=personas.admin_a,
        time_zone=clinic.time_zone,
        phone=clinic.phone,
        emergency_number=clinic.emergency_number,
        crisis_line=clinic.crisis_line,
        after_hours_phone="+1 555 0199",
        after_hours_instructions="",
        fasting_instructions="",
        opening_hours=[],
    )
    groups = _groups(_html(client_for("a1"), left + dt.timedelta(hours=1)))
    assert "call +1 555 0199" in groups[urinary] and "crisis line" not in groups[urinary]
    assert "+1 555 0199 or the crisis line" in groups[suicide]


def test_the_patient_reads_plain_words_not_source_keys_or_clinician_wording(
    personas: Any, client_for: Any
) -> None:
    # Discharged 30 minutes after an IV infusion: before the model's low level, as in the user test.
    left = dt.datetime(2026, 12, 5, 12, 25, tzinfo=NEW_YORK)
    session = make_session(personas.a1, route="iv", state="discharged", minutes_since_dose_end=30, now=left)
    estimate = selectors.session_recovery_estimate(session)
    assert estimate is not None and estimate.patient_threshold is not None
    assert estimate.patient_threshold.minutes is not None
    assert session.dose_started_at + dt.timedelta(minutes=estimate.patient_threshold.minutes) > left
    text = _sheet(personas, client_for, left + dt.timedelta(minutes=5))
    cited = {s.id for s in knowledge.sources()}
    shown = [s for s in cited if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text)]
    assert not shown, shown
    assert "the clinician's assessment" not in text and "of the patient" not in text
    assert "Based on the medicine's product information, published studies" in text
    assert "your clinic can show you the sources" in text
    # Said as normal, so it does not read as "they sent me home too early".
    assert "Going home before this is normal: you went home at 12:25, after your nurse's check" in text
    assert "The level keeps falling while you rest at home" in text
    # No dosing advice: "your dose" only says when it started and that this is no advice about it.
    assert "your dose" not in text.replace("after your dose started", "").replace(
        "not advice about your dose", ""
    )


def test_a_patient_who_left_after_the_low_level_is_not_told_they_left_before_it(
    personas: Any, client_for: Any
) -> None:
    left = dt.datetime(2026, 12, 5, 18, 0, tzinfo=NEW_YORK)
    make_session(personas.a1, route="iv", state="discharged", minutes_since_dose_end=400, now=left)
    text = _sheet(personas, client_for, left + dt.timedelta(minutes=5))
    assert "A computer model based on published averages estimates" in text
    assert "Going home before this is normal" not in text
