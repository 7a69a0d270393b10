"""Browser, phone-sized (390x844): every number the patient pages tell the patient to call is a link at
least 44 px tall, on the "Chest pain: has it gone?" page, the emergency answer, and the "Need help now?"
box of home and messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import browser_login
from ketacare.checkins.models import SymptomReport
from ketacare.checkins.services import ReportIn, submit_checkin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "call-links-browser-2026"  # noqa: S105 - test persona only
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _heights(page: Any) -> list[float]:
    links = page.locator("a.call")
    assert links.count() > 0
    boxes = [links.nth(i).bounding_box() for i in range(links.count())]
    return [box["height"] for box in boxes if box is not None]


def test_call_links_are_tap_targets_of_44_px(live_server: Any, browser: Any, personas: Any) -> None:
    outcome = submit_checkin(
        patient=personas.a1,
        idempotency_key="chest",
        reports=[ReportIn("chest_pain")],
        mood=None,
        note="",
        now=timezone.now() - dt.timedelta(minutes=10),
    )
    episode = SymptomReport.objects.get(symptom_id="chest_pain")
    personas.a1.user.set_password(PASSWORD)
    personas.a1.user.save()
    page = browser.new_page(**PHONE)
    browser_login(page, live_server.url, personas.a1.user.email, PASSWORD)
    for path in (
        f"/me/symptoms/?episode={episode.public_id}",
        f"/me/checkin/results/{outcome.checkin.public_id}/",
        # The "Need help now?" box on the patient's everyday pages.
        "/me/",
        "/me/messages/",
    ):
        page.goto(f"{live_server.url}{path}")
        heights = _heights(page)
        assert heights and min(heights) >= 44, (path, heights)
    page.close()
