"""Browser: a clinic admin sets opening hours on the settings page at desk, tablet and phone widths."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import browser_login
from ketacare.clinics.models import Clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-test-password-42"

# Every form control whose centre is covered by another element (or lies outside the viewport once
# scrolled to) cannot be clicked or tapped; the walkthrough found the closing times hidden this way.
UNREACHABLE_CONTROLS = """
() => {
  const blocked = [];
  for (const el of document.querySelectorAll('main form :is(input:not([type=hidden]), select, textarea)')) {
    el.scrollIntoView({block: 'center', inline: 'center'});
    const box = el.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const hit = document.elementFromPoint(x, y);
    if (box.width < 1 || box.height < 1 || !hit || !(hit === el || el.contains(hit))) {
      blocked.push(el.name + ' covered by ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing'));
    }
  }
  return blocked;
}
"""

# What sticks out past the right edge, so a sideways-scroll failure names its cause.
TOO_WIDE = """
() => [...document.querySelectorAll('main *')]
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .map(el => el.tagName + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '')
       + ' ' + Math.round(el.getBoundingClientRect().width) + 'px')
  .slice(0, 12)
"""


def _admin_login(page: Any, live_server: Any, user: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user.set_password(PASSWORD)
    user.save()
    TOTPDevice.objects.get_or_create(user=user, defaults={"name": "browser", "confirmed": True})
    browser_login(page, live_server.url, user.email, PASSWORD)


@pytest.mark.parametrize(
    ("width", "height"),
    [(1280, 900), (820, 1180), (390, 844)],
    ids=["desk", "tablet", "phone"],
)
def test_the_clinic_admin_sets_monday_hours_by_clicking_into_the_time_inputs(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any, width: int, height: int
) -> None:
    phone = width < 500
    page = browser.new_page(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone)
    _admin_login(page, live_server, personas.admin_a)
    page.goto(f"{live_server.url}/clinic/settings/")
    # No hours yet: the page says what patients are told, not that the clinic is "always closed" (patients
    # are not told it is closed when the hours are unknown).
    assert "Hours: none set: add them below so patients know when to call" in page.content()
    assert "No opening hours set, so patients are not told whether the clinic is open." in page.content()

    assert page.evaluate(UNREACHABLE_CONTROLS) == []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (
        f"the settings page scrolls sideways at {width}px ({scroll_width}px): {page.evaluate(TOO_WIDE)}"
    )

    # click() first: Playwright refuses to click an element another one covers, which was the defect.
    opens = page.get_by_label("Monday opens", exact=True)
    opens.click()
    opens.fill("08:00")
    closes = page.get_by_label("Monday closes", exact=True)
    closes.click()
    closes.fill("18:00")
    page.screenshot(path=str(artifacts_dir / f"clinic-settings-hours-{width}x{height}.png"), full_page=True)
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Clinic settings saved.").wait_for()

    page.goto(f"{live_server.url}/clinic/settings/")
    assert "Hours: Mon 08:00-18:00 (New York time)." in page.locator("main").inner_text()
    assert page.get_by_label("Monday opens", exact=True).input_value() == "08:00"
    assert page.get_by_label("Monday closes", exact=True).input_value() == "18:00"
    clinic = Clinic.objects.get(pk=personas.clinic_a.pk)
    assert [str(h) for h in clinic.opening_hours.all()] == ["Monday 08:00-18:00"]
    page.close()


def test_a_closing_time_before_the_opening_time_is_refused_with_the_day_capitalised(
    live_server: Any, browser: Any, personas: Any
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _admin_login(page, live_server, personas.admin_a)
    page.goto(f"{live_server.url}/clinic/settings/")
    page.get_by_label("Monday opens", exact=True).click()
    page.get_by_label("Monday opens", exact=True).fill("17:00")
    page.get_by_label("Monday closes", exact=True).click()
    page.get_by_label("Monday closes", exact=True).fill("09:00")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    # Under the field, and in the summary at the top of the page as a link to the field.
    error = page.locator(".opening-hours .field-error").filter(
        has_text="closing time must be after opening time"
    )
    assert error.inner_text() == "Monday: closing time must be after opening time (17:00)"
    link = page.get_by_test_id("error-summary").get_by_role(
        "link", name="Monday: closing time must be after opening time (17:00)"
    )
    assert link.get_attribute("href") == "#id_mon_closes"
    assert not Clinic.objects.get(pk=personas.clinic_a.pk).opening_hours.exists()
    page.close()


def test_a_clinic_admins_navigation_fits_one_row_on_a_desk_screen(
    live_server: Any, browser: Any, personas: Any
) -> None:
    """Every link of the admin's navigation on one row at 1280 px, the account's page beside Log out."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _admin_login(page, live_server, personas.admin_a)
    page.goto(f"{live_server.url}/clinic/alerts/")
    tops = page.evaluate(
        "[...document.querySelectorAll('.site-header nav li')].map(li => Math.round(li.getBoundingClientRect().top))"
    )
    assert len(tops) >= 13 and len(set(tops)) == 1, f"the navigation wraps onto {len(set(tops))} rows: {tops}"
    security = page.locator(".header-tools").get_by_role("link", name="Sign-in security")
    security.click()
    page.get_by_role("heading", name="Sign-in security").wait_for()
    assert security.get_attribute("aria-current") == "page"
    page.close()
