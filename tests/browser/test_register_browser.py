"""Browser: the controlled-drug register from delivery to inspection.

A prescriber receives a box of vials, runs an IV session drawing one vial, wastes the remainder with a
nurse as witness (naming themself as witness is refused), counts the safe blind at the end of the day
with one vial short; the administrator finds the alert in the clinic's alerts inbox, acknowledges it,
writes the investigation note in the register (which resolves the alert) and downloads the register
extract, whose text is read with pdftotext (pypdf where poppler is not installed).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zoneinfo

import pytest

from conftest import browser_login, make_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET = {"width": 1024, "height": 768}
PASSWORD = "register-browser-2026"


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
    page.wait_for_timeout(200)


def _pdf_text(path: str) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(  # noqa: S603 - a fixed tool on a file this test wrote
            ["pdftotext", path, "-"], check=True, capture_output=True, text=True
        ).stdout
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_receive_dose_witnessed_waste_blind_count_alert_and_extract(live_server, browser, artifacts_dir):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketacare.register import services
    from ketacare.register.models import Discrepancy, Entry
    from tests.support.register import add_nurse, totp_now
    from tests.support.treatments import make_session, skip_questionnaires_on_the_page

    personas = make_personas()
    for user in (personas.clinician_a, personas.admin_a):
        user.set_password(PASSWORD)
        user.save()
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    nurse = add_nurse(personas.clinic_a)
    services.configure_register(clinic=personas.clinic_a, user=personas.admin_a, jurisdiction="us")
    services.add_location(clinic=personas.clinic_a, user=personas.admin_a, name="Safe 1")
    services.add_product(
        clinic=personas.clinic_a,
        user=personas.admin_a,
        kind="ketamine_vial",
        concentration_mg_per_ml="50",
        volume_ml="10",
    )

    page = browser.new_page(viewport=TABLET, has_touch=True)
    browser_login(page, live_server.url, personas.clinician_a.email, PASSWORD)

    # 1. Receive a box of 5 vials.
    page.goto(f"{live_server.url}/clinic/register/receive/")
    page.get_by_label("Lot number").fill("KET-2026-A")
    page.get_by_label("Expiry date").fill(
        (dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=400)).isoformat()
    )
    page.get_by_label("Quantity (vials or devices)").fill("5")
    page.get_by_label("Supplier").fill("Example Wholesale Ltd")
    page.get_by_label("Invoice or order-form number").fill("INV-77812")
    page.get_by_role("button", name="Record the delivery").click()
    page.wait_for_load_state()
    assert "5 vials (2,500 mg)" in page.locator("main").inner_text()
    page.screenshot(path=str(artifacts_dir / "register-1-received.png"), full_page=True)

    # 2. An IV session draws one vial and records the dose from it.
    session = make_session(personas.a1, route="iv", state="scheduled")
    page.goto(f"{live_server.url}/clinic/sessions/{session.public_id}/")
    page.locator("#checkin_form_weight_kg").fill("70")
    page.locator("#checkin_form_fasting_confirmed").check()
    page.locator("#checkin_form_ride_home_confirmed").check()
    page.locator("#checkin_form_checked_in_at").fill(_local(150))
    _submit(page, "Check in")
    # The questionnaires due before this session's dose are marked "Not done today" with a reason.
    skip_questionnaires_on_the_page(page)
    page.locator("#vitals_form_measured_at").fill(_local(145))
    page.locator("#vitals_form_systolic_mmhg").fill("122")
    page.locator("#vitals_form_diastolic_mmhg").fill("78")
    page.locator("#vitals_form_heart_rate_bpm").fill("72")
    page.locator("#vitals_form_spo2_pct").fill("98")
    _submit(page, "Record vital signs")
    panel = page.get_by_test_id("controlled-drugs")
    panel.get_by_label("Vials or devices drawn").fill("1")
    _submit(page, "Draw from the safe")
    assert "500 mg" in page.get_by_test_id("controlled-drugs").inner_text()
    page.locator("#dose_form_dose_mg").fill("35")
    page.locator("#dose_form_lot_number").fill("KET-2026-A")
    page.locator("#dose_form_started_at").fill(_local(140))
    page.locator("#dose_form_ended_at").fill(_local(100))
    _submit(page, "Record dose")
    page.wait_for_function("document.querySelector('[data-testid=controlled-drugs] table') !== null")
    assert "35 mg" in page.get_by_test_id("controlled-drugs").inner_text()
    assert "465 mg" in page.get_by_test_id("controlled-drugs").inner_text()

    # 3. Waste the remainder: naming oneself as witness is refused, the nurse's own credentials pass.
    panel = page.get_by_test_id("controlled-drugs")
    panel.get_by_label("Witness e-mail").fill(personas.clinician_a.email)
    panel.get_by_label("Witness password").fill(PASSWORD)
    panel.get_by_label("Witness authenticator code").fill(totp_now(personas.clinician_a))
    _submit(page, "Close the draw")
    assert "another person than the one recording" in page.get_by_test_id("controlled-drugs").inner_text()
    assert not Entry.objects.filter(kind="waste").exists()
    page.screenshot(path=str(artifacts_dir / "register-2-same-witness-refused.png"), full_page=True)
    panel = page.get_by_test_id("controlled-drugs")
    panel.get_by_label("Witness e-mail").fill(nurse.email)
    panel.get_by_label("Witness password").fill("witness-Pass-1")
    panel.get_by_label("Witness authenticator code").fill(totp_now(nurse))
    _submit(page, "Close the draw")
    assert "accounted for" in page.get_by_test_id("controlled-drugs").inner_text()
    waste = Entry.objects.get(kind="waste")
    assert waste.witness == nurse and waste.change_mg == -465
    page.screenshot(path=str(artifacts_dir / "register-3-wasted.png"), full_page=True)

    # 4. End-of-day blind count, one vial short: the form never shows the expected balance.
    page.goto(f"{live_server.url}/clinic/register/count/")
    form_text = page.get_by_test_id("blind-count").inner_text()
    assert "2000" not in form_text and "expected" not in form_text.lower()
    page.get_by_test_id("blind-count").locator("select[name=kind]").select_option(label="End of day")
    page.get_by_label("vials counted").fill("3")
    _submit(page, "Submit the count")
    difference = page.get_by_test_id("count-difference")
    assert "-500 mg" in difference.inner_text()
    page.screenshot(path=str(artifacts_dir / "register-4-count-difference.png"), full_page=True)
    page.close()

    # 5. The administrator finds the alert in the clinic's alerts inbox, follows it to the register,
    # records the investigation (which resolves the alert) and downloads the extract.
    admin = browser.new_page(viewport=TABLET)
    browser_login(admin, live_server.url, personas.admin_a.email, PASSWORD)
    admin.goto(f"{live_server.url}/clinic/alerts/")
    row = admin.locator("table.alerts-inbox tbody tr", has_text="Count difference of -500 mg")
    assert "lot KET-2026-A, Safe 1" in row.inner_text() and "The clinic (no patient)" in row.inner_text()
    assert "Urgent" in row.inner_text()
    assert admin.locator(".nav-alerts .badge").inner_text().strip() == "1"
    row.get_by_label("Note (required)").fill("Checking the sharps bin and today's run-sheets.")
    row.get_by_role("button", name="Acknowledge").click()
    admin.wait_for_load_state()
    row = admin.locator("table.alerts-inbox tbody tr", has_text="Count difference of -500 mg")
    assert "Acknowledged" in row.inner_text() and row.get_by_role("button", name="Resolve").count() == 0
    admin.screenshot(path=str(artifacts_dir / "register-5-alert-in-inbox.png"), full_page=True)
    row.get_by_role("link", name="the investigation note in the controlled-drug register").click()
    admin.wait_for_load_state()
    alert = admin.get_by_test_id("register-alert")
    assert "difference -500 mg" in alert.inner_text()
    alert.get_by_label("Investigation note").fill(
        "Vial found broken in the sharps bin; reported to the pharmacist."
    )
    admin.get_by_role("button", name="Record the investigation").click()
    admin.wait_for_load_state()
    assert admin.get_by_test_id("register-alert").count() == 0
    assert Discrepancy.objects.get().state == "investigated"
    admin.goto(f"{live_server.url}/clinic/alerts/")
    assert "Count difference" not in admin.locator("main").inner_text()
    admin.goto(f"{live_server.url}/clinic/alerts/?state=resolved")
    row = admin.locator("table.alerts-inbox tbody tr", has_text="Count difference of -500 mg")
    assert "Resolved" in row.inner_text()
    row.get_by_role("link", name="Count difference of -500 mg").click()
    admin.wait_for_load_state()
    detail = admin.locator("main").inner_text()
    assert "Vial found broken in the sharps bin" in detail and "End of day count" in detail
    admin.goto(f"{live_server.url}/clinic/register/reports/")
    with admin.expect_download() as download_info:
        admin.get_by_role("button", name="Register extract (PDF)").click()
    path = str(artifacts_dir / "register-extract.pdf")
    download_info.value.save_as(path)
    # Cells wrap inside their column: read the words in order.
    text = " ".join(_pdf_text(path).split())
    assert "Controlled-drug register extract" in text
    for expected in (
        "KET-2026-A",
        "Received",
        "Administered",
        "Wasted (witnessed)",
        "Counted",
        "Nurse A",
        "-465",
    ):
        assert expected in text, f"{expected!r} missing from the extract"
    assert "Alice CanaryA1" not in text  # initials and record number only
    admin.close()
