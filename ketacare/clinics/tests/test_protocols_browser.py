"""Browser: a nurse reads the Protocols page on an 820 px tablet and a 390 px phone without panning sideways."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import browser_login
from ketacare.accounts.models import User
from ketacare.clinics.models import StaffMembership
from ketacare.core.protocols import catalog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-test-password-42"  # noqa: S105 - test data only

# What sticks out past the right edge, or scrolls inside its own box, so a failure names its cause.
TOO_WIDE = """
() => [...document.querySelectorAll('main *')]
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
                || el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
  .map(el => el.tagName + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '')
       + ' ' + Math.round(el.getBoundingClientRect().width) + 'px')
  .slice(0, 12)
"""


@pytest.mark.parametrize(("width", "height"), [(820, 1180), (390, 844)], ids=["tablet", "phone"])
def test_the_protocols_page_fits_a_tablet_and_a_phone(
    live_server: Any, browser: Any, personas: Any, width: int, height: int
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    nurse = User.objects.create_user("nurse.a@example.org", PASSWORD, full_name="Nora Nurse")
    StaffMembership.objects.create(user=nurse, clinic=personas.clinic_a, role="nurse")
    TOTPDevice.objects.create(user=nurse, name="browser", confirmed=True)
    phone = width < 500
    page = browser.new_page(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone)
    browser_login(page, live_server.url, nurse.email, PASSWORD)
    response = page.goto(f"{live_server.url}/clinic/protocols/")
    assert response is not None and response.ok

    headings = page.locator("section[data-testid=protocol] h2").all_inner_texts()
    assert headings == [p.name for p in catalog().protocols.values()]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"sideways at {width}px ({scroll_width}px): {page.evaluate(TOO_WIDE)}"
    assert page.evaluate(TOO_WIDE) == []
    # The hold thresholds are a table with its headings; on a phone (the site's stacked tables) each
    # value stands under its heading.
    first_cell = page.locator("table.holds tbody td").first
    assert first_cell.is_visible()
    if phone:
        label = first_cell.evaluate("el => getComputedStyle(el, '::before').content")
        assert "Reading before the dose" in label
    else:
        table = page.get_by_role("table").first
        assert table.get_by_role("columnheader", name="Reading before the dose").count() == 1
    # The contents list leads to each protocol.
    last = list(catalog().protocols.values())[-1].name
    page.get_by_role("navigation", name="Protocols on this page").get_by_role("link", name=last).click()
    assert page.get_by_role("heading", name=last, level=2).is_visible()
