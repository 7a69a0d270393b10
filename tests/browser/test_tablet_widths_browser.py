"""Browser (tablet, 820x1180 portrait): the clinic's wide pages fit the screen without sideways scrolling.

The alerts inbox, the controlled-drug register's entries and the audit report are read on a tablet at
the chair or the desk: the page itself must not be wider than the screen (a table may scroll inside its
own box), and an open alert's note box and Acknowledge button must be on screen, not off to the right.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import browser_login
from ketacare.alerts.models import Alert
from ketacare.alerts.tests.helpers import make_alert

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET_PORTRAIT = {"width": 820, "height": 1180}
PASSWORD = "tablet-widths-2026"


def _seed(personas: Any) -> None:
    """Open alerts with long titles and notes, register entries with a long detail, patient reads."""
    from tests.support.register import receive, start_register

    make_alert(
        personas.a1,
        severity="emergency",
        source="patient_message",
        title="Red flag in a message: Thoughts of suicide with a plan or intent, written late at night",
    )
    make_alert(
        personas.a2,
        severity="urgent",
        source="red_flag_checkin",
        title="Red flag in check-in: Pain or blood when passing urine after the last session",
    )
    make_alert(
        personas.a1,
        severity="contact_clinic",
        source="worsening_trend",
        title="Worsening on PHQ-9 over the last three scores against baseline",
        state=Alert.State.ACKNOWLEDGED,
        note="Called the patient on their mobile; left a message with the emergency contact as well.",
    )
    location, product = start_register(personas)
    receive(personas, product, location, units=5, lot_number="KET-2026-LONG-LOT-NUMBER-0001")


def _login(page: Any, live_server: Any, user: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user.set_password(PASSWORD)
    user.save()
    TOTPDevice.objects.get_or_create(user=user, defaults={"name": "browser", "confirmed": True})
    browser_login(page, live_server.url, user.email, PASSWORD)


def _page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/clinic/alerts/", "alerts-inbox"),
        ("/clinic/register/ledger/", "register-ledger"),
        ("/clinic/audit/", "audit-report"),
    ],
)
def test_a_clinic_page_fits_a_tablet_in_portrait(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any, path: str, name: str
) -> None:
    _seed(personas)
    page = browser.new_page(viewport=TABLET_PORTRAIT, has_touch=True)
    _login(page, live_server, personas.admin_a)
    # Reads of patient records first, so the audit report has rows of every width.
    for patient in (personas.a1, personas.a2):
        page.goto(f"{live_server.url}/clinic/patients/{patient.public_id}/")
    page.goto(f"{live_server.url}{path}")
    page.screenshot(path=str(artifacts_dir / f"tablet-820-{name}.png"), full_page=True)
    width = _page_width(page)
    assert width <= TABLET_PORTRAIT["width"], f"{path} is {width}px wide on an 820px tablet"
    page.close()


def test_the_inbox_acknowledge_form_is_on_a_tablet_screen_and_works(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    _seed(personas)
    page = browser.new_page(viewport=TABLET_PORTRAIT, has_touch=True)
    _login(page, live_server, personas.clinician_a)
    page.goto(f"{live_server.url}/clinic/alerts/")
    row = page.locator("table.alerts-inbox tbody tr").first
    note = row.get_by_label("Note (required)")
    button = row.get_by_role("button", name="Acknowledge")
    for element in (note, button):
        box = element.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= TABLET_PORTRAIT["width"], box
    assert button.is_visible()
    assert _page_width(page) <= TABLET_PORTRAIT["width"]
    note.fill("Called the patient: safe, seen in clinic today.")
    button.click()
    page.wait_for_load_state()
    assert "Acknowledged: Red flag in a message" in page.content()
    page.screenshot(path=str(artifacts_dir / "tablet-820-alerts-acknowledged.png"), full_page=True)
    assert Alert.objects.filter(state=Alert.State.ACKNOWLEDGED).count() == 2
    page.close()
