"""A check-in sent before the patient's first dose is not answered as if there had been one: no "after
the dose", no "longer than expected", no time since a session that never happened. The patient is told
it is not an effect of treatment and to let the clinic know today; staff read "reported before any
dose"; "when it began" offers days only. Red flags keep their emergency guidance and their alert."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.checkins.services import CheckinError, ReportIn, submit_checkin
from tests.support.clinic_hours import page_text
from tests.support.treatments import make_planned_session

pytestmark = pytest.mark.django_db

# Monday 7 December 2026, 10:41 in New York (patient A1's clock and Clinic A's); the first session is
# booked for Wednesday 9 December and no dose is on record.
NOW = dt.datetime(2026, 12, 7, 15, 41, tzinfo=dt.UTC)
FIRST_SESSION = dt.datetime(2026, 12, 9, 15, 0, tzinfo=dt.UTC)
HONEST = "you have not had a treatment session with us yet, so this is not an effect of treatment."
# What would tell the patient something untrue about a dose they never had.
UNTRUE = ("dose", "after your session", "after the treatment", "longer than", "4 days", "still there")


@pytest.fixture
def first_session_booked(personas: Any) -> Any:
    with time_machine.travel(NOW - dt.timedelta(days=1), tick=False):
        return make_planned_session(personas.a1, starts_at=FIRST_SESSION)


def _main(page: str) -> str:
    """What the patient reads in the page's main part (the footer's "dosing advice" line aside)."""
    found = re.search(r"<main[^>]*>(.*)</main>", page, re.S)
    assert found is not None
    return page_text(found.group(1))


def _send(client: Any, **fields: Any) -> Any:
    return client.post(
        reverse("checkins:checkin"),
        {"idempotency_key": uuid.uuid4().hex, "action": "submit", "mood": "6", **fields},
        follow=True,
    )


def _options(page: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, select_id
    return [html.unescape(text) for text in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1))]


def test_nausea_before_the_first_session_is_not_answered_as_an_effect_of_a_dose(
    personas: Any, client_for: Any, first_session_booked: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = _send(
            client_for("a1"), symptom="nausea", severity_nausea="mild", onset_nausea="day:2026-12-07"
        )
    assert response.status_code == 200
    text = _main(response.content.decode())
    assert text.startswith("Please contact your clinic Feeling sick (nausea): " + HONEST)
    assert "Please contact your clinic today." in text
    assert "Contact your clinic today: +1 555 0100" in text
    for untrue in UNTRUE:
        assert untrue not in text.lower(), untrue
    # The record invents no dose: no route, no time since one.
    checkin = SymptomCheckin.objects.get()
    assert checkin.triage_level == "contact_clinic"
    assert (checkin.route, checkin.minutes_since_dose, checkin.dose_started_at) == ("", None, None)
    assert checkin.triage_result["route"] is None and checkin.triage_result["minutes_since_dose"] is None
    episode = SymptomReport.objects.get()
    assert episode.onset_day == dt.date(2026, 12, 7) and episode.onset_min is None
    assert episode.expected_resolution_min is None and episode.longer_after_min is None


def test_staff_read_reported_before_any_dose_with_no_invented_timing(
    personas: Any, client_for: Any, first_session_booked: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        _send(client_for("a1"), symptom="nausea", severity_nausea="mild", onset_nausea="day:2026-12-07")
    episode = SymptomReport.objects.get()
    alert = Alert.objects.get()
    assert alert.title == "Feeling sick (nausea) reported before any dose"
    assert alert.detail == (
        "No dose is on record for this patient, so feeling sick (nausea) (mild) is not an after-effect of "
        "treatment: it may have another cause. The patient says it began on Monday 7 December. The patient "
        "was asked to contact the clinic today."
    )
    assert alert.severity == Alert.Severity.CONTACT_CLINIC
    assert alert.source == Alert.Source.SYMPTOM_BEFORE_DOSE
    assert alert.dedupe_key == f"side_effect_overdue:{episode.public_id}"
    with time_machine.travel(NOW, tick=False):
        page = client_for("clinician_a").get(
            reverse("checkins:staff_checkins", kwargs={"patient_id": str(personas.a1.public_id)})
        )
    assert page.status_code == 200
    text = _main(page.content.decode())
    assert "Feeling sick (nausea) reported before any dose" in text
    assert "Feeling sick (nausea) — reported before any dose Mild" in text
    assert "– (no dose on record)" in text
    for untrue in ("after the dose", "longer than expected", "past its usual window"):
        assert untrue not in text, untrue


def test_the_alert_page_and_the_inbox_name_the_source_before_any_dose_not_longer_than_expected(
    personas: Any, client_for: Any, first_session_booked: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        _send(client_for("a1"), symptom="nausea", severity_nausea="mild", onset_nausea="day:2026-12-07")
    alert = Alert.objects.get()
    clinician = client_for("clinician_a")
    with time_machine.travel(NOW, tick=False):
        page = clinician.get(reverse("alerts:detail", args=[alert.public_id]))
        inbox = clinician.get(reverse("alerts:inbox"), {"source": "symptom_before_dose"})
    assert page.status_code == 200 and inbox.status_code == 200
    text = _main(page.content.decode())
    assert "Source Symptom reported before any dose" in text
    assert "longer than expected" not in text.lower()
    # The inbox filters by the new source and labels the row with it.
    rows = inbox.content.decode()
    assert "Feeling sick (nausea) reported before any dose" in rows
    assert re.findall(r'<td data-label="Source">([^<]*)</td>', rows) == ["Symptom reported before any dose"]


def test_when_it_began_before_any_dose_offers_only_days(
    personas: Any, client_for: Any, first_session_booked: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        page = client_for("a1").get(reverse("checkins:checkin")).content.decode()
    assert _options(page, "onset-nausea") == [
        "When it began: not sure",
        "It began on Tuesday 1 December",
        "It began on Wednesday 2 December",
        "It began on Thursday 3 December",
        "It began on Friday 4 December",
        "It began on Saturday 5 December",
        "It began yesterday",
        "It began today",
    ]


def test_minutes_after_a_session_are_refused_before_any_dose_and_nothing_is_stored(
    personas: Any, client_for: Any, first_session_booked: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client_for("a1").post(
            reverse("checkins:checkin"),
            {
                "idempotency_key": "k",
                "action": "submit",
                "symptom": "nausea",
                "severity_nausea": "mild",
                "onset_nausea": "30",
            },
        )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert (
        '<a href="#sev-nausea">When it began (Feeling sick (nausea)): choose one of the days offered, or '
        "“not sure”</a>" in page
    )
    assert not SymptomCheckin.objects.exists() and not Alert.objects.exists()


def test_a_red_flag_before_any_dose_still_gets_the_emergency_screen_and_its_alert(
    personas: Any, client_for: Any, first_session_booked: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = _send(client_for("a1"), symptom=["chest_pain", "nausea"], severity_nausea="mild")
    page = response.content.decode()
    text = _main(page)
    assert text.startswith("Get help now")
    assert "Call your local emergency number now." in text
    assert '<a class="call" href="tel:911">Call 911</a>' in page
    checkin = SymptomCheckin.objects.get()
    assert checkin.triage_level == "emergency"
    alert = Alert.objects.get(dedupe_key=f"checkin:{checkin.public_id}")
    assert alert.source == Alert.Source.RED_FLAG_CHECKIN and alert.severity == Alert.Severity.EMERGENCY
    assert alert.evidence["red_flags"] == ["chest_pain"]


def test_a_red_flag_before_any_dose_is_alerted_in_the_check_ins_own_transaction(
    personas: Any, monkeypatch: Any
) -> None:
    import ketacare.checkins.services.submission as submission

    original = submission._raise_alerts

    def raise_then_crash(checkin: Any, result: Any) -> None:
        original(checkin, result)
        assert Alert.objects.filter(source=Alert.Source.RED_FLAG_CHECKIN).exists()
        raise RuntimeError("crash after the alert")

    # The red flag's alert is raised, then the write fails: both go, neither is left alone.
    monkeypatch.setattr(submission, "_raise_alerts", raise_then_crash)
    with pytest.raises(RuntimeError):
        submit_checkin(
            patient=personas.a1,
            idempotency_key="k",
            reports=[ReportIn("chest_pain")],
            mood=None,
            note="",
            now=NOW,
        )
    assert not SymptomCheckin.objects.exists() and not Alert.objects.exists()


def test_the_api_answer_before_any_dose_says_nothing_of_a_dose(
    personas: Any, client_for: Any, first_session_booked: Any
) -> None:
    client = client_for("a1")
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("api:submit_checkin"),
            {"idempotency_key": "api-1", "reports": [{"symptom_id": "nausea", "onset_day": "2026-12-06"}]},
            content_type="application/json",
        )
        refused = client.post(
            reverse("api:submit_checkin"),
            {"idempotency_key": "api-2", "reports": [{"symptom_id": "nausea", "onset_min": 30}]},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    result = response.json()["triage_result"]
    messages = [result["patient_message"], *(d["patient_message"] for d in result["details"])]
    assert messages[0] == "Feeling sick (nausea): " + HONEST + " Please contact your clinic today."
    for message in messages:
        assert "dose" not in message.lower() and "longer than" not in message.lower(), message
    assert result["route"] is None and result["minutes_since_dose"] is None
    assert result["details"][0]["expected_window"] is None and result["details"][0]["onset_min"] is None
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["onset_min"]
    assert SymptomCheckin.objects.count() == 1


def test_a_day_before_the_last_week_is_refused_before_any_dose(personas: Any) -> None:
    zone = ZoneInfo(personas.a1.time_zone)
    assert NOW.astimezone(zone).date() == dt.date(2026, 12, 7)
    with pytest.raises(CheckinError, match=r"allowed from 2026-12-01 to 2026-12-07 \(today\)") as caught:
        submit_checkin(
            patient=personas.a1,
            idempotency_key="k",
            reports=[ReportIn("nausea", onset_day=dt.date(2026, 11, 30))],
            mood=None,
            note="",
            now=NOW,
        )
    assert caught.value.field == "onset_day"
    assert not SymptomCheckin.objects.exists()
