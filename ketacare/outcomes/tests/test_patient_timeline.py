"""The clinician's patient timeline merges every source, filters, and stays inside the clinic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ketacare.alerts.tests.helpers import make_alert
from tests.support.cohort import add_scores, add_sessions, day

pytestmark = pytest.mark.django_db


def _seed(personas: Any) -> None:
    from ketacare.checkins.models import SymptomCheckin, SymptomReport
    from ketacare.journal.models import JournalEntry
    from ketacare.treatments.models import DoseAdministration, VitalSign

    a1, author = personas.a1, personas.clinician_a
    [session] = add_sessions(a1, 1, author)
    DoseAdministration.objects.create(
        clinic=a1.clinic,
        patient=a1,
        session=session,
        drug="Ketamine",
        route="iv",
        dose_mg=Decimal("35"),
        lot_number="L1",
        started_at=day(0),
        ended_at=day(0) + dt.timedelta(minutes=40),
        created_by=author,
    )
    for minutes, systolic in ((0, 128), (40, 152)):
        VitalSign.objects.create(
            clinic=a1.clinic,
            patient=a1,
            session=session,
            kind="in_session",
            measured_at=day(0) + dt.timedelta(minutes=minutes),
            systolic_mmhg=systolic,
            diastolic_mmhg=84,
            heart_rate_bpm=80,
            spo2_pct=97,
            created_by=author,
        )
    add_scores(a1, [(0, 20), (7, 9)])
    checkin = SymptomCheckin.objects.create(
        clinic=a1.clinic,
        patient=a1,
        submitted_at=day(0) + dt.timedelta(hours=1),
        idempotency_key="k1",
        triage_level="self_care",
    )
    SymptomReport.objects.create(
        clinic=a1.clinic,
        patient=a1,
        checkin=checkin,
        last_checkin=checkin,
        symptom_id="nausea",
        kind="side_effect",
        name="Nausea",
        severity="mild",
        level="self_care",
        route="iv",
        dose_started_at=day(0),
        expected_resolution_min=240,
        started_at=day(0) + dt.timedelta(hours=1),
        resolved_at=day(0) + dt.timedelta(hours=3),
    )
    make_alert(a1, title="Red flag alert")
    JournalEntry.objects.create(
        clinic=a1.clinic,
        patient=a1,
        written_at=day(1),
        text="Felt lighter today",
        shared_with_clinic=True,
        idempotency_key="j1",
    )
    JournalEntry.objects.create(
        clinic=a1.clinic,
        patient=a1,
        written_at=day(2),
        text="Private thoughts",
        shared_with_clinic=False,
        idempotency_key="j2",
    )


def test_it_merges_every_source_newest_first(personas: Any, client_for: Any) -> None:
    _seed(personas)
    body = (
        client_for("clinician_a").get(f"/clinic/patients/{personas.a1.public_id}/timeline/").content.decode()
    )
    for text in (
        "Session (IV",
        "Ketamine 35 mg (",
        "2 vital-sign readings: highest BP 152/84",
        "PHQ-9 9",
        "Nausea (mild)",
        "gone between 60 minutes and 3 hours after the dose",
        "(40 min)",  # the infusion: a real duration
        "Red flag alert",
        "Felt lighter today",
    ):
        assert text in body, text
    assert "Private thoughts" not in body
    # Each session links to its run-sheet, where its record is.
    from ketacare.treatments.models import TreatmentSession

    session = TreatmentSession.objects.get(patient=personas.a1)
    assert f'href="/clinic/sessions/{session.public_id}/"' in body
    # From the first report to the check-in that no longer ticked it is a gap between check-ins, not
    # how long the nausea lasted: the entry shows the honest interval only.
    assert "(2.0 h)" not in body
    assert body.index("PHQ-9 9") < body.index("Felt lighter today") < body.index("Ketamine 35 mg (")


def test_it_filters_by_kind_and_date(personas: Any, client_for: Any) -> None:
    _seed(personas)
    client = client_for("clinician_a")
    url = f"/clinic/patients/{personas.a1.public_id}/timeline/"
    body = client.get(url, {"kind": ["score"]}).content.decode()
    assert "PHQ-9 20" in body and "Nausea" not in body
    body = client.get(url, {"start": day(5).date().isoformat()}).content.decode()
    assert "PHQ-9 9" in body and "PHQ-9 20" not in body
    body = client.get(url, {"start": "not-a-date"}).content.decode()
    assert "is not a date (YYYY-MM-DD)" in body


def test_staff_of_another_clinic_and_patients_get_404(personas: Any, client_for: Any) -> None:
    url = f"/clinic/patients/{personas.a1.public_id}/timeline/"
    assert client_for("clinician_b").get(url).status_code == 404
    assert client_for("a1").get(url).status_code == 404


def test_a_sessions_duration_runs_from_check_in_to_discharge(personas: Any, client_for: Any) -> None:
    # Listed at its booked time, but the patient was in the clinic from check-in to discharge.
    from tests.support.treatments import make_session

    session = make_session(personas.a1, route="iv", state="discharged")
    assert session.checked_in_at and session.discharged_at and session.checked_in_at > session.scheduled_at
    minutes = round((session.discharged_at - session.checked_in_at).total_seconds() / 60)
    booked = round((session.discharged_at - session.scheduled_at).total_seconds() / 60)
    body = (
        client_for("clinician_a").get(f"/clinic/patients/{personas.a1.public_id}/timeline/").content.decode()
    )
    assert f"({minutes} min)" in body
    assert f"({booked} min)" not in body


def test_doses_read_as_on_every_other_page(personas: Any, client_for: Any) -> None:
    # "35 mg", as the run-sheet and the register write it, never "35.00 mg".
    from ketacare.treatments.models import DoseAdministration, TreatmentSession
    from tests.support.treatments import make_session

    session = make_session(personas.a1, route="iv", state="discharged")
    TreatmentSession.objects.filter(pk=session.pk).update(planned_dose_mg=Decimal("35.00"))
    DoseAdministration.objects.filter(session=session).update(dose_mg=Decimal("35.50"))
    body = (
        client_for("clinician_a").get(f"/clinic/patients/{personas.a1.public_id}/timeline/").content.decode()
    )
    assert "Planned dose 35 mg" in body
    assert " 35.5 mg (" in body
    assert ".00 mg" not in body and "35.50 mg" not in body
