"""A patient's phone (390x844): every menu link one tap on "Menu" away, the account page, the reminders
page on the 24-hour clock, and a notice when the phone's clock is in another time zone than theirs."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "patient-nav-phone-2026"  # noqa: S105 - test persona only
NEW_PASSWORD = "a new phone password 2026"  # noqa: S105 - test persona only
SCREEN = {"width": 390, "height": 844}
PHONE = {"viewport": SCREEN, "is_mobile": True, "has_touch": True}
# Every link of the patient's menu, in its order.
LINKS = [
    "Home",
    "Check in",
    "Questionnaires",
    "Progress",
    "Messages",
    "Journal",
    "Appointments",
    "Learn",
    "My records",
    "My clinic",
    "My account",
]


def _sign_in(browser: Any, live_server: Any, patient: Any, **options: Any) -> tuple[Any, Any]:
    patient.user.set_password(PASSWORD)
    patient.user.save()
    context = browser.new_context(**PHONE, **options)
    page = context.new_page()
    browser_login(page, live_server.url, patient.user.email, PASSWORD)
    return context, page


def _in_view(box: Any) -> bool:
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= SCREEN["width"]
        and box["y"] + box["height"] <= SCREEN["height"]
    )


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREEN["width"], f"the page scrolls sideways on a phone ({width}px)"


def test_every_menu_link_is_one_tap_on_menu_away_on_a_phone(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    context, page = _sign_in(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/")
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    # One row of header: the brand, the Menu button and Log out, all in sight; the links wait behind it.
    assert _in_view(menu.bounding_box()) and menu.get_attribute("aria-expanded") == "false"
    tops = [
        round(page.locator(selector).first.bounding_box()["y"])
        for selector in (".brand", ".site-header [data-menu-button]", ".header-tools button")
    ]
    assert max(tops) - min(tops) < 20, f"the header is not one row: {tops}"
    assert menu.bounding_box()["height"] >= 44
    assert not nav.get_by_role("link", name="Journal").is_visible()
    page.screenshot(path=str(artifacts_dir / "patient-menu-closed-phone.png"))

    menu.tap()
    assert menu.get_attribute("aria-expanded") == "true"
    for name in LINKS:
        link = nav.get_by_role("link", name=name, exact=True)
        assert link.is_visible(), name
        box = link.bounding_box()
        assert _in_view(box), f"{name} is outside the screen: {box}"
        assert box["height"] >= 44 and box["width"] >= 44, f"{name} is too small to tap: {box}"
    assert nav.get_by_role("link").count() == len(LINKS)
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "patient-menu-open-phone.png"))

    # A link far down the list opens its page, which the menu then marks as the current one.
    nav.get_by_role("link", name="Journal").tap()
    page.wait_for_url(re.compile(r"/me/journal/$"))
    assert menu.get_attribute("aria-expanded") == "false"
    menu.tap()
    assert nav.get_by_role("link", name="Journal").get_attribute("aria-current") == "page"
    # A tap elsewhere closes it; so does Escape, handing the focus back to the button.
    page.locator(".site-footer").tap()
    assert menu.get_attribute("aria-expanded") == "false"
    menu.focus()
    page.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Home"
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.hasAttribute('data-menu-button')")
    context.close()


def test_without_script_every_menu_link_stands_in_sight(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    context, page = _sign_in(browser, live_server, personas.a1, java_script_enabled=False)
    page.goto(f"{live_server.url}/me/")
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.get_by_role("button", name="Menu").is_visible()
    for name in LINKS:
        box = nav.get_by_role("link", name=name, exact=True).bounding_box()
        assert _in_view(box) and box["height"] >= 44, f"{name}: {box}"
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "patient-menu-no-script-phone.png"))
    context.close()


def test_on_a_desk_screen_the_patients_links_stand_in_one_row_without_a_menu_button(
    live_server: Any, browser: Any, personas: Any
) -> None:
    personas.a1.user.set_password(PASSWORD)
    personas.a1.user.save()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    browser_login(page, live_server.url, personas.a1.user.email, PASSWORD)
    page.goto(f"{live_server.url}/me/")
    assert not page.locator(".site-header [data-menu-button]").is_visible()
    tops = page.evaluate(
        "[...document.querySelectorAll('.site-header nav li')].map(li => Math.round(li.getBoundingClientRect().top))"
    )
    assert len(tops) == len(LINKS) and len(set(tops)) == 1, tops
    page.close()


def test_the_account_page_changes_the_password_on_a_phone(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    context, page = _sign_in(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/")
    page.get_by_role("button", name="Menu").tap()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My account").tap()
    page.get_by_role("heading", name="My account").wait_for()
    assert page.get_by_test_id("account-email").inner_text() == "patient.a1@example.org"
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Change my password").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").filter(has_text="Too short").inner_text() == (
        "Too short: 5 characters; at least 8 are required"
    )
    page.screenshot(path=str(artifacts_dir / "patient-account-refused-phone.png"), full_page=True)
    _no_sideways_scroll(page)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Your password has been changed").is_visible()
    page.goto(f"{live_server.url}/me/")
    assert page.get_by_role("heading", name="Hello", exact=False).is_visible(), "still signed in"
    personas.a1.user.refresh_from_db()
    assert personas.a1.user.check_password(NEW_PASSWORD)
    context.close()


def test_the_reminders_page_reads_quiet_hours_on_the_24_hour_clock(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    context, page = _sign_in(browser, live_server, personas.a1, locale="en-US")
    page.goto(f"{live_server.url}/me/notifications/")
    page.get_by_role("heading", name="Reminders").wait_for()
    start, end = page.get_by_label("Quiet from"), page.get_by_label("Quiet until")
    shown = [s.evaluate("s => s.options[s.selectedIndex].text") for s in (start, end)]
    assert shown == ["21:00", "08:00"]
    assert "PM" not in page.locator("main").inner_text()
    assert page.get_by_text("to patient.a1@example.org").is_visible()
    start.select_option("22:30")
    page.get_by_label("Mobile number for text messages").fill("+1 555 0100 0100 0100 0100 0100 0100 010")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    error = page.get_by_role("alert").filter(has_text="Mobile number")
    assert error.inner_text().startswith("Mobile number: at most 25 characters; this one has 40.")
    assert page.get_by_label("Quiet from").evaluate("s => s.value") == "22:30", "the choice is kept"
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "reminders-phone.png"), full_page=True)
    context.close()


def test_a_phone_in_another_time_zone_is_told_whose_clock_the_times_are_on(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    assert personas.a1.time_zone == "America/New_York"
    context, page = _sign_in(browser, live_server, personas.a1, timezone_id="America/Los_Angeles")
    page.goto(f"{live_server.url}/me/")
    notice = page.locator("[data-zone-notice]")
    notice.wait_for()
    text = notice.inner_text()
    assert text.startswith("Your phone is set to Los Angeles time; times here are New York time (")
    assert text.endswith("there now). To change your time zone, ask your clinic.")
    now_there = re.search(r"\((\d\d:\d\d) there now\)", text)
    assert now_there is not None
    # The phone's own clock tells "there now" (the test process may run on a shifted clock, conftest's
    # _away_from_clinic_midnights; the browser never does).
    phone_now_ms = page.evaluate("Date.now()")
    expected = dt.datetime.fromtimestamp(phone_now_ms / 1000, zoneinfo.ZoneInfo("America/New_York"))
    shown = dt.datetime.combine(expected.date(), dt.time.fromisoformat(now_there.group(1)), expected.tzinfo)
    assert abs((expected - shown).total_seconds()) < 120 or abs((expected - shown).total_seconds()) > 86000
    assert _in_view(notice.bounding_box()), "the notice is at the top of the page"
    notice.get_by_role("link", name="your clinic").click()
    page.wait_for_url(re.compile(r"/me/clinic/$"))
    assert page.locator("[data-zone-notice]").is_visible(), "on every page"
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "zone-notice-phone.png"))
    context.close()

    # The patient's own zone, or another name for the same clock: nothing to say.
    for zone in ("America/New_York", "America/Detroit"):
        context, page = _sign_in(browser, live_server, personas.a1, timezone_id=zone)
        page.goto(f"{live_server.url}/me/")
        page.wait_for_load_state("load")
        assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == zone
        assert page.locator("[data-zone-notice]").is_hidden(), zone
        context.close()
