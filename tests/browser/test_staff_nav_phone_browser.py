"""Staff on a phone (390x844): no page pans sideways, and every link of the clinic's menu is in sight.

A nurse, a prescriber and a clinic administrator of the demo clinic (their menus differ) walk Today,
the patient list, the alerts inbox, a patient's page, a run-sheet, the controlled-drug register and,
for the administrator, the clinic settings. On each page the whole page is no wider than the phone,
every menu link is one tap on "Menu" away, inside the screen and at least 44 px tall, and the link of
the page itself is marked as the current one. Without script the links stand under the header, all in
sight; at a desk (1280 px) they stand in the header as before, with no Menu button.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import browser_login
from ketacare.demo.seed import DEMO_DOMAIN, DEMO_PASSWORD, seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 390, "height": 844}
PHONE = {"viewport": SCREEN, "is_mobile": True, "has_touch": True}
DESK = {"width": 1280, "height": 900}
TAP_PX = 44  # the touch target size of WCAG 2.5.5
CLINIC_A = "Harbor Ketamine Clinic"
STAFF_LINKS = ["Patients", "Today", "Alerts", "Messages", "REMS forms", "Controlled drugs", "Outcomes"]
ADMIN_LINKS = [
    *STAFF_LINKS,
    "Questionnaire schedule",
    "Audit",
    "Staff",
    "Clinic settings",
    "E-mail",
    "Webhooks",
]
# The demo's staff at Clinic A: (e-mail local part, the links of their menu).
ROLES = {"nurse": STAFF_LINKS, "prescriber": STAFF_LINKS, "admin": ADMIN_LINKS}


def _link(nav: Any, name: str) -> Any:
    # The Alerts link's name carries its badge ("Alerts 3 open alerts"); every other name is exact.
    if name == "Alerts":
        return nav.get_by_role("link", name=re.compile(r"^Alerts\b"))
    return nav.get_by_role("link", name=name, exact=True)


def _in_screen(box: Any, width: int = SCREEN["width"], height: int = SCREEN["height"]) -> bool:
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width
        and box["y"] + box["height"] <= height
    )


def _no_sideways_scroll(page: Any, where: str) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{where}: the page scrolls sideways ({width}px on a {inner}px screen)"


def _every_link_in_sight(page: Any, links: list[str], where: str) -> None:
    nav = page.get_by_role("navigation", name="Main")
    for name in links:
        link = _link(nav, name)
        assert link.is_visible(), f"{where}: {name} is not shown"
        box = link.bounding_box()
        assert _in_screen(box), f"{where}: {name} is outside the screen: {box}"
        assert box["height"] >= TAP_PX, f"{where}: {name} is too small to tap: {box}"
    assert nav.get_by_role("link").count() == len(links), where


def _check_page(page: Any, links: list[str], where: str, current: str | None) -> None:
    """The page fits the phone; the Menu button opens every link in sight, the current one marked."""
    _no_sideways_scroll(page, where)
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    assert menu.is_visible(), f"{where}: no Menu button"
    box = menu.bounding_box()
    assert _in_screen(box) and box["height"] >= TAP_PX, f"{where}: Menu button {box}"
    assert menu.get_attribute("aria-expanded") == "false", where
    tools = page.locator(".header-tools")
    for name, tool in [
        ("Sign-in security", tools.get_by_role("link", name="Sign-in security")),
        ("Log out", tools.get_by_role("button", name="Log out")),
    ]:
        box = tool.bounding_box()
        assert _in_screen(box) and box["height"] >= TAP_PX, f"{where}: {name} {box}"
    assert tools.get_by_text(CLINIC_A).is_visible(), f"{where}: the clinic's name"

    menu.tap()
    assert menu.get_attribute("aria-expanded") == "true", where
    _every_link_in_sight(page, links, where)
    marked = [text.strip() for text in nav.locator('a[aria-current="page"]').all_inner_texts()]
    if current is None:
        assert marked == [], f"{where}: marked as current: {marked}"
    else:
        assert len(marked) == 1 and marked[0].startswith(current), f"{where}: marked as current: {marked}"
    _no_sideways_scroll(page, f"{where}, menu open")
    # Escape closes the menu and hands the focus back to its button.
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false", where
    assert page.evaluate("document.activeElement.hasAttribute('data-menu-button')"), where
    assert not _link(nav, links[-1]).is_visible(), f"{where}: the menu stays open"


def _go_by_menu(page: Any, name: str, url: str) -> None:
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Menu").tap()
    _link(nav, name).tap()
    page.wait_for_url(re.compile(re.escape(url) + "$"))


def _goto(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: {response and response.status}"


def _demo_pages() -> tuple[str, str]:
    """A patient of Clinic A with a login (their long e-mail address on the page) and a run-sheet."""
    from ketacare.patients.models import Patient
    from ketacare.treatments.models import TreatmentSession

    patient = (
        Patient.objects.filter(clinic__name=CLINIC_A, user__isnull=False)
        .order_by("medical_record_number")
        .first()
    )
    session = TreatmentSession.objects.filter(clinic__name=CLINIC_A).order_by("-scheduled_at").first()
    assert patient is not None and session is not None, "the demo seeds patients and sessions"
    return f"/clinic/patients/{patient.public_id}/", f"/clinic/sessions/{session.public_id}/"


def test_each_staff_role_reaches_every_menu_link_and_no_page_pans_sideways_on_a_phone(
    live_server: Any, browser: Any, artifacts_dir: Any
) -> None:
    seed_demo(seed=3, patients_per_clinic=30)
    patient_page, run_sheet = _demo_pages()
    base = live_server.url
    for role, links in ROLES.items():
        context = browser.new_context(**PHONE)
        page = context.new_page()
        browser_login(page, base, f"{role}@{DEMO_DOMAIN}", DEMO_PASSWORD)

        _goto(page, f"{base}/clinic/today/")
        _check_page(page, links, f"{role} on Today", "Today")
        page.screenshot(path=str(artifacts_dir / f"staff-nav-phone-{role}-today.png"))
        # The other sections are reached through the menu itself, as a nurse on a phone would.
        for name, path, shot in [
            ("Patients", "/clinic/patients/", "patients"),
            ("Alerts", "/clinic/alerts/", "alerts"),
            ("Controlled drugs", "/clinic/register/", "register"),
            *([("Clinic settings", "/clinic/settings/", "settings")] if role == "admin" else []),
        ]:
            _go_by_menu(page, name, f"{base}{path}")
            _check_page(page, links, f"{role} on {name}", name)
            page.screenshot(path=str(artifacts_dir / f"staff-nav-phone-{role}-{shot}.png"), full_page=True)
        for path, label in [(patient_page, "a patient's page"), (run_sheet, "a run-sheet")]:
            _goto(page, f"{base}{path}")
            _check_page(page, links, f"{role} on {label}", None)
        page.get_by_role("button", name="Menu").tap()
        page.screenshot(path=str(artifacts_dir / f"staff-nav-phone-{role}-menu-open.png"))

        if role == "admin":
            # A desk screen: every link in the header, no Menu button.
            page.set_viewport_size(DESK)
            _goto(page, f"{base}/clinic/today/")
            nav = page.get_by_role("navigation", name="Main")
            assert not nav.get_by_role("button", name="Menu").is_visible()
            for name in links:
                box = _link(nav, name).bounding_box()
                assert _in_screen(box, DESK["width"], DESK["height"]), f"desk: {name} {box}"
            _no_sideways_scroll(page, "admin at a desk")
        context.close()


def test_without_script_every_staff_link_stands_in_sight_on_a_phone(
    live_server: Any, browser: Any, artifacts_dir: Any
) -> None:
    seed_demo(seed=3, patients_per_clinic=30)
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    browser_login(page, live_server.url, f"admin@{DEMO_DOMAIN}", DEMO_PASSWORD)
    _goto(page, f"{live_server.url}/clinic/today/")
    assert not page.get_by_role("button", name="Menu").is_visible()
    _every_link_in_sight(page, ADMIN_LINKS, "admin without script")
    _no_sideways_scroll(page, "admin without script")
    page.screenshot(path=str(artifacts_dir / "staff-nav-phone-no-script.png"), full_page=True)
    context.close()
