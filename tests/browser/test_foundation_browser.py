"""Browser: the demo logins work on a live server; staff see only their clinic; patients their home."""

from __future__ import annotations

import pytest

from conftest import browser_login
from ketacare.demo.seed import DEMO_PASSWORD, seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_demo_clinician_logs_in_with_the_shown_code_and_sees_only_their_clinic(
    live_server, browser, settings, artifacts_dir
):
    settings.DEMO_MODE = True
    seed_demo(seed=3, patients_per_clinic=30)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail").fill("prescriber@demo.ketacare.org")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    code = page.get_by_test_id("demo-code").inner_text()
    page.get_by_label("Six-digit code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/clinic/patients/**")
    body = page.content()
    assert "Harbor Ketamine Clinic" in body and "B-0000" not in body  # clinic B record numbers start with B-
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 25
    assert "Page 1 of 2" in body
    # Search narrows the table through htmx without leaving the page.
    page.get_by_label("Search by name or record number").fill("B-0000")
    page.wait_for_timeout(800)
    assert page.locator("table.data tbody tr").count() == 0
    page.screenshot(path=str(artifacts_dir / "foundation-staff-patient-list.png"), full_page=True)
    page.close()


def test_a_demo_patient_logs_in_and_sees_their_home_on_a_phone(live_server, browser, artifacts_dir):
    seed_demo(seed=3, patients_per_clinic=30)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    browser_login(page, live_server.url, "patient1-a@demo.ketacare.org", DEMO_PASSWORD)
    assert page.url.endswith("/me/")
    assert page.get_by_role("heading", name="Need help now?").is_visible()
    assert page.locator(".help-now a[href='tel:911']").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(artifacts_dir / "foundation-patient-home-phone.png"), full_page=True)
    page.close()
