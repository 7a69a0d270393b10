"""Before discharge, a day-of-treatment companion reads the red flags as the patient's own sheet groups
them, each group with its action: the emergency number for chest pain, the clinic for cravings or a
mood getting worse. "Call 911 for any of" all sixteen told a companion to call an ambulance for a
craving, which teaches them to ignore the page."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketacare.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db


def _companion_page(client_for: Any, patient_zone_today: str) -> str:
    invited = client_for("a1").post(
        reverse("support:manage"),
        {
            "action": "invite",
            "name": "Sam",
            "phone": "+1 555 0102",
            "role": "day_companion",
            "day": patient_zone_today,
        },
    )
    assert invited.status_code == 200
    link = re.search(r'value="https?://testserver(/support/open/[^"]+/)"', invited.content.decode())
    assert link is not None
    companion = Client()
    assert companion.get(link.group(1)).status_code == 302
    page = companion.get(reverse("support:page"))
    assert page.status_code == 200
    return page.content.decode()


def _group(page: str, level: str) -> str:
    """The text of the red flags of one level, each an item with what to do for it."""
    found = re.findall(rf'<li[^>]*data-level="{level}"[^>]*>(.*?)</li>', page, re.S)
    assert found, f"no {level} group"
    return " ".join(found)


def test_before_discharge_the_companion_reads_each_red_flag_with_its_own_action(
    personas: Any, client_for: Any
) -> None:
    clinic = personas.clinic_a
    now = timezone.now()
    today = now.astimezone(ZoneInfo(personas.a1.time_zone))
    # A session booked today, not begun: a companion is invited for the day of a session.
    TreatmentSession.objects.create(
        clinic=clinic, patient=personas.a1, protocol_id="iv_ketamine", route="iv", scheduled_at=now
    )
    page = _companion_page(client_for, today.date().isoformat())
    assert "appear here when" in page  # not discharged today: the red flags stand alone
    assert "for any of" not in page
    emergency = _group(page, "emergency")
    assert "Chest pain" in emergency and "Difficulty breathing" in emergency
    for not_an_ambulance in (
        "Mood getting worse",
        "Cravings for ketamine",
        "Pain or blood when passing urine",
    ):
        assert not_an_ambulance not in emergency
    assert "Pain or blood when passing urine" in _group(page, "urgent")
    told_today = _group(page, "contact_clinic")
    assert "Mood getting worse" in told_today and "Cravings for ketamine" in told_today
    assert clinic.phone in told_today
    # Each sign once, and the numbers can be tapped.
    assert page.count("Chest pain") == 1 and page.count("Mood getting worse") == 1
    assert f'href="tel:{clinic.emergency_number}"' in page and f'href="tel:{clinic.phone}"' in page
