"""On a phone (390x844) a refused check-in shows what to correct first: the error summary is at the top,
in sight and focused, and each of its links brings its field into sight above the Send bar. The Send
bar covers nothing on the first view, and once it stays at the bottom nothing reached by keyboard lies
under it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import browser_login
from ketacare.checkins.models import SymptomReport
from ketacare.checkins.services import ReportIn, submit_checkin
from tests.support.checkins import make_dose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "errors-in-sight-2026"  # noqa: S105 - test persona only
SCREEN = {"width": 390, "height": 844}

# Interactive elements in the viewport whose middle a tap would not reach: something else (the Send
# bar) is on top there.
COVERED = """() => {
  const bar = document.querySelector('.send-bar').getBoundingClientRect();
  const out = [];
  for (const el of document.querySelectorAll('main a, main summary, main button, main select, main label, main input:not([type=hidden])')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || r.bottom <= 0 || r.top >= innerHeight) continue;
    if (el.closest('.send-bar')) continue;
    const overlaps = r.bottom > bar.top && r.top < bar.bottom;
    const x = r.left + r.width / 2, y = Math.min(r.top + r.height / 2, innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    const reached = hit && (hit === el || el.contains(hit) || hit.contains(el) || (el.labels && [...el.labels].includes(hit)));
    if (overlaps && !reached) out.push(`${el.tagName} ${(el.textContent || el.id).trim().slice(0, 40)}`);
  }
  return out;
}"""

# Where the focused element stands against the Send bar (and the viewport), after the browser scrolled it
# into view.
FOCUSED = """() => {
  const el = document.activeElement;
  const shown = el.matches('input[type=radio], input[type=checkbox]') && el.labels && el.labels[0] && getComputedStyle(el).opacity === '0' ? el.labels[0] : el;
  const r = shown.getBoundingClientRect();
  const bar = document.querySelector('.send-bar').getBoundingClientRect();
  return {name: (shown.textContent || shown.id || shown.tagName).trim().slice(0, 40), top: r.top, bottom: r.bottom,
          height: r.height, barTop: bar.top, inBar: !!el.closest('.send-bar')};
}"""


def _phone(browser: Any, live_server: Any, patient: Any) -> Any:
    patient.user.set_password(PASSWORD)
    patient.user.save()
    page = browser.new_page(viewport=SCREEN, is_mobile=True, has_touch=True)
    browser_login(page, live_server.url, patient.user.email, PASSWORD)
    return page


def _in_sight(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"], (selector, box)
    return box


def test_a_refused_check_in_shows_every_error_first_focused_and_linked_to_its_field(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    page = _phone(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/checkin/")
    page.locator("#sym-headache").check()
    page.locator("#sev-headache").select_option("mild")
    page.get_by_label("How is your mood right now?").fill("15")
    page.get_by_text("Add a note or a home blood pressure reading").click()
    page.get_by_label("Top number (systolic)").fill("400")
    page.get_by_label("Bottom number (diastolic)").fill("-5")
    page.get_by_label("Pulse (optional)").fill("999")
    page.get_by_role("button", name="Send check-in").click()
    page.wait_for_load_state()
    page.screenshot(path=str(artifacts_dir / "checkin-errors-phone.png"))
    # The summary is the first thing in sight, and has the focus (a screen reader reads it at once).
    _in_sight(page, ".error-summary")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    links = summary.get_by_role("link")
    assert links.count() == 4  # mood, top, bottom and pulse: every error, not the first
    # Each link brings its field into sight, above the Send bar (which stays at the bottom now that a
    # symptom is ticked), with its error beside it.
    for name, field in (
        ("Top number (systolic)", "#id_home_systolic_mmhg"),
        ("Pulse", "#id_home_pulse_bpm"),
        ("Mood", "#id_mood"),
    ):
        summary.get_by_role("link", name=name).click()
        _in_sight(page, f"label[for={field[1:]}]")
        box = _in_sight(page, field)
        bar = page.locator(".send-bar").bounding_box()
        assert bar is not None and box["y"] + box["height"] <= bar["y"], (field, box, bar)
        assert page.locator(f"{field}_error").is_visible()
        page.evaluate("window.scrollTo(0, 0)")
    # The symptom ticked before stays ticked.
    assert page.locator("#sym-headache").is_checked()
    page.close()


def test_the_send_bar_covers_nothing_on_the_first_view_nor_what_the_keyboard_reaches(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    page = _phone(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/checkin/")
    page.screenshot(path=str(artifacts_dir / "checkin-first-view-phone.png"))
    assert page.evaluate(COVERED) == []
    # Once something is ticked the bar stays in sight at the bottom, an opaque band over what scrolls
    # under it; every control reached by keyboard stops above it.
    page.locator("#sym-headache").check()
    assert page.locator(".send-bar").evaluate("e => getComputedStyle(e).position") == "sticky"
    assert page.locator(".send-bar").evaluate("e => getComputedStyle(e).backgroundColor") not in (
        "rgba(0, 0, 0, 0)",
        "transparent",
    )
    page.locator("#sym-headache").focus()
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        where = page.evaluate(FOCUSED)
        if where["inBar"]:
            break
        if where["height"]:
            seen.append(where["name"])
            assert where["bottom"] <= where["barTop"] + 1, where
    assert len(seen) > 10, seen
    page.close()


def test_a_gone_time_from_before_the_symptom_was_last_seen_is_refused_in_sight(
    live_server: Any, browser: Any, personas: Any
) -> None:
    submit_checkin(
        patient=personas.a1,
        idempotency_key="chest",
        reports=[ReportIn("chest_pain")],
        mood=None,
        note="",
        now=timezone.now(),
    )
    flag = SymptomReport.objects.get(symptom_id="chest_pain")
    page = _phone(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/symptoms/?episode={flag.public_id}")
    when = page.locator("#gone-when")
    assert when.locator("option").all_inner_texts() == ["Gone: not sure when", "Gone just now"]
    assert page.get_by_text("It feels longer than usual").count() == 0
    # A time not offered arrives anyway (a page kept open from before, a hand-made request).
    when.evaluate("s => { s.options[1].value = '240'; s.selectedIndex = 1; }")
    page.get_by_role("button", name="Yes, it is gone").click()
    page.wait_for_load_state()
    _in_sight(page, ".error-summary")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert "when you last told us it was there" in page.locator(".error-summary").inner_text()
    flag.refresh_from_db()
    assert flag.resolved_at is None
    page.close()


def test_a_search_in_everyday_words_leads_to_the_red_flag_row(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(hours=2))
    page = _phone(browser, live_server, personas.a1)
    page.goto(f"{live_server.url}/me/checkin/")
    search = page.get_by_label("Not listed? Search in your own words")
    for words, name, row in (
        ("tight chest", "Chest pain", "#sym-chest_pain"),
        ("can't pee", "Pain or blood when passing urine", "#sym-urinary_symptoms"),
    ):
        search.fill(words)  # the search runs as the patient types (htmx), without a Send
        link = page.get_by_test_id("found-serious").get_by_role("link", name=name)
        link.wait_for()
        assert "No symptom matches" not in page.locator("#symptom-picker").inner_text()
        if row == "#sym-urinary_symptoms":
            # Its row is among the other serious changes: the search opened their list.
            assert page.locator("#serious-more").evaluate("details => details.open")
        link.click()
        # The row is in sight and can be ticked there.
        _in_sight(page, row)
        page.locator(row).check()
        assert page.locator(row).is_checked()
    page.screenshot(path=str(artifacts_dir / "checkin-search-red-flag-phone.png"))
    page.close()
