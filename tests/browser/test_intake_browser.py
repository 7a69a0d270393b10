"""Browser: a prescriber fills intake -> screening -> eligibility -> consent -> baseline on a tablet."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}  # iPad Air, portrait


def test_a_prescriber_completes_intake_screening_eligibility_and_consent_on_a_tablet(
    live_server, browser, personas, artifacts_dir
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketacare.intake.models import BaselineScore, Consent, ScreeningAssessment

    user = personas.clinician_a
    user.set_password("intake-browser-pass-2026")
    user.save()
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    page = browser.new_page(viewport=TABLET, has_touch=True)
    browser_login(page, live_server.url, user.email, "intake-browser-pass-2026")
    page.goto(f"{live_server.url}/clinic/patients/{personas.a1.public_id}/intake/")

    demographics = page.locator("#intake-demographics")
    demographics.get_by_label("Sex").select_option("female")
    demographics.get_by_label("Height (cm)").fill("168")
    demographics.get_by_label("Treatment-resistant depression").check()
    demographics.get_by_role("button", name="Save demographics").click()
    page.get_by_text("Demographics saved.").wait_for()
    page.locator("#intake-demographics").get_by_label("Weight (kg)").fill("64")
    page.locator("#intake-demographics").get_by_role("button", name="Save weight").click()
    page.get_by_text("Weight saved.").wait_for()
    assert page.locator("#intake-demographics").get_by_text("64.0 kg").is_visible()

    # Live interaction flags while typing, before anything is saved.
    page.get_by_role("textbox", name="Current medications").fill("lorazepam 1 mg at night\nsertraline 100 mg")
    flags = page.locator("#medication-flags")
    flags.get_by_text("(not saved yet)").wait_for()
    assert "Benzodiazepines" in flags.inner_text()
    page.get_by_role("button", name="Save medications").click()
    page.get_by_text("Medications saved.").wait_for()

    screening = page.locator("#intake-screening")
    screening.get_by_label("High blood pressure that is not controlled").check()
    screening.get_by_label("I asked the patient about every item on this list").check()
    screening.get_by_role("button", name="Run screening").click()
    page.get_by_role("heading", name="Result: Eligible with precautions").wait_for()
    screening = page.locator("#intake-screening")
    # Sources read by their titles; the SPRAVATO REMS form's benzodiazepine line waits for an esketamine
    # consent or plan (this patient has neither yet).
    assert "Esketamine EU SmPC precautions" in screening.inner_text()
    assert (
        "EU-SmPC" not in screening.inner_text()
        and "tick yes for Benzodiazepines" not in screening.inner_text()
    )

    screening.get_by_label("Eligible with precautions").check()
    screening.get_by_label("Note").fill("Hold lorazepam the evening before; BP before and after.")
    screening.get_by_role("button", name="Record decision").click()
    page.get_by_text("Eligibility decision recorded.").wait_for()

    consent = page.locator("#intake-consent")
    consent.get_by_label("Consent document version").fill("KC-2026.1")
    # The date written on the signed form (two days back: before the clinic's today in any zone).
    consent.get_by_label("Signed on").fill(
        (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).date().isoformat()
    )
    consent.get_by_label(re.compile("I have seen the consent form signed")).check()
    consent.get_by_role("button", name="Record consent").click()
    page.get_by_text("Consent recorded.").wait_for()

    # A baseline PHQ-9 entered by staff, scored by the core.
    items = page.locator("#intake-baseline form").first.locator("fieldset")
    for index in range(9):
        items.nth(index).get_by_label("Not at all" if index == 8 else "Several days").check()
    page.get_by_role("button", name="Save PHQ-9").click()
    page.get_by_text("total 8").wait_for()

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], f"the intake page scrolls sideways on a tablet ({width}px)"
    page.screenshot(path=str(artifacts_dir / "intake-tablet-screening-consent.png"), full_page=True)
    page.close()

    assessment = ScreeningAssessment.objects.get(status="current")
    assert assessment.decision == "eligible_with_precautions" and assessment.decided_by == user
    assert Consent.objects.get().document_version == "KC-2026.1"
    assert BaselineScore.objects.get().total == 8
