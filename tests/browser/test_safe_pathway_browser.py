"""Browser: no one plans or doses around a missing step (docs/decisions/0013).

A nurse finds an unscreened patient blocked (every missing step named, with links); the prescriber
completes screening, decision and consent and plans; a 182/112 pre-dose reading holds dosing and the
prescriber's alert is in the inbox on the next page load; the prescriber overrides with a reason;
dosing proceeds; stopping the infusion at once asks for a reason and records the delivered dose.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest

from conftest import browser_login, make_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET = {"width": 1024, "height": 768}
PASSWORD = "safe-pathway-browser-2026"


def _login(browser, live_server, user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user.set_password(PASSWORD)
    user.save()
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    context = browser.new_context(viewport=TABLET, has_touch=True)
    page = context.new_page()
    browser_login(page, live_server.url, user.email, PASSWORD)
    return page


def _submit(page, button: str) -> None:
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    page.wait_for_timeout(150)


def _soon_local() -> str:
    zone = zoneinfo.ZoneInfo("America/New_York")  # Clinic A
    return (dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=2)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def test_no_one_plans_or_doses_around_a_missing_step(live_server, browser, artifacts_dir):
    from ketacare.alerts.models import Alert
    from ketacare.treatments.models import DoseAdministration, TreatmentPlan
    from tests.support.pathway import make_nurse
    from tests.support.treatments import skip_questionnaires_on_the_page

    personas = make_personas()
    patient = personas.a1
    nurse = _login(browser, live_server, make_nurse(personas.clinic_a))
    prescriber = _login(browser, live_server, personas.clinician_a)
    plan_url = f"{live_server.url}/clinic/patients/{patient.public_id}/plan/"

    # 1. The nurse: the unscreened patient cannot be planned; every missing step is named with a link.
    nurse.goto(plan_url)
    gate = nurse.get_by_test_id("plan-gate")
    iv = gate.locator('[data-route="iv"]')
    for text in ("No completed screening", "No prescriber eligibility decision", "No valid consent covers"):
        assert text in iv.inner_text()
    assert iv.get_by_role("link", name="Go to consent").is_visible()
    assert nurse.get_by_test_id("prescriber-only").is_visible()
    nurse.screenshot(path=str(artifacts_dir / "safe-pathway-1-nurse-blocked.png"), full_page=True)
    assert not TreatmentPlan.objects.exists()

    # 2. The prescriber completes the missing steps on the intake page, then plans.
    prescriber.goto(plan_url)
    prescriber.locator('[data-route="iv"]').get_by_role("link", name="Go to screening").first.click()
    prescriber.wait_for_load_state()
    prescriber.locator("#intake-medications").get_by_label("Takes no medicines").check()
    prescriber.get_by_role("button", name="Save medications").click()
    prescriber.get_by_text("Medications saved.").wait_for()
    screening = prescriber.locator("#intake-screening")
    screening.get_by_label("I asked the patient about every item on this list").check()
    screening.get_by_role("button", name="Run screening").click()
    prescriber.get_by_role("heading", name="Result: Eligible").wait_for()
    screening = prescriber.locator("#intake-screening")
    screening.get_by_label("Eligible", exact=True).check()
    screening.get_by_role("button", name="Record decision").click()
    prescriber.get_by_text("Eligibility decision recorded.").wait_for()
    consent = prescriber.locator("#intake-consent")
    consent.get_by_label("Consent document version").fill("KC-2026.1")
    # The date written on the signed form (two days back: before the clinic's today in any zone).
    consent.get_by_label("Signed on").fill(
        (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).date().isoformat()
    )
    consent.get_by_label(re.compile("I have seen the consent form signed")).check()
    consent.get_by_label("Intravenous infusion (racemic ketamine)").check()
    consent.get_by_role("button", name="Record consent").click()
    prescriber.get_by_text("Consent recorded.").wait_for()
    prescriber.goto(plan_url)
    assert "ready to plan" in prescriber.locator('[data-route="iv"]').inner_text()
    prescriber.get_by_label("Protocol").select_option("iv_ketamine")
    prescriber.get_by_label("First session (clinic time)").fill(_soon_local())
    prescriber.get_by_label("Weight (kg)").fill("70")
    _submit(prescriber, "Create plan and appointments")
    prescriber.get_by_text("Treatment plan created.").wait_for()
    prescriber.screenshot(path=str(artifacts_dir / "safe-pathway-2-plan-created.png"), full_page=True)
    session = TreatmentPlan.objects.get(patient=patient).sessions.order_by("scheduled_at").first()

    # 3. The nurse checks in and measures 182/112: dosing holds, with the reasons on the run-sheet.
    nurse.goto(f"{live_server.url}/clinic/sessions/{session.public_id}/")
    nurse.locator("#checkin_form_weight_kg").fill("70")
    nurse.locator("#checkin_form_fasting_confirmed").check()
    nurse.locator("#checkin_form_ride_home_confirmed").check()
    _submit(nurse, "Check in")
    nurse.locator("#vitals_form_systolic_mmhg").fill("182")
    nurse.locator("#vitals_form_diastolic_mmhg").fill("112")
    nurse.locator("#vitals_form_heart_rate_bpm").fill("80")
    nurse.locator("#vitals_form_spo2_pct").fill("98")
    _submit(nurse, "Record vital signs")
    holds = nurse.get_by_test_id("dose-holds")
    assert "182" in holds.inner_text() and "112" in holds.inner_text()
    assert nurse.get_by_role("button", name="Record dose").count() == 0
    nurse.screenshot(path=str(artifacts_dir / "safe-pathway-3-hold.png"), full_page=True)

    # 4. The prescriber's inbox already has the alert (raised in the nurse's request).
    assert Alert.objects.filter(patient=patient, source="dosing_hold", severity="urgent").exists()
    prescriber.goto(f"{live_server.url}/clinic/alerts/")
    assert "Dosing on hold" in prescriber.content()
    prescriber.screenshot(path=str(artifacts_dir / "safe-pathway-4-inbox-alert.png"), full_page=True)

    # 5. The prescriber overrides with a reason on the run-sheet.
    prescriber.goto(f"{live_server.url}/clinic/sessions/{session.public_id}/")
    prescriber.locator("#hold_form_hold_override_reason").fill(
        "Repeat 158/94 after rest; benefit outweighs risk"
    )
    _submit(prescriber, "Override these holds")
    assert prescriber.get_by_test_id("hold-override").is_visible()

    # 6. Dosing proceeds; stopping at once asks for a reason and records what was delivered.
    nurse.goto(f"{live_server.url}/clinic/sessions/{session.public_id}/")
    skip_questionnaires_on_the_page(nurse)
    nurse.locator("#dose_form_dose_mg").fill("35")
    nurse.locator("#dose_form_lot_number").fill("LOT-IV-9")
    _submit(nurse, "Record dose")
    nurse.wait_for_timeout(1500)
    nurse.reload()
    preview = nurse.get_by_test_id("stop-preview")
    assert "of 35 mg delivered" in preview.inner_text() and "needs a reason" in preview.inner_text()
    _submit(nurse, "Stop infusion")
    assert "Give a reason to stop the infusion early" in nurse.content()
    nurse.screenshot(path=str(artifacts_dir / "safe-pathway-5-early-stop-asks-reason.png"), full_page=True)
    nurse.locator("#end_form_reason").fill("Patient asked to stop: anxiety")
    _submit(nurse, "Stop infusion")
    dose = DoseAdministration.objects.get(session=session)
    assert dose.planned_dose_mg == 35 and dose.dose_mg < 2 and dose.early_stop_reason
    assert "Stopped early" in nurse.content() and "Patient asked to stop: anxiety" in nurse.content()
    nurse.screenshot(path=str(artifacts_dir / "safe-pathway-6-delivered-dose.png"), full_page=True)
