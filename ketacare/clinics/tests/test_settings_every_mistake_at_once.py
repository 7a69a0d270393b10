"""The clinic settings page names every mistake of a save at once: each under its own field, and in a
summary at the top of the (long) page that links to each field and names the allowed range and units.
Nothing is saved while any field is wrong."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.clinics.models import Clinic

pytestmark = pytest.mark.django_db


def _settings_data(**overrides: str) -> dict[str, str]:
    data = {
        "time_zone": "America/New_York",
        "phone": "+1 555 0100",
        "emergency_number": "911",
        "crisis_line": "988",
        "after_hours_phone": "",
        "mon_opens": "09:00",
        "mon_closes": "17:00",
    }
    return data | overrides


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _summary(page: str) -> tuple[str, list[tuple[str, str]]]:
    """The summary's heading and its lines as (link target, text), in order."""
    found = re.search(r'<div class="error-summary"[^>]*data-testid="error-summary">(.*?)</div>', page, re.S)
    assert found, "no error summary on the page"
    heading = _text(re.search(r"<h2[^>]*>(.*?)</h2>", found.group(1), re.S).group(1))  # type: ignore[union-attr]
    lines = re.findall(r'<li><a href="([^"]*)">(.*?)</a></li>', found.group(1), re.S)
    return heading, [(href, _text(text)) for href, text in lines]


def _under(page: str, field_id: str) -> list[str]:
    """The errors shown in the form block of the field with this id (its label, input and messages)."""
    block = page.split(f'for="{field_id}"', 1)[1].split('<p class="field', 1)[0]
    return [_text(e) for e in re.findall(r'<span class="field-error" role="alert">(.*?)</span>', block, re.S)]


def _unchanged(personas) -> None:
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert (clinic.phone, clinic.after_hours_phone, clinic.home_bp_hold_systolic_mmhg) == (
        "+1 555 0100",
        "",
        None,
    )
    assert not clinic.opening_hours.exists()


def test_three_bad_fields_are_all_named_in_one_save_with_a_linked_summary(personas):
    admin = login(Client(), personas.admin_a)
    response = admin.post(
        reverse("clinics:settings"),
        _settings_data(
            phone="x",
            after_hours_phone="call us",
            home_bp_hold_systolic_mmhg="250",
            home_bp_hold_diastolic_mmhg="90",
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert _under(page, "id_phone") == ["May hold digits, spaces and + - ( ) . / only (e.g. +1 555 0100)"]
    assert _under(page, "id_after_hours_phone") == [
        "May hold digits, spaces and + - ( ) . / only (e.g. +1 555 0100)"
    ]
    assert _under(page, "id_home_bp_hold_systolic_mmhg") == [
        "250 mmHg is outside the allowed range 100–220 mmHg"
    ]
    heading, lines = _summary(page)
    assert heading == "Nothing was saved: 3 things to fix"
    assert lines == [
        ("#id_phone", "Clinic phone: May hold digits, spaces and + - ( ) . / only (e.g. +1 555 0100)"),
        (
            "#id_after_hours_phone",
            "After-hours phone: May hold digits, spaces and + - ( ) . / only (e.g. +1 555 0100)",
        ),
        (
            "#id_home_bp_hold_systolic_mmhg",
            "Home blood pressure limit, systolic: 250 mmHg is outside the allowed range 100–220 mmHg",
        ),
    ]
    # Each link leads to a field on the page.
    for href, _ in lines:
        assert f'id="{href[1:]}"' in page
    assert "<title>Error: Clinic settings" in page
    _unchanged(personas)


def test_the_forms_own_refusals_and_the_services_come_together(personas):
    """An empty emergency number and a diastolic limit that is no number (the form's checks), a bad
    clinic phone (the service's) and Monday closing before it opens: all four in one answer."""
    admin = login(Client(), personas.admin_a)
    response = admin.post(
        reverse("clinics:settings"),
        _settings_data(
            emergency_number="",
            phone="x",
            mon_closes="08:00",
            home_bp_hold_systolic_mmhg="150",
            home_bp_hold_diastolic_mmhg="ninety",
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    heading, lines = _summary(page)
    assert heading == "Nothing was saved: 4 things to fix"
    assert [href for href, _ in lines] == [
        "#id_phone",
        "#id_emergency_number",
        "#id_mon_closes",
        "#id_home_bp_hold_diastolic_mmhg",
    ]
    texts = dict(lines)
    assert texts["#id_mon_closes"] == "Monday: closing time must be after opening time (09:00)"
    assert texts["#id_home_bp_hold_diastolic_mmhg"] == (
        "Home blood pressure limit, diastolic: Enter a whole number of mmHg from 60 to 130"
    )
    assert _under(page, "id_phone") == ["May hold digits, spaces and + - ( ) . / only (e.g. +1 555 0100)"]
    _unchanged(personas)


def test_one_limit_alone_and_the_other_out_of_range_name_both_ranges(personas):
    admin = login(Client(), personas.admin_a)
    response = admin.post(
        reverse("clinics:settings"),
        _settings_data(home_bp_hold_systolic_mmhg="", home_bp_hold_diastolic_mmhg="140"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert _under(page, "id_home_bp_hold_systolic_mmhg") == [
        "Set both home blood pressure limits, or neither (this one 100–220 mmHg)"
    ]
    assert _under(page, "id_home_bp_hold_diastolic_mmhg") == [
        "140 mmHg is outside the allowed range 60–130 mmHg"
    ]
    assert _summary(page)[0] == "Nothing was saved: 2 things to fix"
    _unchanged(personas)


def test_a_good_save_shows_no_summary_and_is_saved(personas):
    admin = login(Client(), personas.admin_a)
    response = admin.post(
        reverse("clinics:settings"),
        _settings_data(
            after_hours_phone="+1 555 0199",
            home_bp_hold_systolic_mmhg="150",
            home_bp_hold_diastolic_mmhg="95",
        ),
        follow=True,
    )
    assert response.status_code == 200 and "Clinic settings saved." in response.content.decode()
    assert 'data-testid="error-summary"' not in response.content.decode()
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert (clinic.after_hours_phone, clinic.home_bp_hold_systolic_mmhg) == ("+1 555 0199", 150)
