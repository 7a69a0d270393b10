"""An alert that holds the next dose is resolved only by a prescriber of its clinic.

Resolving it lifts the hold (decision 0012 rule 9: "paused until a prescriber has reviewed the patient
and resolved this alert"), so a nurse or a clinic admin who is no prescriber may acknowledge it with a
note but not resolve it: the service refuses (NotPermitted), the page answers 403 and hides the Resolve
button, the API answers 403, and nothing changes. The check-in that raises such an alert stands on a
higher floor than alerts; the authorisation matrix (tests/security/routes_alerts.py) builds its alerts
through that check-in.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import transaction
from django.test import Client

from conftest import login
from ketacare.alerts.models import PRESCRIBER_ONLY_MESSAGE, Alert
from ketacare.alerts.services import acknowledge_alert, raise_alert, resolve_alert
from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffMembership
from ketacare.lib.errors import NotPermitted
from tests.support.pathway import make_nurse

pytestmark = pytest.mark.django_db

# How the records word the pause (checkins.services.episodes.HOLD_DETAIL), on a check-in alert whose
# source names its red flag.
HOLD_DETAIL = (
    "Bladder or urinary symptoms were reported. The next dose is paused until a prescriber has reviewed "
    "the patient and resolved this alert."
)


def _held(patient: Any, *, key: str = "next_dose_hold:check:1", **fields: Any) -> Alert:
    """An alert holding the next dose, raised as the positive bladder check raises it."""
    values = {
        "source": Alert.Source.DOSING_HOLD,
        "severity": Alert.Severity.URGENT,
        "title": "Bladder check: answered yes; next dose paused until a prescriber reviews",
        **fields,
    }
    with transaction.atomic():  # raise_alert joins its cause's transaction
        return raise_alert(patient=patient, dedupe_key=key, **values)


def _acknowledged(patient: Any, by: Any, **fields: Any) -> Alert:
    return acknowledge_alert(alert=_held(patient, **fields), user=by, note="Called; no fever.")


def _nurse_client(nurse: Any) -> Client:
    return login(Client(), nurse)


def _unchanged(alert: Alert, state: str) -> None:
    alert.refresh_from_db()
    assert alert.state == state
    assert (alert.resolved_at, alert.resolved_by, alert.resolution_note) == (None, None, "")


# The service


@pytest.mark.parametrize(
    "fields",
    [
        # A positive bladder check (vigilance): its source and its key both say so.
        {},
        # A session's pre-dose hold (treatments): "a prescriber alert", by its source.
        {"key": "hold:session:bp_high", "title": "Dosing on hold: blood pressure 190/110 mmHg"},
        # A check-in with a red flag and the pause: red-flag source and "checkin:" key, the pause in its
        # evidence.
        {
            "key": "checkin:1",
            "source": Alert.Source.RED_FLAG_CHECKIN,
            "title": "Red flag",
            "detail": HOLD_DETAIL,
            "evidence": {"red_flags": ["chest_pain"], "holds_next_dose": True},
        },
        # The key alone marks the pause.
        {"source": Alert.Source.PERIODIC_CHECK, "title": "Bladder check: answered yes"},
    ],
    ids=["bladder_check", "session_hold", "red_flag_checkin_with_pause", "hold_key"],
)
def test_a_nurse_cannot_resolve_an_alert_that_holds_the_dose(personas: Any, fields: dict[str, Any]) -> None:
    nurse = make_nurse(personas.clinic_a)
    alert = _acknowledged(personas.a1, nurse, **fields)
    assert alert.needs_prescriber
    with pytest.raises(NotPermitted) as refused:
        resolve_alert(alert=alert, user=nurse, note="Seems fine now.")
    assert refused.value.message == PRESCRIBER_ONLY_MESSAGE
    _unchanged(alert, "acknowledged")


def test_an_alert_raised_before_the_mark_existed_gets_it_from_its_words(personas: Any) -> None:
    """Migration 0007: an old check-in alert that says the pause only in its words keeps the rule."""
    migration = importlib.import_module("ketacare.alerts.migrations.0007_hold_mark_as_evidence")
    worded = _held(
        personas.a1,
        key="checkin:old",
        source=Alert.Source.RED_FLAG_CHECKIN,
        title="Red flag",
        detail=HOLD_DETAIL,
    )
    other = _held(personas.a1, key="checkin:other", source=Alert.Source.RED_FLAG_CHECKIN, title="Red flag")
    assert not worded.needs_prescriber  # words alone no longer mark it
    migration.mark_held_doses(django_apps, None)
    worded.refresh_from_db()
    other.refresh_from_db()
    assert worded.needs_prescriber and worded.evidence == {"holds_next_dose": True}
    assert not other.needs_prescriber and other.evidence == {}


def test_nor_resolve_an_open_one_which_would_acknowledge_it_too(personas: Any) -> None:
    nurse = make_nurse(personas.clinic_a)
    alert = _held(personas.a1)
    with pytest.raises(NotPermitted, match="Only a prescriber can resolve this alert"):
        resolve_alert(alert=alert, user=nurse, note="Seems fine now.")
    _unchanged(alert, "open")
    assert alert.acknowledged_at is None and alert.note == ""


def test_a_clinic_admin_who_is_no_prescriber_cannot_resolve_it(personas: Any) -> None:
    alert = _acknowledged(personas.a1, personas.admin_a)
    with pytest.raises(NotPermitted):
        resolve_alert(alert=alert, user=personas.admin_a)
    _unchanged(alert, "acknowledged")


def test_a_prescriber_of_another_clinic_or_a_former_one_cannot_resolve_it(personas: Any) -> None:
    alert = _acknowledged(personas.a1, personas.clinician_a)
    with pytest.raises(NotPermitted):
        resolve_alert(alert=alert, user=personas.clinician_b)
    StaffMembership.objects.filter(user=personas.clinician_a).update(is_active=False)
    with pytest.raises(NotPermitted):
        resolve_alert(alert=alert, user=personas.clinician_a)
    _unchanged(alert, "acknowledged")


def test_a_nurse_acknowledges_it_and_a_prescriber_resolves_it(personas: Any) -> None:
    nurse = make_nurse(personas.clinic_a)
    alert = _acknowledged(personas.a1, nurse)
    assert (alert.state, alert.acknowledged_by) == ("acknowledged", nurse)
    resolved = resolve_alert(alert=alert, user=personas.clinician_a, note="Reviewed; urine dip clear.")
    assert (resolved.state, resolved.resolved_by) == ("resolved", personas.clinician_a)
    assert resolved.acknowledged_by == nurse  # the nurse's acknowledgement stays on record


def test_a_nurse_still_resolves_an_alert_that_holds_nothing(personas: Any) -> None:
    nurse = make_nurse(personas.clinic_a)
    with transaction.atomic():
        alert = raise_alert(
            patient=personas.a1, source=Alert.Source.RED_FLAG_CHECKIN, severity="urgent", title="Red flag"
        )
    assert not alert.needs_prescriber
    assert resolve_alert(alert=alert, user=nurse, note="Called; settled.").state == "resolved"


# The pages


def test_the_page_refuses_a_nurse_with_403_and_changes_nothing(personas: Any) -> None:
    nurse = make_nurse(personas.clinic_a)
    alert = _acknowledged(personas.a1, nurse)
    client = _nurse_client(nurse)
    writes = AccessEvent.objects.filter(object_type="alert", action="write", outcome="granted")
    writes_before = writes.count()
    response = client.post(f"/clinic/alerts/{alert.public_id}/resolve/", {"note": "Fine now."})
    assert response.status_code == 403
    assert PRESCRIBER_ONLY_MESSAGE in response.content.decode()
    _unchanged(alert, "acknowledged")
    # The refused attempt is on record, naming the patient, and the audit report never reads it as a
    # granted write.
    denied = AccessEvent.objects.get(outcome="denied", object_type="action", object_id="alerts:resolve")
    assert denied.patient_public_id == str(personas.a1.public_id)
    assert writes.count() == writes_before


def test_the_page_tells_a_nurse_why_instead_of_offering_resolve(personas: Any) -> None:
    nurse = make_nurse(personas.clinic_a)
    alert = _acknowledged(personas.a1, nurse)
    resolve_url = f"/clinic/alerts/{alert.public_id}/resolve/"
    client = _nurse_client(nurse)
    for page in (f"/clinic/alerts/{alert.public_id}/", "/clinic/alerts/"):
        html = client.get(page).content.decode()
        assert PRESCRIBER_ONLY_MESSAGE in html and resolve_url not in html, page
    # A prescriber sees the Resolve form.
    html = login(Client(), personas.clinician_a).get(f"/clinic/alerts/{alert.public_id}/").content.decode()
    assert resolve_url in html and PRESCRIBER_ONLY_MESSAGE not in html


def test_the_page_still_lets_a_nurse_acknowledge_it(personas: Any) -> None:
    nurse = make_nurse(personas.clinic_a)
    alert = _held(personas.a1)
    client = _nurse_client(nurse)
    assert (
        f"/clinic/alerts/{alert.public_id}/acknowledge/"
        in client.get(f"/clinic/alerts/{alert.public_id}/").content.decode()
    )
    response = client.post(f"/clinic/alerts/{alert.public_id}/acknowledge/", {"note": "Called; no fever."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_by) == ("acknowledged", nurse)


def test_the_page_lets_a_prescriber_resolve_it(personas: Any, client_for: Any) -> None:
    alert = _acknowledged(personas.a1, make_nurse(personas.clinic_a))
    response = client_for("clinician_a").post(
        f"/clinic/alerts/{alert.public_id}/resolve/", {"note": "Reviewed in clinic."}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_by) == ("resolved", personas.clinician_a)


# The API


def test_the_api_refuses_a_nurse_and_a_clinic_admin_with_403(personas: Any, client_for: Any) -> None:
    nurse = make_nurse(personas.clinic_a)
    alert = _acknowledged(personas.a1, nurse)
    writes = AccessEvent.objects.filter(object_type="alert", action="write", outcome="granted")
    writes_before = writes.count()
    for client in (_nurse_client(nurse), client_for("admin_a")):
        response = client.post(f"/api/v1/alerts/{alert.public_id}/resolve", {"note": "Fine now."})
        assert response.status_code == 403
        assert response.json()["detail"] == PRESCRIBER_ONLY_MESSAGE
        _unchanged(alert, "acknowledged")
    assert AccessEvent.objects.filter(outcome="denied", object_id="resolve_alert").count() == 2
    assert writes.count() == writes_before


def test_the_api_lets_a_nurse_acknowledge_and_a_prescriber_resolve(personas: Any, client_for: Any) -> None:
    nurse = make_nurse(personas.clinic_a)
    alert = _held(personas.a1)
    acknowledged = _nurse_client(nurse).post(
        f"/api/v1/alerts/{alert.public_id}/acknowledge", {"note": "Called."}
    )
    assert acknowledged.status_code == 200 and acknowledged.json()["state"] == "acknowledged"
    resolved = client_for("clinician_a").post(
        f"/api/v1/alerts/{alert.public_id}/resolve", {"note": "Reviewed."}
    )
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
