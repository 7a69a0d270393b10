"""Browser, phone-sized (390x844): a day-of-treatment companion's red-flag box reads fast on a phone,
before the patient has left and on the discharge sheet after. The emergency call comes first, large and
on the first screen; then each red flag is an item of a list, its name in bold and what to do under it,
every number a link at least 44 px tall; nothing scrolls sideways. The answer to a report made on the
patient's behalf names the signs about the patient; its form puts the emergency call and the serious
signs first, and keeps Send in sight once a sign is ticked. An ongoing supporter gets the same box."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone

from ketacare.support.services import invite_support_person
from ketacare.treatments.models import TreatmentSession
from tests.support.checkins import make_dose
from tests.support.clock import zone_at_midday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 390, "height": 844}
PHONE = {"viewport": SCREEN, "is_mobile": True, "has_touch": True}


def _companion_page(browser: Any, live_server: Any, patient: Any) -> tuple[Any, Any]:
    """The companion's page on a phone, opened from the link the patient gave them."""
    now = timezone.now()
    invitation = invite_support_person(
        patient=patient,
        name="Sam",
        email="sam@example.org",
        phone="",
        role="day_companion",
        day=now.astimezone(zoneinfo.ZoneInfo(patient.time_zone)).date(),
        now=now,
    )
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/support/open/{invitation.token}/")
    page.wait_for_load_state()
    assert page.url.endswith("/support/")
    return context, page


def _reads_fast_on_a_phone(page: Any, heading: str, emergency_number: str) -> None:
    box = page.get_by_test_id("get-help-now")
    assert box.get_by_role("heading", name=heading, exact=True).is_visible()
    emergency = box.get_by_role("link", name=f"Emergency: call {emergency_number}")
    assert emergency.get_attribute("href") == f"tel:{emergency_number}"
    call = emergency.bounding_box()
    # Large and on the first screen, without scrolling.
    assert call["height"] >= 52 and call["width"] >= 300, call
    assert call["y"] + call["height"] <= SCREEN["height"], call
    signs = box.get_by_role("list", name="Each sign, and what to do")
    items = signs.get_by_role("listitem")
    assert items.count() >= 10
    assert call["y"] + call["height"] <= items.first.bounding_box()["y"], "the emergency call comes first"
    for i in range(items.count()):
        item = items.nth(i)
        assert item.locator("strong").inner_text().strip()
        for link in item.get_by_role("link").all():
            tap = link.bounding_box()
            assert tap["height"] >= 44 and tap["width"] >= 44, (link.inner_text(), tap)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREEN["width"], f"the page scrolls sideways on a phone ({width}px)"


def test_the_red_flags_read_fast_on_a_phone_before_and_after_discharge(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    patient = personas.a1
    # Mid-day in the patient's zone, whenever the test runs: the session is on today's date.
    patient.time_zone = zone_at_midday()
    patient.save(update_fields=["time_zone"])
    now = timezone.now()
    under_way = TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id="iv_ketamine",
        route="iv",
        scheduled_at=now - dt.timedelta(hours=1),
        state=TreatmentSession.State.OBSERVING,
        checked_in_at=now - dt.timedelta(hours=1),
        dose_started_at=now - dt.timedelta(minutes=45),
        dose_ended_at=now - dt.timedelta(minutes=5),
    )
    emergency_number = patient.clinic.emergency_number
    context, page = _companion_page(browser, live_server, patient)
    _reads_fast_on_a_phone(page, "Red flags: get help now", emergency_number)
    page.screenshot(path=str(artifacts_dir / "support-red-flags-before-discharge-phone.png"))
    page.screenshot(
        path=str(artifacts_dir / "support-red-flags-before-discharge-phone-full.png"), full_page=True
    )
    context.close()

    under_way.delete()
    make_dose(patient, started_at=now - dt.timedelta(hours=3))
    context, page = _companion_page(browser, live_server, patient)
    _reads_fast_on_a_phone(page, "When to get help now", emergency_number)
    page.screenshot(path=str(artifacts_dir / "support-red-flags-sheet-phone.png"))
    page.screenshot(path=str(artifacts_dir / "support-red-flags-sheet-phone-full.png"), full_page=True)

    # The emergency call comes before the button to report.
    report = page.get_by_role("link", name="Report how they are (on their behalf)")
    emergency = page.get_by_test_id("emergency-call")
    assert emergency.bounding_box()["y"] < report.bounding_box()["y"], "the emergency call comes first"

    # A report on the patient's behalf: the emergency call first and large, then the serious signs; no
    # strength chosen for the companion; once a sign is ticked the Send button is in sight without
    # scrolling; the answer names the sign about the patient and what to do.
    with page.expect_navigation():
        report.tap()
    emergency = page.get_by_test_id("emergency-call")
    call = emergency.bounding_box()
    assert call["height"] >= 52 and call["width"] >= 300, call
    assert call["y"] + call["height"] <= SCREEN["height"], "the emergency call is on the first screen"
    first_sign = page.locator('input[name="symptom"]').first.bounding_box()
    assert call["y"] + call["height"] <= first_sign["y"], "the emergency call comes before the signs"
    assert page.get_by_label("How strong: Headache").evaluate("s => s.selectedOptions[0].text") == (
        "How strong? Choose"
    )
    page.screenshot(path=str(artifacts_dir / "support-report-phone.png"))
    page.get_by_label("Not able to look after themselves").check()
    page.get_by_label("Chest pain").check()
    send = page.get_by_role("button", name="Send to their clinic")
    bar = send.bounding_box()
    assert 0 <= bar["y"] and bar["y"] + bar["height"] <= SCREEN["height"], f"Send is out of sight: {bar}"
    assert bar["height"] >= 44 and bar["width"] >= 300, bar
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREEN["width"], f"the report form scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(artifacts_dir / "support-report-ticked-phone.png"))
    page.screenshot(path=str(artifacts_dir / "support-report-phone-full.png"), full_page=True)
    with page.expect_navigation():
        send.tap()
    assert page.get_by_role("heading", name="Get help now").is_visible()
    told = page.get_by_role("list", name="What you told us about Alice, and what to do")
    assert told.get_by_role("listitem").first.inner_text().startswith("Chest pain")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREEN["width"], f"the answer scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(artifacts_dir / "support-answer-phone.png"), full_page=True)
    context.close()


def test_an_ongoing_supporter_gets_the_emergency_call_and_the_red_flags_on_a_phone(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    patient = personas.a1
    invitation = invite_support_person(
        patient=patient,
        name="Pat",
        email="pat@example.org",
        phone="",
        role="supporter",
        day=None,
        now=timezone.now(),
    )
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/support/open/{invitation.token}/")
    page.wait_for_load_state()
    _reads_fast_on_a_phone(page, "Red flags: get help now", patient.clinic.emergency_number)
    box = page.get_by_test_id("get-help-now")
    assert box.get_by_role("link", name=patient.clinic.crisis_line).last.is_visible()
    tell = page.get_by_test_id("tell-the-clinic")
    assert tell.is_visible() and "Reports cannot be sent from this page" in tell.inner_text()
    page.screenshot(path=str(artifacts_dir / "support-supporter-phone.png"))
    page.screenshot(path=str(artifacts_dir / "support-supporter-phone-full.png"), full_page=True)
    context.close()
