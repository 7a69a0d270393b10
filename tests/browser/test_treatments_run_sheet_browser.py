"""Browser: a complete IV session and a complete esketamine session on a tablet, check-in to discharge.

Times are typed on the run-sheet's own time fields (charting after the fact), so the walk reaches
discharge without waiting two hours; a second esketamine session shows the refusal before 120 min.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from conftest import browser_login, make_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET = {"width": 1024, "height": 768}
PASSWORD = "run-sheet-browser-2026"


def _staff_login(browser, live_server):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    personas = make_personas()
    user = personas.clinician_a
    user.set_password(PASSWORD)
    user.save()
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    page = browser.new_page(viewport=TABLET, has_touch=True)
    browser_login(page, live_server.url, user.email, PASSWORD)
    return personas, page


def _local(minutes_ago: int) -> str:
    zone = zoneinfo.ZoneInfo("America/New_York")  # Clinic A
    return (
        (dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=minutes_ago))
        .astimezone(zone)
        .strftime("%Y-%m-%dT%H:%M")
    )


def _submit(page, button: str) -> None:
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name=button).click()
    page.wait_for_timeout(150)


def _check_in(page, minutes_ago: int) -> None:
    page.locator("#checkin_form_weight_kg").fill("70")
    page.locator("#checkin_form_fasting_confirmed").check()
    page.locator("#checkin_form_ride_home_confirmed").check()
    page.locator("#checkin_form_checked_in_at").fill(_local(minutes_ago))
    _submit(page, "Check in")
    assert page.get_by_test_id("session-state").inner_text() == "Checked in"


def _vitals(page, minutes_ago: int, systolic: int, diastolic: int) -> None:
    page.locator("#vitals_form_measured_at").fill(_local(minutes_ago))
    page.locator("#vitals_form_systolic_mmhg").fill(str(systolic))
    page.locator("#vitals_form_diastolic_mmhg").fill(str(diastolic))
    page.locator("#vitals_form_heart_rate_bpm").fill("72")
    page.locator("#vitals_form_spo2_pct").fill("98")
    _submit(page, "Record vital signs")


def _observe(page, minutes_ago: int) -> None:
    page.locator("#observation_form_observed_at").fill(_local(minutes_ago))
    page.locator("#observation_form_moaas_score").select_option("5")
    page.locator("#observation_form_dissociation").select_option("none")
    _submit(page, "Record observation")


def _discharge(page) -> None:
    page.locator("#discharge_form_ride_present").check()
    page.locator("#discharge_form_instructions_given").check()
    _submit(page, "Discharge")


def test_a_complete_iv_session_from_check_in_to_discharge_on_a_tablet(live_server, browser, artifacts_dir):
    from tests.support.treatments import make_session, skip_questionnaires_on_the_page

    personas, page = _staff_login(browser, live_server)
    session = make_session(personas.a1, route="iv", state="scheduled")
    page.goto(f"{live_server.url}/clinic/today/")
    page.get_by_role("link", name=personas.a1.full_name).click()
    page.wait_for_load_state()
    page.screenshot(path=str(artifacts_dir / "treatments-iv-1-scheduled.png"), full_page=True)
    _check_in(page, 150)
    _vitals(page, 145, 122, 78)
    skip_questionnaires_on_the_page(page)
    page.locator("#dose_form_dose_mg").fill("35")
    page.locator("#dose_form_lot_number").fill("LOT-IV-7")
    page.locator("#dose_form_started_at").fill(_local(140))
    page.locator("#dose_form_ended_at").fill(_local(100))
    _submit(page, "Record dose")
    assert page.get_by_test_id("session-state").inner_text() in ("Observing", "Ready for discharge")
    _vitals(page, 125, 138, 88)
    # The rest of the run-sheet's checks, each at its time: every 15 min during and after the infusion.
    for minutes_ago in (110, 100, 85, 70, 55):
        _vitals(page, minutes_ago, 126, 80)
    _vitals(page, 5, 124, 80)
    _observe(page, 4)
    assert page.locator("svg.timeline polyline.sys").count() == 1
    page.screenshot(path=str(artifacts_dir / "treatments-iv-2-observing.png"), full_page=True)
    assert page.get_by_test_id("clinically-ready").is_visible()
    _discharge(page)
    assert page.get_by_test_id("session-state").inner_text() == "Discharged"
    page.screenshot(path=str(artifacts_dir / "treatments-iv-3-discharged.png"), full_page=True)
    page.get_by_role("link", name="Discharge instructions").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="When to get help now").is_visible()
    page.screenshot(path=str(artifacts_dir / "treatments-iv-4-instructions.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], f"the page scrolls sideways on a tablet ({width}px)"
    session.refresh_from_db()
    assert session.state == "discharged"
    page.close()


def test_a_complete_esketamine_session_and_the_refusal_before_120_minutes(
    live_server, browser, artifacts_dir
):
    from tests.support.treatments import make_session, skip_questionnaires_on_the_page

    personas, page = _staff_login(browser, live_server)
    # The refusal: another esketamine patient whose second device was 30 minutes ago.
    early = make_session(personas.a2, route="esketamine_in", state="observing", minutes_since_dose_end=30)
    page.goto(f"{live_server.url}/clinic/sessions/{early.public_id}/")
    _discharge(page)
    refused = page.get_by_test_id("discharge-refused")
    assert refused.is_visible()
    assert "of the required 120 min (REMS: a hard rule)" in refused.inner_text()
    page.screenshot(
        path=str(artifacts_dir / "treatments-esketamine-0-refused-before-120-min.png"), full_page=True
    )
    early.refresh_from_db()
    assert early.state == "observing"

    session = make_session(personas.a1, route="esketamine_in", state="scheduled")
    page.goto(f"{live_server.url}/clinic/sessions/{session.public_id}/")
    _check_in(page, 170)
    _vitals(page, 165, 124, 80)
    skip_questionnaires_on_the_page(page)
    for minutes_ago in (160, 155):
        page.locator("#dose_form_dose_mg").fill("28")
        page.locator("#dose_form_lot_number").fill("ESK-2026-11")
        page.locator("#dose_form_started_at").fill(_local(minutes_ago))
        _submit(page, "Record device")
    assert page.get_by_test_id("session-state").inner_text() in ("Observing", "Ready for discharge")
    _vitals(page, 115, 139, 88)  # about 40 min after dosing
    _vitals(page, 4, 126, 80)
    _observe(page, 3)
    page.screenshot(path=str(artifacts_dir / "treatments-esketamine-1-observing.png"), full_page=True)
    _discharge(page)
    assert page.get_by_test_id("session-state").inner_text() == "Discharged"
    page.screenshot(path=str(artifacts_dir / "treatments-esketamine-2-discharged.png"), full_page=True)
    page.get_by_role("link", name="REMS patient monitoring form").click()
    page.wait_for_load_state()
    assert "56 mg" in page.content()
    page.screenshot(path=str(artifacts_dir / "treatments-esketamine-3-rems-form.png"), full_page=True)
    session.refresh_from_db()
    assert session.state == "discharged"
    page.close()


def _luminance(rgb: str) -> float:
    """WCAG relative luminance of a computed CSS colour ("rgb(r, g, b)" or "rgba(...)")."""
    parts = [float(p) for p in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_a_critical_reading_is_legible_on_the_run_sheet(live_server, browser, artifacts_dir):
    # The most urgent line on the page: white text on the danger colour, at WCAG AA contrast (4.5:1).
    # Another `.flag` rule once painted its background near-white, leaving white on white.
    from ketacare.treatments import services
    from tests.support.treatments import make_session, staff_of

    personas, page = _staff_login(browser, live_server)
    session = make_session(personas.a1, route="iv", state="observing")
    services.record_vital_signs(
        session=session, user=staff_of(personas.a1), systolic_mmhg=186, diastolic_mmhg=112, heart_rate_bpm=80
    )
    page.goto(f"{live_server.url}/clinic/sessions/{session.public_id}/")
    flag = page.locator(".flag-critical").first
    assert flag.is_visible()
    assert "CRITICAL" in flag.inner_text()
    colour, background = flag.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
    )
    light, dark = sorted((_luminance(colour), _luminance(background)), reverse=True)
    ratio = (light + 0.05) / (dark + 0.05)
    assert ratio >= 4.5, f"critical flag {colour} on {background}: contrast {ratio:.2f}"
    page.screenshot(path=str(artifacts_dir / "treatments-critical-flag.png"), full_page=False)
    page.close()
