"""The common check-in fits a phone: under two screen heights at 390x844, nothing sideways (docs/decisions/0014).

The common case: a patient two hours after a session, nothing open from before. Emergencies and any
thought of suicide stay in sight; the other serious changes sit one tap away, named by count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import browser_login
from tests.support.checkins import make_dose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "fits-a-phone-2026"  # noqa: S105 - test persona only
SCREEN = {"width": 390, "height": 844}


def test_the_common_check_in_is_under_two_phone_screens(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    personas.a1.user.set_password(PASSWORD)
    personas.a1.user.save()
    # The common case: the phone keeps the patient's own clock (another zone adds a notice at the top).
    page = browser.new_page(
        viewport=SCREEN, is_mobile=True, has_touch=True, timezone_id=personas.a1.time_zone
    )
    browser_login(page, live_server.url, personas.a1.user.email, PASSWORD)
    page.goto(f"{live_server.url}/me/checkin/")
    page.screenshot(path=str(artifacts_dir / "checkin-phone-common-case.png"), full_page=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert height < 2 * SCREEN["height"], f"the check-in is {height / SCREEN['height']:.2f} screens tall"
    assert width <= SCREEN["width"], f"the page scrolls sideways ({width}px)"
    # Every emergency is in sight without opening anything, each a tap target of at least 44 px.
    for name in ("Chest pain", "Difficulty breathing", "Thoughts of suicide with a plan or intent"):
        box = page.locator("label", has_text=name).first.bounding_box()
        assert box is not None and box["height"] >= 44, name
    # The other serious changes are one tap away and can be ticked.
    page.get_by_text("Other serious changes to tell your clinic today").click()
    assert page.locator("#sym-urinary_symptoms").is_visible()
