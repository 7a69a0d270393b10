"""Page titles and staff calendar entries carry initials and a record number, not the patient's name.

Browser history, synced tabs and third-party calendars keep them (docs/security.md S2); a clinic may
turn full names on for workstations that do not sync.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from icalendar import Calendar

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/clinic/patients/{id}/", "/clinic/patients/{id}/intake/", "/clinic/patients/{id}/plan/"]


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_staff_page_titles_carry_initials_and_the_record_number(
    personas: Any, client_for: Any, page: str
) -> None:
    response = client_for("clinician_a").get(page.format(id=personas.a1.public_id))
    assert response.status_code == 200
    title = _title(response.content.decode())
    assert "Alice" not in title and "CanaryA1" not in title
    assert "A.C." in title and personas.a1.medical_record_number in title


def test_a_clinic_may_show_names_in_titles(personas: Any, client_for: Any) -> None:
    personas.clinic_a.names_in_titles = True
    personas.clinic_a.save(update_fields=["names_in_titles"])
    response = client_for("clinician_a").get(f"/clinic/patients/{personas.a1.public_id}/")
    assert "Alice CanaryA1" in _title(response.content.decode())


def test_the_staff_calendar_names_no_patient(personas: Any) -> None:
    from ketacare.treatments.calendar import appointments_ics

    calendar = Calendar.from_ical(appointments_ics(personas.a1, audience="clinic"))
    text = calendar.to_ical().decode()
    assert "Alice" not in text and "CanaryA1" not in text
    assert f"A.C. {personas.a1.medical_record_number} appointments" in str(calendar.get("x-wr-calname"))
