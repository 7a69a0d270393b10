"""A red flag about mood or the mind below an emergency ("Mood getting worse": tell the clinic today, and
report thoughts of suicide too) gives the crisis line and the emergency number as links, and says how to
report those thoughts: the suicidal-thoughts row of a new check-in. A red flag of the body does not."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _answer(client: Any, **fields: str) -> str:
    sent = client.post(
        reverse("checkins:checkin"), {"idempotency_key": uuid.uuid4().hex, "action": "submit", **fields}
    )
    assert sent.status_code == 303
    page = client.get(sent["Location"])
    assert page.status_code == 200
    return html.unescape(page.content.decode())


def _section(page: str) -> str:
    found = re.search(r'<section [^>]*data-testid="mind-support".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_mood_getting_worse_gives_the_crisis_line_and_how_to_report_suicidal_thoughts(
    personas: Any, client_for: Any
) -> None:
    clinic = personas.a1.clinic
    page = _answer(client_for("a1"), symptom="worsening_mood", severity_worsening_mood="moderate")
    assert "report those too" in page  # the red flag's own words, which this makes actionable
    block = _section(page)
    assert f'href="tel:{clinic.crisis_line}"' in block and f"Call {clinic.crisis_line}" in block
    assert f'href="tel:{clinic.emergency_number}"' in block
    assert "tick “Thoughts of suicide or self-harm” under “Something serious?”" in block
    assert f'href="{reverse("checkins:checkin")}#serious"' in block
    # The row it names is on the check-in form, in the list always in sight.
    form = html.unescape(client_for("a1").get(reverse("checkins:checkin")).content.decode())
    serious = form[form.index('id="serious"') :]
    assert ">Thoughts of suicide or self-harm" in serious


def test_a_red_flag_of_the_body_has_no_crisis_line_section(personas: Any, client_for: Any) -> None:
    page = _answer(
        client_for("a1"), symptom="unable_to_care_for_self", severity_unable_to_care_for_self="moderate"
    )
    assert 'data-level="contact_clinic"' in page
    assert _section(page) == ""
