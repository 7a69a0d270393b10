"""Browser, phone-sized (390x844): the message thread ("I can't breathe" shows the emergency screen and
raises the alert), the support person's pages and the notification choices read well on a phone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from conftest import browser_login
from ketacare.alerts.models import Alert
from ketacare.messaging.models import Message
from tests.support.checkins import make_dose
from tests.support.clock import zone_at_midday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "reach-browser-2026"  # noqa: S105 - test persona only
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"


def _patient_page(browser: Any, live_server: Any, patient: Any) -> tuple[Any, Any]:
    patient.user.set_password(PASSWORD)
    patient.user.save()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    browser_login(page, live_server.url, patient.user.email, PASSWORD)
    return context, page


def test_a_message_saying_i_cant_breathe_shows_the_emergency_screen_on_a_phone(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    context, page = _patient_page(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/messages/")
    notice = page.get_by_test_id("not-for-emergencies")
    assert notice.is_visible() and "Not for emergencies" in notice.inner_text()
    page.get_by_label("Your message").fill("Is it normal to feel tired two days later?")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_load_state()
    assert page.get_by_text("Is it normal to feel tired two days later?").is_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "messages-thread-phone.png"), full_page=True)

    page.get_by_label("Your message").fill("I can't breathe")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Get help now").is_visible()
    assert page.locator(".emergency-screen a[href='tel:911']").is_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "messages-emergency-phone.png"), full_page=True)
    alert = Alert.objects.get(patient=personas.a1, source="patient_message")
    assert alert.severity in ("urgent", "emergency")
    assert Message.objects.filter(patient=personas.a1).count() == 2
    context.close()


def test_support_and_notification_pages_read_well_on_a_phone(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    # The companion sees the patient's own day: a zone where it is mid-day now keeps the session three
    # hours ago on today's date whatever time the test runs (tests/support/clock.py).
    personas.a1.time_zone = zone_at_midday()
    personas.a1.save(update_fields=["time_zone"])
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=3))
    context, page = _patient_page(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/support/")
    page.get_by_label("Their name").fill("Sam")
    page.get_by_label("Their mobile number", exact=True).fill("+1 555 0102")
    page.get_by_role("button", name="Create the link").click()
    page.wait_for_load_state()
    link = page.get_by_label("Link for your support person").input_value()
    assert re.search(r"/support/open/[A-Za-z0-9_-]{43}/$", link)
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "support-manage-phone.png"), full_page=True)

    page.goto(f"{live_server.url}/me/notifications/")
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "notifications-phone.png"), full_page=True)
    context.close()

    companion = browser.new_context(**PHONE)
    view = companion.new_page()
    view.goto(link)
    view.wait_for_load_state()
    assert view.url.endswith("/support/")
    assert view.get_by_role("heading", name="Safety rules until they end").is_visible()
    assert view.get_by_role("heading", name="When to get help now").is_visible()
    _no_sideways_scroll(view)
    view.screenshot(path=str(artifacts_dir / "support-companion-phone.png"), full_page=True)
    companion.close()
