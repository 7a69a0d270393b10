"""Browser: the run-sheet and the plan form laid out for a tablet (820x1180) and a desk (1280x800).

After dosing, the observation clock, checkpoints and discharge checklist sit above the forms on one
column, and the recovery model is folded. On the plan form the weekday boxes are a row under their
legend, every dropdown shows its whole choice, and the prescriber's two reasons stand one above the
other.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET = {"width": 820, "height": 1180}
DESK = {"width": 1280, "height": 800}
PASSWORD = "tablet-layout-2026"

# The width the text of a select's chosen option needs, against the width the select gives it (its
# arrow takes about 2rem).
SELECT_FITS = """(el) => {
  const style = getComputedStyle(el);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  const text = el.options[el.selectedIndex].text;
  return ctx.measureText(text).width <= el.clientWidth - 32;
}"""


def _login(browser: Any, live_server: Any, user: Any, viewport: dict[str, int]) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user.set_password(PASSWORD)
    user.save()
    TOTPDevice.objects.get_or_create(user=user, defaults={"name": "browser", "confirmed": True})
    page = browser.new_page(viewport=viewport, has_touch=True)
    browser_login(page, live_server.url, user.email, PASSWORD)
    return page


def _top(page: Any, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["y"])


def test_after_dosing_the_clock_and_checklist_come_before_the_forms_on_a_tablet(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    from tests.support.treatments import make_session

    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=20)
    page = _login(browser, live_server, personas.clinician_a, TABLET)
    page.goto(f"{live_server.url}/clinic/sessions/{session.public_id}/")
    page.screenshot(path=str(artifacts_dir / "tablet-820-run-sheet-observing.png"), full_page=True)
    clock = _top(page, "#clock-h")
    assert clock < _top(page, "#ck-h") < _top(page, "#vitals-h")
    assert clock < _top(page, "#cp-h")
    assert clock > _top(page, '[data-testid="gate-override"]')
    assert clock < 1180, "the observation clock is on the first screen"
    assert not page.locator("details.recovery-model").evaluate("el => el.open")
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.close()


@pytest.mark.parametrize("viewport", [TABLET, DESK], ids=["tablet-820", "desk-1280"])
def test_the_plan_form_shows_every_choice_whole(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any, viewport: dict[str, int]
) -> None:
    page = _login(browser, live_server, personas.clinician_a, viewport)
    page.goto(f"{live_server.url}/clinic/patients/{personas.a1.public_id}/plan/")
    page.select_option("#id_protocol_id", "iv_ketamine")
    page.screenshot(path=str(artifacts_dir / f"plan-form-{viewport['width']}.png"), full_page=True)
    # The weekdays: a row of boxes under the legend (at most two rows), never one narrow column.
    boxes = page.locator('input[name="weekdays"]')
    tops = {round(boxes.nth(i).bounding_box()["y"]) for i in range(boxes.count())}
    assert len(tops) <= 2, tops
    assert _top(page, "legend:text-is('Weekdays')") < min(tops)
    for select in ("#id_protocol_id", "#id_preset_id", "#id_maintenance_policy", "#id_hepatic_impairment"):
        assert page.locator(select).evaluate(SELECT_FITS), f"{select} cuts its choice off"
    gate = page.locator("#id_gate_override_reason").bounding_box()
    finding = page.locator("#id_finding_reason").bounding_box()
    assert gate is not None and finding is not None
    assert finding["y"] >= gate["y"] + gate["height"], "the two reasons stand one above the other"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.close()


def test_typing_a_stop_time_refreshes_the_stopping_line(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    import datetime as dt
    import zoneinfo

    from django.utils import timezone

    from ketacare.treatments import services
    from tests.support.treatments import make_session

    session = make_session(personas.a1, route="iv", state="checked_in")
    zone = zoneinfo.ZoneInfo(personas.a1.clinic.time_zone)
    start = (timezone.now() - dt.timedelta(minutes=30)).astimezone(zone).replace(second=0, microsecond=0)
    services.record_dose(
        session=session, user=personas.clinician_a, dose_mg=35, lot_number="L1", started_at=start
    )
    page = _login(browser, live_server, personas.clinician_a, TABLET)
    page.goto(f"{live_server.url}/clinic/sessions/{session.public_id}/")
    stop = start + dt.timedelta(minutes=10)
    page.locator("#end_form_ended_at").fill(stop.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#end_form_ended_at").dispatch_event("change")
    line = page.get_by_test_id("stop-preview")
    line.filter(has_text=f"Stopping at {stop:%H:%M}").wait_for()
    assert "10 of 40 min, 8.75 mg of 35 mg delivered" in line.inner_text()
    page.screenshot(path=str(artifacts_dir / "tablet-820-stop-line.png"), full_page=True)
    page.close()
