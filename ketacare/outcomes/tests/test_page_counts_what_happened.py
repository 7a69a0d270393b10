"""The outcomes page counts what happened to patients, and says so in one vocabulary.

- The drop-out funnel counts an induction appointment once its session was discharged, never by the
  appointment's status alone (the maintained count follows the discharge).
- A route's cohort is the patients dosed by that route, as the exposure table counts them.
- Every table names a route the same way; durations read in hours and days, rounded outwards.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.treatments.models import Appointment, DoseAdministration, TreatmentSession
from tests.support.checkins import make_dose
from tests.support.cohort import add_appointments, add_plan, make_patient, seed_cohort

pytestmark = pytest.mark.django_db

PAGE = "/clinic/outcomes/"


def _rows(body: str, caption: str) -> dict[str, list[str]]:
    """The rows of the table whose caption starts with ``caption``: row header -> its cells' text."""
    start = body.index(f"<caption>{caption}")
    table = body[start : body.index("</table>", start)]
    rows = {}
    for header, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', table, flags=re.S):
        rows[header.strip()] = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", cells, re.S)
        ]
    return rows


def _section_rows(body: str, heading_id: str) -> dict[str, list[str]]:
    """The rows of the first table after the section heading ``heading_id``."""
    start = body.index(f'id="{heading_id}"')
    table = body[body.index("<tbody>", start) : body.index("</table>", start)]
    rows = {}
    for header, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', table, flags=re.S):
        rows[header.strip()] = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", cells, re.S)
        ]
    return rows


def _session(appointment: Appointment, *, state: str, author: Any) -> TreatmentSession:
    return TreatmentSession.objects.create(
        clinic=appointment.clinic,
        patient=appointment.patient,
        plan=appointment.plan,
        appointment=appointment,
        protocol_id="iv_ketamine",
        route="iv",
        scheduled_at=appointment.starts_at,
        state=state,
        created_by=author,
    )


def _dose(patient: Any, route: str, author: Any) -> None:
    started = timezone.now() - dt.timedelta(days=3)
    session = make_dose(patient, route=route, started_at=started)
    DoseAdministration.objects.create(
        clinic=patient.clinic,
        patient=patient,
        session=session,
        created_by=author,
        drug="esketamine" if route == "esketamine_in" else "ketamine",
        route=route,
        dose_mg=Decimal("28" if route == "esketamine_in" else "35"),
        lot_number="L1",
        started_at=started,
    )


def test_the_funnel_counts_an_appointment_once_its_session_is_discharged(
    personas: Any, client_for: Any
) -> None:
    author = personas.clinician_a
    patient = make_patient(personas.clinic_a, "Funnel Discharged", author)
    plan = add_plan(patient, "iv", author)
    # The first appointment's session was discharged; the second was marked completed with no session
    # behind it; the third's session is still under observation.
    add_appointments(plan, ["completed", "scheduled", "scheduled", "scheduled"])
    second, third = Appointment.objects.filter(plan=plan).order_by("number")[1:3]
    second.status = Appointment.Status.COMPLETED
    second.save(update_fields=["status"])
    under_way = _session(third, state="observing", author=author)
    client = client_for("clinician_a")
    funnel = _section_rows(client.get(PAGE).content.decode(), "funnel-h")
    assert funnel["Plan made"] == ["1", "100%"]
    assert funnel["Completed session 1"] == ["1", "100%"]
    assert funnel["Completed session 2"] == ["0", "0%"]
    # Discharged later: the maintained count follows the session, not only the appointment.
    under_way.state = TreatmentSession.State.DISCHARGED
    under_way.save(update_fields=["state"])
    funnel = _section_rows(client.get(PAGE).content.decode(), "funnel-h")
    assert funnel["Completed session 2"] == ["1", "100%"]
    assert funnel["Completed session 3"] == ["0", "0%"]


def test_a_routes_cohort_is_the_patients_dosed_by_it_named_as_every_table_names_it(
    personas: Any, client_for: Any
) -> None:
    patients = seed_cohort(personas)
    author = personas.clinician_a
    # P1 (IV plan) and P4 (esketamine plan) were dosed; P2 and P6 have plans but no dose yet.
    _dose(patients["P1"], "iv", author)
    _dose(patients["P4"], "esketamine_in", author)
    checkin = SymptomCheckin.objects.create(
        clinic=personas.clinic_a, patient=patients["P4"], submitted_at=timezone.now(),
        idempotency_key="se", triage_level="self_care",
    )  # fmt: skip
    dose = DoseAdministration.objects.get(patient=patients["P4"]).started_at
    SymptomReport.objects.create(
        clinic=personas.clinic_a, patient=patients["P4"], checkin=checkin, last_checkin=checkin,
        symptom_id="headache", kind="side_effect", name="Headache", severity="mild", level="self_care",
        route="esketamine_in", dose_started_at=dose, started_at=dose + dt.timedelta(minutes=30),
    )  # fmt: skip
    body = client_for("clinician_a").get(PAGE).content.decode()
    by_route = _rows(body, "By route")
    # Cohort column: one patient dosed by each route, the other four never dosed.
    assert by_route["IV ketamine infusion"][0] == "1"
    assert by_route["Esketamine nasal spray"][0] == "1"
    assert by_route["No dose recorded"][0] == "4"
    exposure = _section_rows(body, "exposure-h")
    assert exposure["IV ketamine infusion"][1] == "1"  # patients dosed (the 365-day row)
    assert exposure["Esketamine nasal spray"][1] == "1"
    side_effects = _section_rows(body, "se-h")
    assert side_effects["Headache"][0] == "Esketamine nasal spray"
    assert "IV infusion (racemic ketamine)" not in body and ">esketamine nasal spray<" not in body


def test_side_effect_durations_read_in_hours_and_days_rounded_outwards(
    personas: Any, client_for: Any
) -> None:
    b1 = personas.a1
    dose = timezone.now() - dt.timedelta(days=5)
    checkin = SymptomCheckin.objects.create(
        clinic=b1.clinic, patient=b1, submitted_at=dose, idempotency_key="k", triage_level="self_care"
    )
    # One nausea episode seen 1,275 min after the dose and first seen gone at 4,485 min: its median
    # end lies in [1275, 4485] = [21 h 15 min, 3 days 2 h 45 min], shown as 21 h to 3 days 3 h.
    SymptomReport.objects.create(
        clinic=b1.clinic, patient=b1, checkin=checkin, last_checkin=checkin, symptom_id="nausea",
        kind="side_effect", name="Nausea", severity="mild", level="self_care", route="iv",
        dose_started_at=dose, expected_resolution_min=240, started_at=dose + dt.timedelta(minutes=60),
        last_seen_at=dose + dt.timedelta(minutes=1275), resolved_at=dose + dt.timedelta(minutes=4485),
    )  # fmt: skip
    body = client_for("clinician_a").get(PAGE).content.decode()
    nausea = _section_rows(body, "se-h")["Feeling sick (nausea)"]
    assert nausea[0] == "IV ketamine infusion"
    assert nausea[2] == "between 21 h and 3 days 3 h (1 episode)"
    # Nausea after IV: expected gone by 240 min, "longer than expected" after 720 min (knowledge base).
    assert nausea[4] == "4 h"
    assert nausea[5] == "0 of 1 (after 12 h)"
    assert "1275" not in body and "4485" not in body


def test_the_open_label_series_is_cited_as_an_abstract_without_the_website(
    personas: Any, client_for: Any
) -> None:
    body = client_for("clinician_a").get(PAGE).content.decode()
    assert "Zheng W, Zhou YL, Liu WJ, et al." in body
    assert "major depressive disorder. 2019 (abstract)" in body
    assert "Stichting OPEN" not in body
