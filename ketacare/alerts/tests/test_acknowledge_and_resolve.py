"""open -> acknowledged (with a note) -> resolved, through HTTP and the API; every transition audited."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.alerts.models import Alert
from ketacare.alerts.services import AlertTransitionError, acknowledge_alert
from ketacare.alerts.tests.helpers import make_alert
from ketacare.audit.models import AccessEvent

pytestmark = pytest.mark.django_db


def _writes(alert: Alert) -> int:
    return AccessEvent.objects.filter(
        object_type="alert", object_id=str(alert.public_id), action="write"
    ).count()


def test_a_clinician_acknowledges_with_a_note_then_resolves(personas: Any, client_for: Any) -> None:
    alert = make_alert(personas.a1)
    client = client_for("clinician_a")
    response = client.post(
        f"/clinic/alerts/{alert.public_id}/acknowledge/", {"note": "Called; safe at home."}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.state, alert.note, alert.acknowledged_by) == (
        "acknowledged",
        "Called; safe at home.",
        personas.clinician_a,
    )
    assert alert.acknowledged_at is not None
    assert _writes(alert) == 1
    client.post(f"/clinic/alerts/{alert.public_id}/resolve/", {"note": "Seen in clinic."})
    alert.refresh_from_db()
    assert (alert.state, alert.resolution_note, alert.resolved_by) == (
        "resolved",
        "Seen in clinic.",
        personas.clinician_a,
    )
    assert _writes(alert) == 2
    row = AccessEvent.objects.filter(object_id=str(alert.public_id), action="write").first()
    assert row is not None and row.patient_public_id == str(personas.a1.public_id)


def test_acknowledging_without_a_note_is_refused_and_changes_nothing(personas: Any, client_for: Any) -> None:
    alert = make_alert(personas.a1)
    client = client_for("clinician_a")
    response = client.post(f"/clinic/alerts/{alert.public_id}/acknowledge/", {"note": "  "})
    alert.refresh_from_db()
    # The attempt is an access (one audit row, as every request about a patient): a read, never a
    # granted write, since nothing was written.
    assert alert.state == "open" and alert.acknowledged_at is None and _writes(alert) == 0
    reads = AccessEvent.objects.filter(object_type="alert", object_id=str(alert.public_id), action="read")
    assert [(e.outcome, e.user_email) for e in reads] == [("granted", personas.clinician_a.email)]
    assert "note is required" in client.get(response["Location"]).content.decode()


def test_an_oversized_note_names_the_limit(personas: Any, client_for: Any) -> None:
    alert = make_alert(personas.a1)
    response = client_for("clinician_a").post(
        f"/clinic/alerts/{alert.public_id}/acknowledge/", {"note": "x" * 2001}, follow=True
    )
    assert "at most 2000 characters" in response.content.decode()
    alert.refresh_from_db()
    assert alert.state == "open"


def test_a_second_acknowledgement_is_refused(personas: Any) -> None:
    alert = make_alert(personas.a1)
    acknowledge_alert(alert=alert, user=personas.clinician_a, note="first")
    with pytest.raises(AlertTransitionError, match="alert is acknowledged; only an open alert"):
        acknowledge_alert(alert=alert, user=personas.admin_a, note="second")


def test_resolving_an_open_alert_needs_a_note_and_acknowledges_it(personas: Any, client_for: Any) -> None:
    alert = make_alert(personas.a1)
    client = client_for("admin_a")
    client.post(f"/clinic/alerts/{alert.public_id}/resolve/", {"note": ""})
    alert.refresh_from_db()
    assert alert.state == "open"
    client.post(f"/clinic/alerts/{alert.public_id}/resolve/", {"note": "False alarm, confirmed by phone."})
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.acknowledged_by == personas.admin_a


def test_the_api_acknowledges_and_answers_409_on_a_repeat(personas: Any, client_for: Any) -> None:
    alert = make_alert(personas.a2)
    client = client_for("clinician_a")
    first = client.post(f"/api/v1/alerts/{alert.public_id}/acknowledge", {"note": "done"})
    assert first.status_code == 200 and first.json()["state"] == "acknowledged"
    again = client.post(f"/api/v1/alerts/{alert.public_id}/acknowledge", {"note": "done"})
    assert again.status_code == 409 and "only an open alert" in again.json()["detail"]
