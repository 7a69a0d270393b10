"""A draw of the session not yet accounted for keeps the patient from a nurse's discharge
(`controlled_drug_open`); a prescriber may override it with a reason, and the draw stays closable on the
run-sheet after discharge, listed on the register's home page until it is (docs/decisions/0021)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.alerts.models import Alert
from ketacare.lib.errors import ConflictError
from ketacare.register import selectors, services
from ketacare.register.models import Draw, Entry, RegisterSettings
from ketacare.treatments import selectors as treatment_selectors
from ketacare.treatments.errors import DischargeRefused
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.services import (
    cancel_session,
    discharge_session,
    end_dosing,
    record_dose,
    record_observation,
    record_vital_signs,
)
from tests.support.cohort import make_patient
from tests.support.register import add_nurse, receive, start_register, totp_now
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")  # Clinic A's zone
READY = {"ride_present": "on", "instructions_given": "on"}
OVERRIDE = "Patient stable and collected by family; the nurse accounts for the vial after discharge."


@contextmanager
def _at(when: dt.datetime) -> Iterator[None]:
    with time_machine.travel(when, tick=False):
        yield


def _fresh(session: TreatmentSession) -> TreatmentSession:
    return TreatmentSession.objects.select_related("clinic", "patient").get(pk=session.pk)


def _vitals_due(session: TreatmentSession, user: Any, *, until: dt.datetime) -> None:
    """A normal set at each checkpoint come by `until` and not taken, at its own time (as a nurse does)."""
    for point in treatment_selectors.checkpoints(_fresh(session), until):
        if point.code == "pre_dose" or point.status == "done" or point.due_at > until:
            continue
        with _at(point.due_at):
            record_vital_signs(
                session=_fresh(session),
                user=user,
                systolic_mmhg=124,
                diastolic_mmhg=79,
                heart_rate_bpm=73,
                spo2_pct=98,
            )


@pytest.fixture
def stocked(personas: Any) -> dict[str, Any]:
    """Clinic A keeps its register: 4 vials of 500 mg of lot K-LOT-1 in Safe 1, and a nurse."""
    location, product = start_register(personas)
    lot = receive(personas, product, location, units=4)
    return {"location": location, "product": product, "lot": lot, "nurse": add_nurse(personas.clinic_a)}


def _infused(personas: Any, stocked: dict[str, Any], patient: Any, *, units: int = 1) -> dict[str, Any]:
    """An IV session observed 70 minutes after a 35 mg infusion from a vial drawn for it; every other
    discharge criterion met, the draw still open (the vial's remainder not yet wasted)."""
    prescriber = personas.clinician_a
    now = timezone.now()
    start = now - dt.timedelta(minutes=110)
    end = start + dt.timedelta(minutes=40)
    with _at(start):
        session = make_session(patient, state="checked_in", now=start)
        draw = services.draw_stock(
            session=session,
            user=prescriber,
            lot=stocked["lot"],
            location=stocked["location"],
            units=units,
        )
        record_dose(session=session, user=prescriber, dose_mg=35, lot_number=stocked["lot"].number)
    _vitals_due(session, prescriber, until=end)
    with _at(end):
        end_dosing(session=_fresh(session), user=prescriber)
    observed = now - dt.timedelta(minutes=1)
    _vitals_due(session, prescriber, until=observed)
    with _at(observed):
        record_vital_signs(
            session=_fresh(session),
            user=prescriber,
            systolic_mmhg=126,
            diastolic_mmhg=80,
            heart_rate_bpm=74,
            spo2_pct=98,
        )
        record_observation(session=_fresh(session), user=prescriber, moaas_score=5, dissociation="none")
    return {"session": _fresh(session), "draw": draw}


def _close(draw: Draw, user: Any, witness: Any) -> list[Entry]:
    return services.close_draw(
        draw=draw, user=user, witness=services.VerifiedWitness(user=witness, verified_at=timezone.now())
    )


def _codes(session: TreatmentSession) -> list[str]:
    check = treatment_selectors.readiness(
        _fresh(session), timezone.now(), ride_present=True, instructions_given=True
    )
    assert check is not None
    return [c.code for c in check.unmet]


# ---- through the services ------------------------------------------------------------------------


def test_a_nurse_cannot_discharge_while_a_draw_is_open_and_is_told_which_lot(
    personas: Any, stocked: dict[str, Any]
) -> None:
    built = _infused(personas, stocked, personas.a1)
    session, draw, nurse = built["session"], built["draw"], stocked["nurse"]
    # The open draw is the only thing missing, and it is not a door criterion: not "ready for discharge".
    assert _codes(session) == ["controlled_drug_open"]
    assert treatment_selectors.effective_state(session, timezone.now()) == "observing"
    with pytest.raises(DischargeRefused) as refused:
        discharge_session(session=session, user=nurse, ride_present=True, instructions_given=True)
    [(code, message)] = refused.value.unmet
    drawn = draw.drawn_at.astimezone(NEW_YORK)
    assert code == "controlled_drug_open"
    assert message == (
        f"Controlled drug not accounted for: lot K-LOT-1 of {stocked['product'].name}: 1 vial drawn at "
        f"{drawn:%H:%M}. Waste what is left of an opened vial with a witness and return unopened ones "
        "(Controlled drugs panel)."
    )
    # Clinic time, not the server's UTC.
    assert f"{draw.drawn_at.astimezone(dt.UTC):%H:%M}" not in message
    # A nurse's reason is no override.
    with pytest.raises(DischargeRefused, match=r"an override needs a prescriber\): Controlled drug not"):
        discharge_session(
            session=session, user=nurse, ride_present=True, instructions_given=True, override_reason="x"
        )
    session.refresh_from_db()
    assert session.state == "observing" and session.discharged_at is None
    assert not Alert.objects.filter(source=Alert.Source.DISCHARGE_OVERRIDE).exists()


def test_once_the_draw_is_closed_the_nurse_discharges(personas: Any, stocked: dict[str, Any]) -> None:
    built = _infused(personas, stocked, personas.a1)
    session, nurse = built["session"], stocked["nurse"]
    waste = _close(built["draw"], nurse, personas.clinician_a)
    assert [(e.kind, e.change_mg) for e in waste] == [("waste", Decimal("-465.00"))]
    assert _codes(session) == []
    assert treatment_selectors.effective_state(_fresh(session), timezone.now()) == "ready_for_discharge"
    discharged = discharge_session(session=session, user=nurse, ride_present=True, instructions_given=True)
    assert discharged.state == "discharged" and discharged.discharge_overridden_criteria == []


def test_a_prescriber_overrides_with_a_reason_and_the_draw_is_closed_after_discharge(
    personas: Any, stocked: dict[str, Any]
) -> None:
    built = _infused(personas, stocked, personas.a1)
    session, draw = built["session"], built["draw"]
    discharged = discharge_session(
        session=session,
        user=personas.clinician_a,
        ride_present=True,
        instructions_given=True,
        override_reason=OVERRIDE,
    )
    assert discharged.state == "discharged"
    assert discharged.discharge_overridden_criteria == ["controlled_drug_open"]
    alert = Alert.objects.get(source=Alert.Source.DISCHARGE_OVERRIDE, patient=personas.a1)
    assert "controlled drug not accounted for" in alert.title and "controlled_drug_open" not in alert.title
    assert "lot K-LOT-1" in alert.detail and OVERRIDE in alert.detail
    # The override does not account for the drug: the draw is still open, and still closable.
    draw.refresh_from_db()
    assert draw.closed_at is None
    assert services.outstanding_mg(stocked["lot"], stocked["location"]) == Decimal("465")
    waste = _close(draw, stocked["nurse"], personas.clinician_a)
    assert [e.kind for e in waste] == ["waste"] and waste[0].session_id == session.pk
    assert services.balance_mg(stocked["lot"], stocked["location"]) == Decimal("1500")
    assert services.outstanding_mg(stocked["lot"], stocked["location"]) == 0
    # The discharged session's checklist no longer lists it.
    assert "controlled_drug_open" not in _codes(session)


def test_each_open_draw_is_named_in_one_query_and_overridden_once(
    personas: Any, stocked: dict[str, Any]
) -> None:
    built = _infused(personas, stocked, personas.a1)
    session = built["session"]
    second = services.draw_stock(
        session=session, user=personas.clinician_a, lot=stocked["lot"], location=stocked["location"], units=2
    )
    with CaptureQueriesContext(connection) as queries:
        found = services.open_draw_criteria(None, session=session, now=timezone.now())
    assert len(queries.captured_queries) == 1
    assert [c.code for c in found] == ["controlled_drug_open"] * 2
    assert "1 vial drawn at" in found[0].message and "2 vials drawn at" in found[1].message
    assert f"{second.drawn_at.astimezone(NEW_YORK):%H:%M}" in found[1].message
    discharged = discharge_session(
        session=session,
        user=personas.clinician_a,
        ride_present=True,
        instructions_given=True,
        override_reason=OVERRIDE,
    )
    assert discharged.discharge_overridden_criteria == ["controlled_drug_open"]
    alert = Alert.objects.get(source=Alert.Source.DISCHARGE_OVERRIDE, patient=personas.a1)
    assert alert.title.count("controlled drug not accounted for") == 1


def test_no_criterion_at_a_clinic_that_does_not_keep_its_register(
    personas: Any, stocked: dict[str, Any]
) -> None:
    # A clinic without a register: the core's checklist alone, ready as before.
    elsewhere = make_session(personas.b1, state="observing", minutes_since_dose_end=70)
    check = treatment_selectors.readiness(
        elsewhere, timezone.now(), ride_present=True, instructions_given=True
    )
    assert check is not None and check.ready and check.unmet == ()
    # A draw row of a clinic whose register settings are gone counts for nothing either.
    built = _infused(personas, stocked, personas.a1)
    assert _codes(built["session"]) == ["controlled_drug_open"]
    RegisterSettings.objects.filter(clinic=personas.clinic_a).delete()
    assert _codes(built["session"]) == []
    discharged = discharge_session(
        session=built["session"], user=stocked["nurse"], ride_present=True, instructions_given=True
    )
    assert discharged.state == "discharged"


# ---- through HTTP ------------------------------------------------------------------------------


def _discharge(client: Any, session: TreatmentSession, data: dict[str, str]) -> Any:
    return client.post(reverse("treatments:discharge", kwargs={"session_id": session.public_id}), data)


def _sheet(client: Any, session: TreatmentSession) -> str:
    response = client.get(reverse("treatments:run_sheet", kwargs={"session_id": session.public_id}))
    assert response.status_code == 200
    return response.content.decode()


def _panel(page: str) -> str:
    found = re.search(r'<section[^>]*data-testid="controlled-drugs".*?</section>', page, re.S)
    assert found, "no Controlled drugs panel on the page"
    return found.group(0)


def _open_draws_section(page: str) -> str:
    found = re.search(r'<section[^>]*data-testid="open-draws-after".*?</section>', page, re.S)
    assert found, "no open-draws section on the register's home page"
    return found.group(0)


def test_over_http_a_nurse_is_refused_and_a_prescriber_overrides(
    personas: Any, stocked: dict[str, Any], client_for: Any
) -> None:
    from django.test import Client

    built = _infused(personas, stocked, personas.a1)
    session = built["session"]
    nurse = login(Client(), stocked["nurse"])
    sheet = _sheet(nurse, session)
    assert 'data-testid="session-state">Observing<' in sheet
    assert "Controlled drug not accounted for: lot K-LOT-1" in sheet  # on the discharge checklist
    refused = _discharge(nurse, session, READY)
    assert refused.status_code == 422
    assert "Controlled drug not accounted for: lot K-LOT-1" in refused.content.decode()
    session.refresh_from_db()
    assert session.state == "observing"
    allowed = _discharge(client_for("clinician_a"), session, {**READY, "override_reason": OVERRIDE})
    assert allowed.status_code == 302
    session.refresh_from_db()
    assert session.state == "discharged" and session.discharge_overridden_criteria == ["controlled_drug_open"]
    assert (
        "controlled drug not accounted for" in Alert.objects.get(source=Alert.Source.DISCHARGE_OVERRIDE).title
    )
    # The run-sheet names the overridden criterion in words, not by its code.
    after = _sheet(nurse, session)
    assert "Prescriber override (controlled drug not accounted for)" in after
    assert "(controlled_drug_open)" not in after


def test_after_discharge_the_panel_closes_the_open_draw_over_http(
    personas: Any, stocked: dict[str, Any], client_for: Any
) -> None:
    built = _infused(personas, stocked, personas.a1)
    session, draw = built["session"], built["draw"]
    discharge_session(
        session=session,
        user=personas.clinician_a,
        ride_present=True,
        instructions_given=True,
        override_reason=OVERRIDE,
    )
    client = client_for("clinician_a")
    close_url = reverse("register:close_draw", kwargs={"session_id": session.public_id})
    panel = _panel(_sheet(client, session))
    assert 'data-testid="open-draws-after-session"' in panel
    assert f'action="{close_url}"' in panel and f'value="{draw.public_id}"' in panel
    assert "Draw from the safe" not in panel  # no new draw for a session that has ended
    # The form says what closing will post before anyone presses it: 35 mg given from a 500 mg vial.
    outcome = re.search(r'data-testid="close-draw-outcome">(.*?)</p>', panel, re.S)
    assert outcome is not None
    words = re.sub(r"<[^>]+>", "", outcome.group(1))
    assert "Closing it now wastes 465 mg (9.3 ml), what is left of the opened vial" in words
    assert "A waste needs a witness" in words and 'name="witness_email"' in panel
    form = {"draw": str(draw.public_id), "witness_email": stocked["nurse"].email}
    # An opened vial's remainder needs the witness's own password and code.
    refused = client.post(close_url, {**form, "witness_password": "wrong", "witness_code": "000000"})
    assert refused.status_code == 200 and "not right" in refused.content.decode()
    draw.refresh_from_db()
    assert draw.closed_at is None
    closed = client.post(
        close_url,
        {**form, "witness_password": "witness-Pass-1", "witness_code": totp_now(stocked["nurse"])},
    )
    assert closed.status_code == 200
    draw.refresh_from_db()
    assert draw.closed_at is not None
    waste = Entry.objects.get(draw=draw, kind="waste")
    assert waste.change_mg == Decimal("-465.00") and waste.witness == stocked["nurse"]
    assert waste.recorded_by == personas.clinician_a
    after = _panel(_sheet(client, session))
    assert "accounted for" in after and f'action="{close_url}"' not in after
    assert 'data-testid="open-draws-after-session"' not in after


def test_a_discharged_session_with_nothing_drawn_says_so(personas: Any, client_for: Any) -> None:
    # Discharged before the clinic started its register (a dose at a register clinic needs a draw).
    session = make_session(personas.a1, state="discharged")
    start_register(personas)
    panel = _panel(_sheet(client_for("clinician_a"), session))
    assert "Nothing was drawn from the register for this session." in panel
    assert "Close the draw" not in panel and "Draw from the safe" not in panel


def test_the_panel_shows_from_check_in_on_and_before_it_only_with_a_draw(
    personas: Any, stocked: dict[str, Any], client_for: Any
) -> None:
    client = client_for("clinician_a")
    scheduled = make_session(personas.a1, state="scheduled")
    assert 'data-testid="controlled-drugs"' not in _sheet(client, scheduled)
    checked_in = make_session(personas.a2, state="checked_in")
    assert "Draw from the safe" in _panel(_sheet(client, checked_in))
    draw = services.draw_stock(
        session=checked_in,
        user=personas.clinician_a,
        lot=stocked["lot"],
        location=stocked["location"],
        units=1,
    )
    # A session is not cancelled with drug drawn for it: the vial goes back (or its waste is witnessed)
    # first, and the refusal names the lot (docs/decisions/0021).
    with pytest.raises(ConflictError) as refused:
        cancel_session(session=checked_in, user=personas.clinician_a, reason="Patient felt unwell")
    assert refused.value.field == "cancel_reason" and "K-LOT-1" in refused.value.message
    assert _fresh(checked_in).state == TreatmentSession.State.CHECKED_IN
    _close(draw, stocked["nurse"], personas.clinician_a)
    cancel_session(session=checked_in, user=personas.clinician_a, reason="Patient felt unwell")
    # Cancelled after its draw was accounted for: the panel stays as the session's record, nothing to draw.
    panel = _panel(_sheet(client, checked_in))
    assert "Draw from the safe" not in panel


def test_the_register_home_lists_open_draws_of_ended_sessions_only(
    personas: Any, stocked: dict[str, Any], client_for: Any
) -> None:
    client = client_for("clinician_a")
    assert "No open draws." in _open_draws_section(client.get(reverse("register:home")).content.decode())
    left_open = _infused(personas, stocked, personas.a1)
    accounted = _infused(personas, stocked, personas.a2)
    _close(accounted["draw"], stocked["nurse"], personas.clinician_a)
    for built in (left_open, accounted):
        discharge_session(
            session=built["session"],
            user=personas.clinician_a,
            ride_present=True,
            instructions_given=True,
            override_reason=OVERRIDE,
        )
    # A session in the chair with its vial drawn is not "after the session".
    third = make_patient(personas.clinic_a, "Third Patient", personas.clinician_a)
    live = make_session(third, state="checked_in")
    services.draw_stock(
        session=live, user=personas.clinician_a, lot=stocked["lot"], location=stocked["location"], units=1
    )
    assert [d.pk for d in selectors.open_draws_after_session(personas.clinic_a)] == [left_open["draw"].pk]
    section = _open_draws_section(client.get(reverse("register:home")).content.decode())
    run_sheet = reverse("treatments:run_sheet", kwargs={"session_id": left_open["session"].public_id})
    assert "Open draws after the session ended (1)" in section
    assert f'href="{run_sheet}"' in section and "K-LOT-1" in section
    drawn = left_open["draw"].drawn_at.astimezone(NEW_YORK)
    assert f"1 vial at {drawn:%Y-%m-%d %H:%M}" in section  # clinic time
    assert str(accounted["session"].public_id) not in section and str(live.public_id) not in section
    # No patient named on the register's page.
    for patient in (personas.a1, personas.a2, third):
        assert patient.full_name not in section and patient.title_label() not in section
    _close(left_open["draw"], stocked["nurse"], personas.clinician_a)
    after = _open_draws_section(client.get(reverse("register:home")).content.decode())
    assert "No open draws." in after and run_sheet not in after


def test_over_http_a_cancel_with_an_open_draw_is_refused_and_says_why(
    personas: Any, stocked: dict[str, Any], client_for: Any
) -> None:
    session = make_session(personas.a1, state="checked_in")
    services.draw_stock(
        session=session, user=personas.clinician_a, lot=stocked["lot"], location=stocked["location"], units=1
    )
    client = client_for("clinician_a")
    response = client.post(
        reverse("treatments:cancel", kwargs={"session_id": session.public_id}),
        {"cancel_reason": "Blood pressure too high to dose today"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Not cancelled: controlled drug drawn for this session is not accounted for." in page
    assert "K-LOT-1" in page
    assert re.search(r"<details[^>]*\bopen\b[^>]*>\s*<summary>Cancel this session", page)
    assert _fresh(session).state == TreatmentSession.State.CHECKED_IN
    api = client.post(
        f"/api/v1/sessions/{session.public_id}/cancel",
        {"reason": "Blood pressure too high to dose today"},
        content_type="application/json",
    )
    assert api.status_code == 409 and "K-LOT-1" in api.json()["detail"]
    assert _fresh(session).state == TreatmentSession.State.CHECKED_IN
