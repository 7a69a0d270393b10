"""The clinic inbox: order, filters, counts in the navigation, and nothing from another clinic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from ketacare.alerts.tests.helpers import make_alert

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _titles(body: str, titles: list[str]) -> list[str]:
    return sorted((t for t in titles if t in body), key=body.index)


def test_it_lists_the_most_severe_first_then_the_oldest(personas: Any, client_for: Any) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        make_alert(personas.a1, severity="info", title="Info old")
        clock.shift(dt.timedelta(minutes=5))
        make_alert(personas.a1, severity="urgent", title="Urgent old")
        clock.shift(dt.timedelta(minutes=5))
        make_alert(personas.a2, severity="emergency", title="Emergency new")
        clock.shift(dt.timedelta(minutes=5))
        make_alert(personas.a2, severity="urgent", title="Urgent new")
        body = client_for("clinician_a").get("/clinic/alerts/").content.decode()
    assert _titles(body, ["Info old", "Urgent old", "Emergency new", "Urgent new"]) == [
        "Emergency new",
        "Urgent old",
        "Urgent new",
        "Info old",
    ]


def test_at_one_severity_a_patients_safety_comes_before_the_clinics_paperwork(
    personas: Any, client_for: Any
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        make_alert(personas.a1, source="rems_deadline", title="REMS form overdue")
        clock.shift(dt.timedelta(minutes=5))
        make_alert(personas.a2, source="missed_checkin", title="Missed check-ins")
        clock.shift(dt.timedelta(minutes=5))
        make_alert(personas.a2, source="phq9_item9", title="Thoughts of self-harm")
        clock.shift(dt.timedelta(minutes=5))
        make_alert(personas.a1, source="vital_sign", title="Blood pressure high")
        clock.shift(dt.timedelta(minutes=5))
        make_alert(personas.a2, source="dosing_hold", title="Bladder check answered yes")
        clock.shift(dt.timedelta(minutes=5))
        make_alert(personas.a1, severity="emergency", source="rems_deadline", title="Emergency paperwork")
        body = client_for("clinician_a").get("/clinic/alerts/").content.decode()
    titles = ["REMS form overdue", "Missed check-ins", "Thoughts of self-harm", "Blood pressure high"]
    assert _titles(body, [*titles, "Bladder check answered yes", "Emergency paperwork"]) == [
        "Emergency paperwork",
        "Thoughts of self-harm",
        "Blood pressure high",
        "Bladder check answered yes",
        "REMS form overdue",
        "Missed check-ins",
    ]


def test_it_filters_by_state_and_source(personas: Any, client_for: Any) -> None:
    make_alert(personas.a1, title="Open red flag")
    make_alert(personas.a1, source="worsening_trend", severity="contact_clinic", title="Open trend")
    make_alert(personas.a1, title="Done one", state="resolved")
    client = client_for("clinician_a")
    body = client.get("/clinic/alerts/", {"source": "worsening_trend"}).content.decode()
    assert "Open trend" in body and "Open red flag" not in body
    body = client.get("/clinic/alerts/", {"state": "resolved"}).content.decode()
    assert "Done one" in body and "Open red flag" not in body
    body = client.get("/clinic/alerts/").content.decode()
    assert "Done one" not in body and "Open red flag" in body


def test_the_navigation_counts_open_alerts_of_the_active_clinic(personas: Any, client_for: Any) -> None:
    make_alert(personas.a1, severity="emergency")
    make_alert(personas.a2, severity="info")
    make_alert(personas.b1, severity="urgent")
    body = client_for("clinician_a").get("/clinic/patients/").content.decode()
    assert 'aria-label="2 open alerts, 1 urgent or emergency">2</span>' in body
    body = client_for("clinician_b").get("/clinic/patients/").content.decode()
    assert 'aria-label="1 open alerts, 1 urgent or emergency">1</span>' in body


def test_no_alert_of_another_clinic_is_listed_or_reachable(personas: Any, client_for: Any) -> None:
    other = make_alert(personas.b1, title="Clinic B secret")
    client = client_for("clinician_a")
    assert "Clinic B secret" not in client.get("/clinic/alerts/", {"state": "all"}).content.decode()
    assert client.get(f"/clinic/alerts/{other.public_id}/").status_code == 404
    assert client.post(f"/clinic/alerts/{other.public_id}/acknowledge/", {"note": "x"}).status_code == 404
    assert client.get(f"/api/v1/alerts/{other.public_id}").status_code == 404
    assert all(
        a["title"] != "Clinic B secret"
        for a in client.get("/api/v1/alerts/", {"state": "all"}).json()["results"]
    )
    other.refresh_from_db()
    assert other.state == "open"


def test_a_patient_never_sees_alerts_even_about_themself(personas: Any, client_for: Any) -> None:
    own = make_alert(personas.a1)
    client = client_for("a1")
    assert client.get(f"/clinic/alerts/{own.public_id}/").status_code == 404
    assert client.get("/clinic/alerts/").status_code == 404


def test_course_evidence_times_read_on_the_clinics_clock(personas: Any, client_for: Any) -> None:
    # Stored as UTC at the alert's creation; clinic A is in New York (UTC-5 in March).
    alert = make_alert(
        personas.a1,
        source="worsening_trend",
        title="Scores rising",
        evidence={
            "instrument": "PHQ-9",
            "baseline": "20",
            "scores": [{"at": "2026-03-03 02:30", "score": "16", "change": "no response"}],
        },
    )
    body = client_for("clinician_a").get(f"/clinic/alerts/{alert.public_id}/").content.decode()
    assert "When (New York)" in body and "When (UTC)" not in body and "America/New_York" not in body
    assert "<td>2026-03-02 21:30</td><td>16</td>" in body  # the evening before, in New York
