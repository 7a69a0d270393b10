"""An API-only client completes the questionnaires due before the dose, as the run-sheet does.

A due PHQ-9 or GAD-7 holds the dose; the API listed no way to see, enter or skip them, so a client that
only speaks the API could no longer dose an induction session. Now it lists each one and where it
stands, enters the answers (scored, a suicide-risk answer alerting at once) or skips it with a reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from conftest import login
from ketacare.alerts.models import Alert
from ketacare.treatments.models import DoseAdministration, PreDoseQuestionnaire, TreatmentSession
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

ZEROES = {f"phq9.q{n}": 0 for n in range(1, 10)}


def _due(personas: Any) -> TreatmentSession:
    return make_session(personas.a1, state="checked_in", questionnaires_due=True)


def _url(session: TreatmentSession, tail: str = "") -> str:
    return f"/api/v1/sessions/{session.public_id}/pre-dose-questionnaires{tail}"


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _dose(client: Client, session: TreatmentSession) -> Any:
    return _post(client, f"/api/v1/sessions/{session.public_id}/doses", {"dose_mg": 35, "lot_number": "L1"})


def _states(client: Client, session: TreatmentSession) -> dict[str, str]:
    return {row["instrument_id"]: row["state"] for row in client.get(_url(session)).json()["results"]}


def test_the_list_shows_each_questionnaire_due_and_the_dose_waits(personas: Any, clock: Any) -> None:
    session = _due(personas)
    client = login(Client(), personas.clinician_a)
    listed = client.get(_url(session))
    assert listed.status_code == 200
    assert listed.json()["count"] == 2 and listed.json()["next"] is None
    rows = {row["instrument_id"]: row for row in listed.json()["results"]}
    assert set(rows) == {"phq9", "gad7"}
    assert rows["phq9"]["state"] == "due" and rows["phq9"]["instrument_name"]
    assert rows["phq9"]["score"] is None and rows["phq9"]["by"] is None
    refused = _dose(client, session)
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "pre_dose_questionnaires"
    assert not DoseAdministration.objects.filter(session=session).exists()


def test_a_skip_needs_a_reason_and_writes_nothing_without_one(personas: Any, clock: Any) -> None:
    session = _due(personas)
    client = login(Client(), personas.clinician_a)
    refused = _post(client, _url(session, "/gad7/skip"), {"reason": "  "})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "reason"
    assert not PreDoseQuestionnaire.objects.filter(session=session).exists()
    assert _states(client, session)["gad7"] == "due"


def test_skipped_and_answered_through_the_api_and_the_dose_goes_ahead(personas: Any, clock: Any) -> None:
    session = _due(personas)
    client = login(Client(), personas.clinician_a)
    skipped = _post(client, _url(session, "/gad7/skip"), {"reason": "Patient arrived late"})
    assert skipped.status_code == 200
    body = skipped.json()
    assert body["state"] == "skipped" and body["skip_reason"] == "Patient arrived late" and body["by"]
    assert _dose(client, session).status_code == 409  # the PHQ-9 is still due
    entered = _post(client, _url(session, "/phq9/answers"), {"answers": ZEROES, "idempotency_key": "api-1"})
    assert entered.status_code == 201
    assert entered.json()["state"] == "completed" and entered.json()["score"] == 0
    assert entered.json()["where"] == "chair"
    # A retry with the same key returns the first response and adds nothing.
    again = _post(client, _url(session, "/phq9/answers"), {"answers": ZEROES, "idempotency_key": "api-1"})
    assert again.status_code == 200
    assert PreDoseQuestionnaire.objects.filter(session=session).count() == 2
    assert _states(client, session) == {"phq9": "completed", "gad7": "skipped"}
    assert _dose(client, session).status_code == 201
    assert DoseAdministration.objects.filter(session=session).count() == 1


def test_answers_alone_let_the_dose_go_ahead(personas: Any, clock: Any) -> None:
    session = _due(personas)
    client = login(Client(), personas.clinician_a)
    gad7 = {f"gad7.q{n}": 1 for n in range(1, 8)}
    assert _post(client, _url(session, "/gad7/answers"), {"answers": gad7}).status_code == 201
    assert _post(client, _url(session, "/phq9/answers"), {"answers": ZEROES}).status_code == 201
    assert _dose(client, session).status_code == 201


def test_bad_answers_are_refused_naming_the_item(personas: Any, clock: Any) -> None:
    session = _due(personas)
    client = login(Client(), personas.clinician_a)
    refused = _post(client, _url(session, "/phq9/answers"), {"answers": {**ZEROES, "phq9.q3": 9}})
    assert refused.status_code == 422
    assert "phq9.q3" in json.dumps(refused.json())
    assert not PreDoseQuestionnaire.objects.filter(session=session).exists()


def test_a_positive_item_9_through_the_api_raises_the_suicide_risk_alert(personas: Any, clock: Any) -> None:
    session = _due(personas)
    client = login(Client(), personas.clinician_a)
    entered = _post(client, _url(session, "/phq9/answers"), {"answers": {**ZEROES, "phq9.q9": 1}})
    assert entered.status_code == 201 and entered.json()["suicide_risk"] is True
    assert Alert.objects.filter(patient=personas.a1, source=Alert.Source.PHQ9_ITEM9).count() == 1


def test_another_clinic_and_a_patient_get_404_and_nothing_is_written(personas: Any, clock: Any) -> None:
    session = _due(personas)
    for user in (personas.clinician_b, personas.a1.user):
        client = login(Client(), user)
        assert client.get(_url(session)).status_code == 404
        assert _post(client, _url(session, "/gad7/skip"), {"reason": "late"}).status_code == 404
        assert _post(client, _url(session, "/phq9/answers"), {"answers": ZEROES}).status_code == 404
    assert not PreDoseQuestionnaire.objects.filter(session=session).exists()
    assert not Alert.objects.filter(patient=personas.a1, source=Alert.Source.PHQ9_ITEM9).exists()


def test_an_instrument_not_due_before_this_session_is_a_404(personas: Any, clock: Any) -> None:
    session = _due(personas)
    client = login(Client(), personas.clinician_a)
    assert _post(client, _url(session, "/pcl5/skip"), {"reason": "late"}).status_code == 404
