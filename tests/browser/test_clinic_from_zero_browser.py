"""Browser: a real clinic from an empty database, with no demo data and no shell after `ketacare setup`.

The administrator logs in and enrols TOTP (the key read from the page), invites a prescriber and a
nurse who accept their invitations (links read from the test mail outbox), the nurse registers a
patient and sends the invitation, the prescriber completes intake, screening, eligibility, consent
and a plan, the nurse runs and discharges an IV session, and the patient accepts the invitation on a
phone and submits a first check-in that the clinic sees. Screenshots of each step: artifacts/zero-*.png.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest
from django.core import mail

from tests.support.clock import zone_at_midday
from tests.support.mail import MAIL_SERVER
from tests.support.treatments import skip_questionnaires_on_the_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1280, "height": 900}
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
ADMIN_PASSWORD = "sunlit harbour keeps watch 2026"  # noqa: S105 - test data only
PRESCRIBER_PASSWORD = "prescriber chooses a sentence"  # noqa: S105 - test data only
NURSE_PASSWORD = "nurse chooses her own sentence"  # noqa: S105 - test data only
PATIENT_PASSWORD = "patient password 7"  # noqa: S105 - test data only
# The clinic's zone is one where it is mid-day now, so the walk's three hours of session history fall
# on today's date there whatever time CI runs (tests/support/clock.py).
ZONE_NAME = zone_at_midday()
ZONE = zoneinfo.ZoneInfo(ZONE_NAME)


class Shots:
    """Numbered screenshots in artifacts/, one per step."""

    def __init__(self, folder: Any) -> None:
        self.folder = folder
        self.count = 0

    def __call__(self, page: Any, name: str) -> None:
        self.count += 1
        width = page.evaluate("document.documentElement.scrollWidth")
        viewport = page.viewport_size["width"]
        assert width <= viewport, f"{name}: the page scrolls sideways ({width}px > {viewport}px)"
        page.screenshot(path=str(self.folder / f"zero-{self.count:02d}-{name}.png"), full_page=True)


def _link_to(address: str, subject: str) -> str:
    messages = [m for m in mail.outbox if m.to == [address] and m.subject == subject]
    assert messages, f"no '{subject}' e-mail to {address}: {[(m.to, m.subject) for m in mail.outbox]}"
    match = re.search(r"https?://\S+", messages[-1].body)
    assert match
    return match.group(0)


def _code_from_page(page: Any) -> str:
    """The six-digit code an authenticator app would show for the key printed on the enrolment page."""
    from django_otp.oath import TOTP

    key = page.locator("main code").first.inner_text().strip()
    return f"{TOTP(base64.b32decode(key)).token():06d}"


def _enrol(page: Any, shots: Shots, who: str) -> None:
    page.get_by_role("heading", name="Set up your authenticator app").wait_for()
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    shots(page, f"{who}-enrol-totp")
    page.get_by_label("Six-digit code").fill(_code_from_page(page))
    page.get_by_role("button", name="Verify").click()
    page.get_by_test_id("recovery-codes").wait_for()
    assert page.locator('[data-testid="recovery-codes"] li').count() == 10
    shots(page, f"{who}-recovery-codes")
    page.get_by_role("link", name="I have saved them — continue").click()
    page.wait_for_load_state()


def _accept_staff_invitation(
    browser: Any, link: str, name: str, password: str, shots: Shots, who: str
) -> Any:
    page = browser.new_page(viewport=DESK)
    page.goto(link)
    page.get_by_role("heading", name="Join Bright Path Boston").wait_for()
    page.get_by_label("Your full name").fill(name)
    page.get_by_label("Choose a password").fill(password)
    page.get_by_label("Password again").fill(password)
    shots(page, f"{who}-accepts-invitation")
    page.get_by_role("button", name="Set my password").click()
    page.get_by_role("link", name="Set up my authenticator app").click()
    _enrol(page, shots, who)
    return page


def _local(minutes_ago: int) -> str:
    return (
        (dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=minutes_ago))
        .astimezone(ZONE)
        .strftime("%Y-%m-%dT%H:%M")
    )


def _submit(page: Any, button: str) -> None:
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name=button).click()
    page.wait_for_timeout(150)


def _vitals(page: Any, minutes_ago: int, systolic: int, diastolic: int) -> None:
    page.locator("#vitals_form_measured_at").fill(_local(minutes_ago))
    page.locator("#vitals_form_systolic_mmhg").fill(str(systolic))
    page.locator("#vitals_form_diastolic_mmhg").fill(str(diastolic))
    page.locator("#vitals_form_heart_rate_bpm").fill("72")
    page.locator("#vitals_form_spo2_pct").fill("98")
    _submit(page, "Record vital signs")


def test_a_clinic_sets_itself_up_from_an_empty_database(
    live_server, browser, artifacts_dir, settings, monkeypatch, tmp_path
):
    from typer.testing import CliRunner

    from ketacare import cli
    from ketacare.accounts.models import User
    from ketacare.checkins.models import SymptomCheckin
    from ketacare.clinics.models import Clinic
    from ketacare.patients.models import Patient
    from ketacare.treatments.models import TreatmentSession

    assert not Clinic.objects.exists() and not User.objects.exists() and not Patient.objects.exists()
    settings.PUBLIC_BASE_URL = live_server.url  # the e-mailed links point at this server
    settings.PUBLIC_BASE_URL_FILE = (
        tmp_path / "base_url"
    )  # setup saves --base-url: not in the shared data dir
    settings.EMAIL_BACKEND = MAIL_SERVER  # e-mail is set up: invitations are sent, read from the test outbox
    mail.outbox = []
    shots = Shots(artifacts_dir)

    # 1. The first run: `ketacare setup`, non-interactive, the password from the environment.
    if not any(c.name == "setup" for c in cli.app.registered_commands):
        cli._register_subcommands()
    monkeypatch.setenv("KETACARE_SETUP_ADMIN_PASSWORD", ADMIN_PASSWORD)
    result = CliRunner().invoke(
        cli.app,
        [
            "setup", "--no-input", "--no-migrate", "--base-url", live_server.url,
            "--organisation", "Bright Path Health", "--clinic", "Bright Path Boston",
            "--time-zone", ZONE_NAME, "--phone", "+1 617 555 0100",
            "--hours", "Mon-Fri 08:00-18:00", "--admin-name", "Ada Admin", "--admin-email", "ada@brightpath.example",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Log in at {live_server.url}/accounts/login/" in result.output

    # 2. The administrator logs in and enrols TOTP.
    admin = browser.new_page(viewport=DESK)
    admin.goto(f"{live_server.url}/accounts/login/")
    admin.get_by_label("E-mail").fill("ada@brightpath.example")
    admin.get_by_label("Password").fill(ADMIN_PASSWORD)
    shots(admin, "admin-login")
    admin.get_by_role("button", name="Log in").click()
    _enrol(admin, shots, "admin")
    admin.get_by_text("No patients yet at this clinic.").wait_for()
    shots(admin, "admin-empty-patient-list")

    # 3. The administrator sets what patients are told, then invites a prescriber and a nurse.
    admin.get_by_role("link", name="Clinic settings").click()
    admin.get_by_label("After-hours phone").fill("+1 617 555 0199")
    admin.get_by_label("Fasting instructions for patients").fill("No food for 6 hours before an infusion.")
    admin.get_by_role("button", name="Save settings").click()
    admin.get_by_text("Clinic settings saved.").wait_for()
    shots(admin, "admin-clinic-settings")
    for email, name, role in (
        ("pat.prescriber@brightpath.example", "Pat Prescriber", "Prescriber"),
        ("nina.nurse@brightpath.example", "Nina Nurse", "Nurse"),
    ):
        admin.get_by_role("link", name="Staff", exact=True).click()
        admin.get_by_role("link", name="Invite staff").click()
        admin.get_by_label("E-mail").fill(email)
        admin.get_by_label("Full name").fill(name)
        admin.get_by_label("Role").select_option(label=role)
        assert admin.get_by_label("Bright Path Boston").is_checked()
        admin.get_by_role("button", name="Send the invitation").click()
        admin.get_by_text(f"Invitation sent to {email}").wait_for()
    shots(admin, "admin-staff-invitations-pending")

    # 4. The prescriber and the nurse accept their invitations (links from the mail outbox).
    prescriber = _accept_staff_invitation(
        browser, _link_to("pat.prescriber@brightpath.example", "Your KetaCare staff invitation"),
        "Pat Prescriber", PRESCRIBER_PASSWORD, shots, "prescriber",
    )  # fmt: skip
    nurse = _accept_staff_invitation(
        browser, _link_to("nina.nurse@brightpath.example", "Your KetaCare staff invitation"),
        "Nina Nurse", NURSE_PASSWORD, shots, "nurse",
    )  # fmt: skip
    admin.reload()
    assert admin.get_by_text("No open invitations.").is_visible()
    shots(admin, "admin-staff-list")

    # 5. The nurse registers a patient (who lands in intake) and sends the invitation.
    nurse.get_by_role("link", name="Patients", exact=True).click()
    nurse.get_by_role("link", name="New patient").click()
    nurse.get_by_label("Full name").fill("Sam Rivera")
    nurse.get_by_label("Preferred name").fill("Sam")
    nurse.get_by_label("Date of birth").fill("1986-04-12")
    nurse.get_by_label("Sex").select_option("female")
    nurse.get_by_label("E-mail").fill("sam.rivera@mail.example")
    nurse.locator("#id_phone").fill("+1 617 555 0123")
    nurse.get_by_label("Emergency contact name").fill("Alex Rivera")
    nurse.get_by_label("Emergency contact phone").fill("+1 617 555 0124")
    assert nurse.get_by_label("Time zone").input_value() == ZONE_NAME
    shots(nurse, "nurse-registers-patient")
    nurse.get_by_role("button", name="Register patient").click()
    nurse.get_by_text("Sam Rivera is registered. Intake comes next.").wait_for()
    assert "/intake/" in nurse.url
    shots(nurse, "nurse-patient-lands-in-intake")
    patient = Patient.objects.get(full_name="Sam Rivera")
    nurse.goto(f"{live_server.url}/clinic/patients/{patient.public_id}/")
    nurse.get_by_role("button", name="Invite to the patient app").click()
    nurse.get_by_test_id("invitation-status").get_by_text("Sent, not yet accepted").wait_for()
    shots(nurse, "nurse-invitation-sent")

    # 6. The prescriber completes intake, screening, eligibility and consent, then a plan.
    prescriber.set_viewport_size(TABLET)
    prescriber.goto(f"{live_server.url}/clinic/patients/{patient.public_id}/intake/")
    demographics = prescriber.locator("#intake-demographics")
    demographics.get_by_label("Sex").select_option("female")
    demographics.get_by_label("Height (cm)").fill("168")
    demographics.get_by_label("Treatment-resistant depression").check()
    demographics.get_by_role("button", name="Save demographics").click()
    prescriber.get_by_text("Demographics saved.").wait_for()
    prescriber.locator("#intake-demographics").get_by_label("Weight (kg)").fill("70")
    prescriber.locator("#intake-demographics").get_by_role("button", name="Save weight").click()
    prescriber.get_by_text("Weight saved.").wait_for()
    prescriber.get_by_role("textbox", name="Current medications").fill("sertraline 100 mg")
    prescriber.get_by_role("button", name="Save medications").click()
    prescriber.get_by_text("Medications saved.").wait_for()
    screening = prescriber.locator("#intake-screening")
    screening.get_by_label("I asked the patient about every item on this list").check()
    screening.get_by_role("button", name="Run screening").click()
    prescriber.get_by_role("heading", name=re.compile(r"Result: Eligible")).wait_for()
    screening = prescriber.locator("#intake-screening")
    screening.get_by_label("Eligible", exact=True).check()
    screening.get_by_label("Note").fill("No contraindications; BP normal at intake.")
    screening.get_by_role("button", name="Record decision").click()
    prescriber.get_by_text("Eligibility decision recorded.").wait_for()
    consent = prescriber.locator("#intake-consent")
    consent.get_by_label("Consent document version").fill("BP-2026.1")
    # The date written on the signed form (two days back: before the clinic's today in any zone).
    consent.get_by_label("Signed on").fill(
        (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).date().isoformat()
    )
    consent.get_by_label(re.compile("I have seen the consent form signed")).check()
    consent.get_by_label("Intravenous infusion (racemic ketamine)").check()
    consent.get_by_role("button", name="Record consent").click()
    prescriber.get_by_text("Consent recorded.").wait_for()
    shots(prescriber, "prescriber-intake-screening-consent")
    prescriber.goto(f"{live_server.url}/clinic/patients/{patient.public_id}/plan/")
    prescriber.get_by_label("Protocol").select_option("iv_ketamine")
    prescriber.get_by_label("Schedule preset").select_option("3_per_week_2_weeks")
    prescriber.get_by_label("First session (clinic time)").fill(_local(170))
    prescriber.get_by_label("Weight (kg)").fill("70")
    # The walk runs at any hour and day: a course that reaches past the Mon-Fri hours is confirmed.
    prescriber.get_by_label("Book outside opening hours anyway").check()
    prescriber.get_by_role("button", name="Create plan and appointments").click()
    prescriber.get_by_role("heading", name="Appointments").wait_for()
    shots(prescriber, "prescriber-treatment-plan")

    # 7. The nurse runs and discharges the first IV session.
    nurse.set_viewport_size(TABLET)
    nurse.goto(f"{live_server.url}/clinic/patients/{patient.public_id}/plan/")
    nurse.get_by_role("link", name="Open", exact=True).first.click()
    nurse.wait_for_load_state()
    nurse.locator("#checkin_form_weight_kg").fill("70")
    nurse.locator("#checkin_form_fasting_confirmed").check()
    nurse.locator("#checkin_form_ride_home_confirmed").check()
    nurse.locator("#checkin_form_checked_in_at").fill(_local(160))
    _submit(nurse, "Check in")
    assert nurse.get_by_test_id("session-state").inner_text() == "Checked in"
    # The first session's PHQ-9 and GAD-7 are due before the dose: the dose waits until each is entered
    # or marked "Not done today" with a reason.
    skip_questionnaires_on_the_page(nurse)
    _vitals(nurse, 155, 122, 78)
    nurse.locator("#dose_form_dose_mg").fill("35")
    nurse.locator("#dose_form_lot_number").fill("LOT-BP-1")
    nurse.locator("#dose_form_started_at").fill(_local(150))
    nurse.locator("#dose_form_ended_at").fill(_local(110))
    _submit(nurse, "Record dose")
    _vitals(nurse, 120, 134, 86)
    # The rest of the run-sheet's checks, each at its time: every 15 min during and after the infusion.
    for minutes_ago in (135, 110, 95, 80, 65):
        _vitals(nurse, minutes_ago, 126, 80)
    _vitals(nurse, 6, 124, 80)
    nurse.locator("#observation_form_observed_at").fill(_local(5))
    nurse.locator("#observation_form_moaas_score").select_option("5")
    nurse.locator("#observation_form_dissociation").select_option("none")
    _submit(nurse, "Record observation")
    shots(nurse, "nurse-run-sheet-observing")
    nurse.locator("#discharge_form_ride_present").check()
    nurse.locator("#discharge_form_instructions_given").check()
    _submit(nurse, "Discharge")
    assert nurse.get_by_test_id("session-state").inner_text() == "Discharged"
    shots(nurse, "nurse-session-discharged")
    assert TreatmentSession.objects.get(state="discharged").patient_id == patient.pk

    # 8. The patient accepts the invitation on a phone and sends a first check-in.
    phone = browser.new_page(viewport=PHONE, has_touch=True, is_mobile=True)
    phone.goto(_link_to("sam.rivera@mail.example", "Bright Path Boston: set up your KetaCare account"))
    phone.get_by_role("heading", name="Set up your account").wait_for()
    shots(phone, "patient-phone-invitation")
    phone.get_by_label("New password", exact=True).fill(PATIENT_PASSWORD)
    phone.get_by_label("New password again").fill(PATIENT_PASSWORD)
    phone.get_by_role("button", name="Create my account").click()
    phone.get_by_role("heading", name="Your account is ready").wait_for()
    shots(phone, "patient-phone-account-ready")
    phone.goto(f"{live_server.url}/me/clinic/")
    assert phone.get_by_test_id("fasting").inner_text() == "No food for 6 hours before an infusion."
    shots(phone, "patient-phone-my-clinic")
    phone.goto(f"{live_server.url}/me/checkin/")
    # The optional parts of the form may sit in closed <details>; open them as a person would.
    phone.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    phone.locator("#id_mood").fill("7")
    phone.locator("#id_note").fill("Tired this evening, otherwise fine.")
    shots(phone, "patient-phone-checkin")
    phone.get_by_role("button", name="Send check-in").click()
    phone.wait_for_load_state()
    shots(phone, "patient-phone-checkin-answer")
    checkin = SymptomCheckin.objects.get(patient=patient)
    assert checkin.mood_0_10 == 7

    # 9. The clinic sees it.
    nurse.goto(f"{live_server.url}/clinic/patients/{patient.public_id}/checkins/")
    nurse.get_by_text("Tired this evening, otherwise fine.").wait_for()
    shots(nurse, "nurse-sees-the-checkin")
    nurse.goto(f"{live_server.url}/clinic/patients/{patient.public_id}/")
    assert nurse.get_by_test_id("invitation-status").inner_text() == "Account active"
    for page in (admin, prescriber, nurse, phone):
        page.close()
