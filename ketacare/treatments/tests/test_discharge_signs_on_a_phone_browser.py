"""Browser, phone-sized (390x844): the discharge sheet's "When to get help now" shows each level's signs
as a list, one sign a line, inside the screen's width, under its instruction and its call button."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "signs-on-a-phone-2026"  # noqa: S105 - test persona only
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_each_levels_signs_are_a_readable_list_on_a_phone(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    from tests.support.treatments import make_session

    make_session(personas.a1, route="iv", state="discharged")
    personas.a1.user.set_password(PASSWORD)
    personas.a1.user.save()
    page = browser.new_page(**PHONE)
    browser_login(page, live_server.url, personas.a1.user.email, PASSWORD)
    page.goto(f"{live_server.url}{reverse('companion:instructions')}")
    page.screenshot(path=str(artifacts_dir / "phone-390-discharge-help-now.png"), full_page=True)

    levels = page.locator("[data-testid=get-help-now] .help-level")
    assert levels.count() >= 3
    for index in range(levels.count()):
        level = levels.nth(index)
        # The instruction first, with its call button a thumb can hit, then the signs below it.
        call = level.locator("p a.call").first
        call_box = call.bounding_box()
        assert call_box is not None and call_box["height"] >= 44
        items = level.locator("ul.help-signs > li")
        assert items.count() >= 1
        instruction_box = level.locator("p").first.bounding_box()
        assert instruction_box is not None
        previous_bottom = instruction_box["y"] + instruction_box["height"]
        for n in range(items.count()):
            box = items.nth(n).bounding_box()
            assert box is not None and items.nth(n).is_visible()
            # Each sign on its own line(s), below the one before, inside the screen's width.
            assert box["y"] >= previous_bottom - 1, (index, n)
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (index, n, box)
            previous_bottom = box["y"] + box["height"]
    # Nothing sideways: the page is no wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()
