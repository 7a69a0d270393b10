"""Browser, phone-sized (390x844): check-ins, PHQ-9 item 9, journal sharing, progress and Learn (issue 7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import browser_login
from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin
from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.journal.models import JournalEntry
from ketacare.questionnaires.models import QuestionnaireResponse
from tests.support.checkins import make_dose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "companion-browser-2026"  # noqa: S105 - test persona only
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _patient_page(browser: Any, live_server: Any, patient: Any) -> Any:
    patient.user.set_password(PASSWORD)
    patient.user.save()
    page = browser.new_page(**PHONE)
    browser_login(page, live_server.url, patient.user.email, PASSWORD)
    return page


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"


def _check_in(
    page: Any,
    base: str,
    search: str,
    symptom_id: str,
    severity: str = "mild",
    mood: str = "6",
    shot: Any = None,
) -> None:
    page.goto(f"{base}/me/checkin/")
    page.get_by_label("Search in your own words").fill(search)
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    page.locator(f"#sym-{symptom_id}").check()
    # An emergency red flag offers no severity (decision 0014): it is an emergency however strong.
    if page.locator(f"#sev-{symptom_id}").count():
        page.locator(f"#sev-{symptom_id}").select_option(severity)
    page.locator("#id_mood").fill(mood)
    if shot is not None:
        _no_sideways_scroll(page)
        page.screenshot(path=str(shot), full_page=True)
    page.get_by_role("button", name="Send check-in").click()
    page.wait_for_load_state()


def test_check_ins_answered_expected_longer_than_expected_and_red_flag(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    page = _patient_page(browser, live_server, personas.a1)

    _check_in(page, live_server.url, "head", "headache", shot=artifacts_dir / "companion-checkin-form.png")
    assert page.get_by_role("heading", name="This is expected").is_visible()
    assert page.get_by_text("What helps:").first.is_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "companion-checkin-expected.png"), full_page=True)

    # Six hours later dizziness has outlasted its window after an IV dose.
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=8))
    personas.a1.treatment_sessions.filter(dose_started_at__gt=timezone.now() - dt.timedelta(hours=3)).delete()
    _check_in(page, live_server.url, "dizzy", "dizziness")
    assert page.get_by_role("heading", name="This is lasting longer than expected").is_visible()
    assert page.locator(f"a[href='tel:{personas.clinic_a.phone}']").is_visible()
    page.screenshot(path=str(artifacts_dir / "companion-checkin-longer-than-expected.png"), full_page=True)

    _check_in(page, live_server.url, "chest pain", "chest_pain", severity="moderate")
    assert page.get_by_role("heading", name="Get help now").is_visible()
    assert page.locator("a[href='tel:911']").first.is_visible()
    assert page.locator("a[href='tel:988']").first.is_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "companion-checkin-red-flag.png"), full_page=True)
    alert = Alert.objects.get(patient=personas.a1, source="red_flag_checkin")
    assert alert.state == "open"
    # The dizziness seen past its window alerted the care team at once too (decision 0014).
    assert Alert.objects.filter(patient=personas.a1, source="side_effect_overdue").count() == 1
    assert SymptomCheckin.objects.filter(patient=personas.a1).count() == 3
    page.close()


def test_a_phq9_with_item_9_positive_shows_crisis_resources_and_raises_an_alert(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    page = _patient_page(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/questionnaires/phq9/")
    for item in range(1, 10):
        value = "1" if item in (1, 2, 9) else "0"
        page.locator(f"input[name='phq9.q{item}'][value='{value}']").check()
    _no_sideways_scroll(page)
    # Each question is laid out inside its card on a phone, even when it wraps onto several lines (a
    # legend left on the card's border is cut in two by it).
    cards = page.locator("fieldset.q-item")
    for index in range(cards.count()):
        card, question = cards.nth(index).bounding_box(), cards.nth(index).locator("legend").bounding_box()
        assert card is not None and question is not None
        assert card["y"] < question["y"] and question["y"] + question["height"] <= card["y"] + card["height"]
    page.get_by_role("button", name="Send answers").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="You are not alone — help is available now").is_visible()
    assert page.locator("a[href='tel:988']").is_visible()
    page.screenshot(path=str(artifacts_dir / "companion-phq9-item9-crisis.png"), full_page=True)
    assert Alert.objects.filter(patient=personas.a1, source="phq9_item9").count() == 1
    # Post/Redirect/Get: the browser is on the result's own page, so a refresh shows it again without
    # posting the answers a second time (and without asking to resubmit a form).
    assert "/me/questionnaires/results/" in page.url
    page.reload()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="You are not alone — help is available now").is_visible()
    assert page.locator("a[href='tel:911']").is_visible()
    assert QuestionnaireResponse.objects.filter(patient=personas.a1).count() == 1
    assert Alert.objects.filter(patient=personas.a1, source="phq9_item9").count() == 1
    page.close()


def test_a_shared_journal_entry_reaches_staff_and_a_private_one_does_not(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    page = _patient_page(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/journal/")
    page.get_by_label("Your entry").fill("SharedCanary: I felt lighter after the walk.")
    page.get_by_label("Share this entry with my clinic").check()
    page.get_by_role("button", name="Save entry").click()
    page.wait_for_load_state()
    page.get_by_label("Your entry").fill("PrivateCanary: just for me.")
    page.get_by_role("button", name="Save entry").click()
    page.wait_for_load_state()
    assert page.get_by_text("Shared with your clinic").count() == 1
    assert page.get_by_text("Private", exact=True).count() == 1
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "companion-journal-phone.png"), full_page=True)
    page.close()
    assert JournalEntry.objects.filter(patient=personas.a1).count() == 2

    personas.clinician_a.set_password(PASSWORD + "-staff")
    personas.clinician_a.save()
    staff = browser.new_page(viewport={"width": 1280, "height": 900})
    browser_login(staff, live_server.url, personas.clinician_a.email, PASSWORD + "-staff")
    staff.goto(f"{live_server.url}/clinic/patients/{personas.a1.public_id}/journal/")
    body = staff.content()
    assert "SharedCanary" in body and "PrivateCanary" not in body
    staff.screenshot(path=str(artifacts_dir / "companion-journal-staff-view.png"), full_page=True)
    staff.close()


def test_the_progress_page_charts_scores_and_mood_with_session_markers(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    from ketacare.checkins.services import submit_checkin
    from ketacare.questionnaires.services import submit_questionnaire

    now = timezone.now()
    for dose_days in [20, 17, 13, 10]:
        make_dose(personas.a1, started_at=now - dt.timedelta(days=dose_days))
    for n, (days, value) in enumerate([(21, 2), (14, 2), (7, 1), (1, 0)]):
        answers = {f"phq9.q{i}": value for i in range(1, 10)}
        answers["phq9.q9"] = 0
        submit_questionnaire(
            patient=personas.a1,
            instrument_id="phq9",
            answers=answers,
            idempotency_key=f"p{n}",
            now=now - dt.timedelta(days=days),
        )
        submit_checkin(
            patient=personas.a1,
            idempotency_key=f"m{n}",
            reports=[],
            mood=3 + 2 * n,
            note="",
            now=now - dt.timedelta(days=days),
        )
    page = _patient_page(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/progress/")
    assert page.get_by_role("heading", name="Your progress").is_visible()
    assert page.get_by_text("range called remission").is_visible()
    assert page.locator("svg[role='img'] title").first.text_content().endswith("over time")
    assert page.locator("line.session-marker").count() >= 4
    page.get_by_text("Show the scores as a table").first.click()
    assert page.locator("table.data").first.is_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "companion-progress-phone.png"), full_page=True)
    page.close()


def test_a_search_in_learn_finds_the_honest_success_rates(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    page = _patient_page(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/learn/")
    page.get_by_label("Search in plain words").fill("how likely to work")
    page.wait_for_timeout(900)  # htmx swaps the results in place
    results = page.locator("#learn-results")
    assert "How likely is it to work?" in results.inner_text()
    assert "About half" in results.inner_text()
    assert "Strength of the evidence" in results.inner_text()
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "companion-learn-search.png"), full_page=True)
    page.close()


def test_the_home_page_shows_the_timeline_rules_and_next_steps_on_a_phone(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(minutes=90))
    page = _patient_page(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/")
    assert page.get_by_role("heading", name="Need help now?").is_visible()
    assert page.get_by_role("heading", name="Rules active now").is_visible()
    assert page.get_by_text("No driving").first.is_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "companion-home-phone.png"), full_page=True)
    page.close()


def test_the_phone_menu_opens_from_one_button_and_shows_where_the_patient_is(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    page = _patient_page(browser, live_server, personas.a1)
    # Every link behind one "Menu" button (tests/browser/test_patient_nav_phone_browser.py checks each
    # link's place); nothing scrolls sideways.
    page.goto(f"{live_server.url}/me/clinic/")
    page.wait_for_load_state()
    menu = page.get_by_role("button", name="Menu")
    assert menu.get_attribute("aria-expanded") == "false"
    _no_sideways_scroll(page)
    menu.tap()
    # On a page whose link sits last but one, that link is in sight and marked as the current page.
    current = page.locator('.site-header nav a[aria-current="page"]')
    assert current.inner_text() == "My clinic" and current.is_visible()
    box = current.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "companion-menu-my-clinic-phone.png"))
    # A table stacks into one block per row on a phone; each value keeps its column's heading.
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=3))
    submit_checkin(
        patient=personas.a1,
        idempotency_key="menu-test",
        reports=[ReportIn("nausea")],
        mood=6,
        note="",
        now=timezone.now() - dt.timedelta(hours=2),
    )
    page.goto(f"{live_server.url}/me/progress/")
    page.wait_for_load_state()
    lasted = page.locator("table.data tbody td[data-label='What your check-ins show']").first
    assert lasted.count() == 1
    shown = lasted.evaluate("td => getComputedStyle(td, '::before').content")
    assert shown == '"What your check-ins show"', shown
    _no_sideways_scroll(page)
    page.close()
