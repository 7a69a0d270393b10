"""A refused check-in names every error at once: each at its field, and all of them in an error summary
at the top of the form (GOV.UK pattern: role="alert", focused on load, a link to each field)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.checkins.models import SymptomCheckin

pytestmark = pytest.mark.django_db

MOOD = "Mood must be a whole number from 0 to 10."
SYSTOLIC = "Top number (systolic): enter a number from 50 to 300"
DIASTOLIC = "Bottom number (diastolic): enter a number from 20 to 200"
PULSE = "Pulse: enter a number from 20 to 250"


def _post(client: Any, **fields: str) -> tuple[int, str]:
    response = client.post(
        reverse("checkins:checkin"), {"idempotency_key": "bad", "action": "submit", **fields}
    )
    return response.status_code, html.unescape(response.content.decode())


def _summary(page: str) -> str:
    found = re.search(r'<div class="error-summary"[^>]*>.*?</div>', page, re.S)
    assert found is not None, "no error summary"
    return found.group(0)


def test_every_out_of_range_number_is_named_at_once_at_its_field_and_in_the_summary(
    personas: Any, client_for: Any
) -> None:
    status, page = _post(
        client_for("a1"),
        mood="15",
        home_systolic_mmhg="400",
        home_diastolic_mmhg="-5",
        home_pulse_bpm="999",
    )
    assert status == 400
    summary = _summary(page)
    assert 'role="alert"' in summary and "autofocus" in summary and 'tabindex="-1"' in summary
    assert "There is a problem" in summary
    # Each error links to its field, in the order the fields stand on the page.
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert links == [
        ("id_mood", MOOD),
        ("id_home_systolic_mmhg", SYSTOLIC),
        ("id_home_diastolic_mmhg", DIASTOLIC),
        ("id_home_pulse_bpm", PULSE),
    ]
    # And each again at its field, which says it is described by its error.
    for field, message in links:
        at_field = re.search(rf'<span class="field-error" id="{field}_error">(.*?)</span>\s*</p>', page, re.S)
        assert at_field is not None and message in at_field.group(1), field
        assert re.search(rf'<input[^>]*aria-describedby="{field}_error"[^>]*id="{field}"', page), field
    # The page title says there is an error, for a screen reader and the browser tab.
    assert "<title>Error: Check in" in page
    assert not SymptomCheckin.objects.exists()


def test_the_three_numbers_of_a_reading_are_refused_together(personas: Any, client_for: Any) -> None:
    status, page = _post(
        client_for("a1"), home_systolic_mmhg="400", home_diastolic_mmhg="-5", home_pulse_bpm="999"
    )
    assert status == 400
    summary = _summary(page)
    assert SYSTOLIC in summary and DIASTOLIC in summary and PULSE in summary
    assert not SymptomCheckin.objects.exists()


def test_a_bottom_number_above_the_top_is_named_at_the_bottom_number(personas: Any, client_for: Any) -> None:
    status, page = _post(client_for("a1"), home_systolic_mmhg="80", home_diastolic_mmhg="120")
    assert status == 400
    message = "Bottom number (diastolic): it must be lower than the top number (systolic)"
    assert f'<a href="#id_home_diastolic_mmhg">{message}</a>' in _summary(page)
    assert not SymptomCheckin.objects.exists()


def test_a_form_error_with_no_field_is_in_the_summary_without_a_link(personas: Any, client_for: Any) -> None:
    status, page = _post(client_for("a1"))
    assert status == 400
    summary = _summary(page)
    assert "<li>Nothing to send yet" in summary


def test_a_first_view_has_no_error_summary(personas: Any, client_for: Any) -> None:
    page = client_for("a1").get(reverse("checkins:checkin")).content.decode()
    assert "error-summary" not in page and "<title>Check in" in page
