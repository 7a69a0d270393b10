"""Browser (desktop): a clinician acknowledges an alert from the inbox; the outcomes page renders its charts."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import browser_login
from ketacare.alerts.models import Alert
from ketacare.alerts.tests.helpers import make_alert
from tests.support.cohort import seed_cohort

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-test-password-42"


def _staff_login(page: Any, live_server: Any, user: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user.set_password(PASSWORD)
    user.save()
    TOTPDevice.objects.get_or_create(user=user, defaults={"name": "browser", "confirmed": True})
    browser_login(page, live_server.url, user.email, PASSWORD)


def test_a_clinician_acknowledges_an_alert_with_a_note(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    make_alert(personas.a2, severity="contact_clinic", source="worsening_trend", title="Worsening on PHQ-9")
    urgent = make_alert(personas.a1, severity="urgent", title="Red flag: chest pain after the session")
    make_alert(personas.b1, severity="emergency", title="Other clinic emergency")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _staff_login(page, live_server, personas.clinician_a)
    page.goto(f"{live_server.url}/clinic/alerts/")
    assert page.locator(".nav-alerts .badge").inner_text() == "2"
    rows = page.locator("table.alerts-inbox tbody tr")
    assert rows.count() == 2
    assert "chest pain" in rows.nth(0).inner_text()  # urgent before contact-clinic
    assert "Other clinic emergency" not in page.content()
    page.screenshot(path=str(artifacts_dir / "alerts-inbox-before.png"), full_page=True)
    rows.nth(0).get_by_label("Note (required)").fill(
        "Called the patient: pain gone, advised to call 911 if it returns."
    )
    rows.nth(0).get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    assert "Acknowledged: Red flag: chest pain" in page.content()
    assert page.locator(".nav-alerts .badge").inner_text() == "1"
    page.screenshot(path=str(artifacts_dir / "alerts-inbox-acknowledged.png"), full_page=True)
    urgent.refresh_from_db()
    assert urgent.state == Alert.State.ACKNOWLEDGED and urgent.acknowledged_by == personas.clinician_a
    page.close()


def test_the_outcomes_page_shows_rates_the_relapse_curve_and_the_funnel(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    seed_cohort(personas)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _staff_login(page, live_server, personas.admin_a)
    page.goto(f"{live_server.url}/clinic/outcomes/")
    assert page.get_by_role("heading", name="Response and remission").is_visible()
    assert page.locator("svg.km-chart path.km-line").count() == 1
    assert page.get_by_role(
        "img", name="Share of responders without relapse by day after the first response"
    ).is_visible()
    assert "2/5 = 40%" in page.locator("table.outcomes-rates").first.inner_text()
    assert page.locator("table.km-table tbody tr").count() == 3
    page.screenshot(path=str(artifacts_dir / "outcomes-page.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("outcomes-phq9-")
    page.close()


def test_a_desk_screen_shows_several_open_alerts_at_once(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    # Each open alert carries its acknowledge form; it must not take a screen's height per alert, or the
    # clinician sees two alerts and has to scroll to find who needs them now.
    for number in range(8):
        make_alert(personas.a1, severity="urgent", title=f"Red flag in check-in: chest pain ({number})")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _staff_login(page, live_server, personas.clinician_a)
    page.goto(f"{live_server.url}/clinic/alerts/")
    rows = page.locator("table.alerts-inbox tbody tr")
    assert rows.count() == 8
    visible = [
        box
        for box in (rows.nth(i).bounding_box() for i in range(8))
        if box and box["y"] + box["height"] <= 900
    ]
    page.screenshot(path=str(artifacts_dir / "alerts-inbox-desk.png"))
    assert len(visible) >= 5, f"{len(visible)} of 8 open alerts fit a 1280x900 screen"
    # The note is still labelled and typed in the row.
    rows.nth(0).get_by_label("Note (required)").fill("Called: pain gone")
