"""A questionnaire due before the dose is a pre-dose check: the dose waits until each is answered or skipped.

A new clinic's run-sheet said "Ready to dose: every pre-dose check is met." while the PHQ-9 (which holds
the suicide item) and the GAD-7 were still due, and the dose was accepted. Now the run-sheet says what is
left to do, the page and the API refuse the dose naming each questionnaire and the two ways to complete it
(enter it on this tablet, or skip it with a reason), and no prescriber's override passes it. After the
dose, one never done reads "not done before the dose", once, without an entry prompt.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.treatments import selectors, services
from ketacare.treatments.models import DoseAdministration, TreatmentSession
from ketacare.treatments.selectors import pathway as pathway_selectors
from tests.support.treatments import make_session, run_sheet, words

pytestmark = pytest.mark.django_db

# The builder's plan passed the plan gate under a prescriber's override, so its ready line says that too.
READY = "Every other pre-dose check is met."
NOT_DONE = (
    "PHQ-9 and GAD-7 are due before the dose and not answered yet: enter the answers on this tablet under "
    "Pre-dose questionnaires, or skip each with the reason under “Not done today”."
)


def _due(personas: Any) -> TreatmentSession:
    """An IV session checked in with its pre-dose vital signs, its PHQ-9 and GAD-7 still due."""
    return make_session(personas.a1, state="checked_in", questionnaires_due=True)


def _url(name: str, session: TreatmentSession, **extra: str) -> str:
    return reverse(f"treatments:{name}", kwargs={"session_id": session.public_id, **extra})


def _dose(client: Client, session: TreatmentSession) -> Any:
    return client.post(_url("dose", session), {"dose_mg": "35", "lot_number": "L1"})


def _item(session: TreatmentSession, instrument: str) -> selectors.PreDoseItem:
    return next(
        i for i in selectors.pre_dose_questionnaires(session) if i.assignment.instrument_id == instrument
    )


def test_a_questionnaire_due_means_not_ready_and_the_dose_form_waits(personas: Any, clock: Any) -> None:
    session = _due(personas)
    page = words(run_sheet(login(Client(), personas.clinician_a), session))
    assert "Ready to dose" not in page
    assert f"Not ready to dose yet. {NOT_DONE}" in page
    assert (
        "Dosing waits for the pre-dose questionnaires: enter or skip each under Pre-dose questionnaires."
        in page
    )
    # The questionnaires are not a hold a prescriber overrides: no red box, no override form for them.
    assert "Hold: do not dose" not in page and "Override these holds" not in page
    body = run_sheet(login(Client(), personas.clinician_a), session).content.decode()
    assert 'name="dose_mg"' not in body


def test_the_page_and_the_api_refuse_the_dose_naming_each_questionnaire(personas: Any, clock: Any) -> None:
    session = _due(personas)
    client = login(Client(), personas.clinician_a)
    refused = _dose(client, session)
    assert refused.status_code == 422
    assert f"Dosing waits for the pre-dose questionnaires: {NOT_DONE}" in words(refused)
    api = client.post(
        f"/api/v1/sessions/{session.public_id}/doses",
        json.dumps({"dose_mg": 35, "lot_number": "L1"}),
        content_type="application/json",
    )
    assert api.status_code == 409
    error = api.json()["errors"][0]
    assert (
        error["field"] == "pre_dose_questionnaires"
        and "PHQ-9 and GAD-7 are due before the dose" in (error["message"])
    )
    assert not DoseAdministration.objects.filter(session=session).exists()
    session.refresh_from_db()
    assert session.state == TreatmentSession.State.CHECKED_IN


def test_each_answered_or_skipped_with_a_reason_and_the_dose_goes_ahead(personas: Any, clock: Any) -> None:
    session = _due(personas)
    client = login(Client(), personas.clinician_a)
    phq9 = _item(session, "phq9").assignment
    answers = {f"phq9.q{n}": "0" for n in range(1, 10)}
    entered = client.post(
        _url("pre_dose_questionnaire", session, assignment_id=str(phq9.public_id)),
        {"idempotency_key": "chair-phq9", **answers},
    )
    assert entered.status_code == 302
    # One left: the line and the refusal name only it.
    page = words(run_sheet(client, session))
    assert "GAD-7 is due before the dose and not answered yet" in page and "PHQ-9 and GAD-7" not in page
    assert "or skip it with the reason" in page and READY not in page
    assert "GAD-7 is due before the dose" in words(_dose(client, session))
    gad7 = _item(session, "gad7").assignment
    skipped = client.post(
        _url("pre_dose_questionnaire_skip", session, assignment_id=str(gad7.public_id)),
        {"skip_reason": "Patient too anxious to read today"},
    )
    assert skipped.status_code == 302
    page = words(run_sheet(client, session))
    assert READY in page and "Not ready to dose yet" not in page
    assert _dose(client, session).status_code == 302
    assert DoseAdministration.objects.filter(session=session).count() == 1


def test_no_prescriber_override_passes_a_questionnaire_due(personas: Any, clock: Any) -> None:
    session = make_session(personas.a1, state="checked_in", questionnaires_due=True, hold=True)
    prescriber = personas.clinician_a
    services.override_hold(session=session, user=prescriber, reason="BP reviewed: usual for this patient")
    session.refresh_from_db()
    assert selectors.QUESTIONNAIRES_DUE not in (session.hold_overridden_codes or [])
    client = login(Client(), prescriber)
    page = words(run_sheet(client, session))
    assert "Dosing allowed by a prescriber's override" not in page and "Ready to dose" not in page
    assert f"Not ready to dose yet. {NOT_DONE}" in page
    assert "Dosing waits for the pre-dose questionnaires" in words(_dose(client, session))
    assert not DoseAdministration.objects.filter(session=session).exists()


def test_a_session_with_nothing_due_is_unaffected(personas: Any, clock: Any) -> None:
    # The patient's first session was held three days ago; today's is a maintenance session, before which
    # the questionnaires schedule asks for nothing.
    make_session(personas.a1, state="discharged", now=timezone.now() - dt.timedelta(days=3))
    session = make_session(personas.a1, state="checked_in", questionnaires_due=True)
    assert selectors.pre_dose_questionnaires(session) == []
    client = login(Client(), personas.clinician_a)
    page = words(run_sheet(client, session))
    assert READY in page and "Pre-dose questionnaires" not in page
    assert _dose(client, session).status_code == 302


def _dosed_before_the_check(personas: Any, monkeypatch: Any, state: str) -> TreatmentSession:
    """A session dosed with its questionnaires still due, as sessions dosed before this check was made."""
    with monkeypatch.context() as patched:
        patched.setattr(pathway_selectors, "questionnaires_hold", lambda session: None)
        return make_session(personas.a1, state=state, questionnaires_due=True)


@pytest.mark.parametrize("state", ["dosing", "observing", "discharged"])
def test_after_the_dose_one_never_done_reads_not_done_before_the_dose_once(
    personas: Any, clock: Any, monkeypatch: Any, state: str
) -> None:
    session = _dosed_before_the_check(personas, monkeypatch, state)
    response = run_sheet(login(Client(), personas.clinician_a), session)
    body = response.content.decode()
    assert body.count('data-testid="pre-dose-questionnaires"') == 1
    assert body.count('<span class="pdq-state">not done before the dose</span>') == 2  # PHQ-9 and GAD-7
    assert '<span class="pdq-state">due</span>' not in body
    assert "Enter answers on this tablet" not in body and "Not done today" not in body
