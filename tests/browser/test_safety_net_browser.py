"""Browser, phone-sized (390x844): "Something else? Describe it" is never dropped (decision 0012 rule 5).

Emergency words get the emergency screen and an emergency clinic alert; vague words get "If in doubt,
call" with the clinic's phone and the emergency line, and a review alert for the care team.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import browser_login
from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin
from tests.support.checkins import make_dose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "safety-net-browser-2026"  # noqa: S105 - test persona only
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"


def _describe(page: Any, base: str, words: str, worry: str | None = None, shot: Any = None) -> None:
    page.goto(f"{base}/me/checkin/")
    page.get_by_text("Something else? Tell us in your own words").click()  # the patient picks it
    box = page.get_by_label("Something else? Describe it")
    box.scroll_into_view_if_needed()
    box.click()
    box.fill(words)
    if worry is not None:
        page.get_by_text(worry, exact=True).click()
    if shot is not None:
        _no_sideways_scroll(page)
        page.screenshot(path=str(shot), full_page=True)
    page.get_by_role("button", name="Send check-in").click()
    page.wait_for_load_state()


def test_something_else_in_the_patients_words_is_never_dropped(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    patient = personas.a1
    patient.user.set_password(PASSWORD)
    patient.user.save()
    page = browser.new_page(**PHONE)
    browser_login(page, live_server.url, patient.user.email, PASSWORD)
    clinic = personas.clinic_a

    _describe(
        page,
        live_server.url,
        "my heart is pounding and I can't breathe",
        shot=artifacts_dir / "safety-net-something-else-form.png",
    )
    assert page.get_by_role("heading", name="Get help now").is_visible()
    assert page.locator(f"a[href='tel:{clinic.emergency_number}']").first.is_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "safety-net-something-else-emergency.png"), full_page=True)
    emergency = SymptomCheckin.objects.get(patient=patient)
    alert = Alert.objects.get(dedupe_key=f"checkin:{emergency.public_id}")
    assert alert.severity == Alert.Severity.EMERGENCY and alert.clinic == clinic
    # The answer is the check-in's own page (Post/Redirect/Get): a reload shows the emergency screen
    # again, asks nothing and sends nothing.
    assert page.url == f"{live_server.url}/me/checkin/results/{emergency.public_id}/"
    page.reload()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Get help now").is_visible()
    assert page.locator(f"a[href='tel:{clinic.emergency_number}']").first.is_visible()
    assert SymptomCheckin.objects.filter(patient=patient).count() == 1
    assert Alert.objects.filter(patient=patient).count() == 1
    # Back lands on the form it came from, not on a page that posts again.
    page.go_back()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/me/checkin/"
    assert SymptomCheckin.objects.filter(patient=patient).count() == 1

    _describe(
        page, live_server.url, "I feel a bit strange and tingly since this morning", worry="Quite worried"
    )
    assert page.get_by_role("heading", name="If in doubt, call").is_visible()
    assert page.locator(f"a[href='tel:{clinic.phone}']").first.is_visible()
    assert page.locator(f"a[href='tel:{clinic.emergency_number}']").first.is_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "safety-net-something-else-if-in-doubt.png"), full_page=True)
    review = SymptomCheckin.objects.filter(patient=patient).order_by("-submitted_at").first()
    assert review is not None and review.pk != emergency.pk
    review_alert = Alert.objects.get(dedupe_key=f"checkin:{review.public_id}")
    assert review_alert.severity == Alert.Severity.CONTACT_CLINIC
    assert "review" in review_alert.title.lower()
    assert Alert.objects.filter(patient=patient).count() == 2
    page.close()
