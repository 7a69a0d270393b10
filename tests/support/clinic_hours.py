"""Opening hours for a persona clinic, set as its administrator sets them (clinics services), and the
moments the crisis-screen tests stand at. Clinic A keeps New York time (UTC-5 in January)."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from ketacare.clinics.hours import parse_opening_hours
from ketacare.clinics.services import update_clinic_settings

HOURS = "Mon-Fri 08:00-18:00; Sat 09:00-13:00"
# Tuesday 12 January 2027, 01:30 in New York: closed; it opens at 08:00 the same day.
TUESDAY_NIGHT = dt.datetime(2027, 1, 12, 6, 30, tzinfo=dt.UTC)
# Saturday 9 January 2027, 14:00 in New York: closed since 13:00, until Monday 08:00.
SATURDAY_AFTERNOON = dt.datetime(2027, 1, 9, 19, 0, tzinfo=dt.UTC)
# Monday 11 January 2027, 10:00 in New York: open.
MONDAY_MORNING = dt.datetime(2027, 1, 11, 15, 0, tzinfo=dt.UTC)


def set_opening_hours(
    clinic: Any,
    by: Any,
    hours: str = HOURS,
    *,
    after_hours_phone: str = "",
    after_hours_instructions: str = "",
) -> Any:
    """The clinic's opening hours (and out-of-hours line), its other settings kept."""
    return update_clinic_settings(
        clinic=clinic,
        by=by,
        time_zone=clinic.time_zone,
        phone=clinic.phone,
        emergency_number=clinic.emergency_number,
        crisis_line=clinic.crisis_line,
        after_hours_phone=after_hours_phone,
        after_hours_instructions=after_hours_instructions,
        fasting_instructions=clinic.fasting_instructions,
        opening_hours=parse_opening_hours(hours),
    )


def page_text(html_text: str) -> str:
    """What a person reads: tags dropped, entities decoded, white space collapsed."""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", html_text)).split())
    for spaced, tight in ((" .", "."), (" :", ":"), (" ;", ";"), (" ,", ","), ("( ", "("), (" )", ")")):
        text = text.replace(spaced, tight)
    return text


def screen_text(page_html: str, section_class: str = "emergency-screen") -> str:
    """The text of a page's crisis or emergency screen (its ``<section class="..." role="alert">``)."""
    found = re.search(rf'<section class="{section_class}" role="alert".*?</section>', page_html, re.S)
    assert found is not None, f"no {section_class} section on the page"
    return page_text(found.group(0))
