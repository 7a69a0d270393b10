"""The demo's past courses held their sessions: each held appointment has a discharged session with the
plan's dose by its route, on a day and at a time the clinic is open, so the outcomes page counts its
responders under the route that dosed them and a Completed patient's progress page lists their doses.

Read through the pages of the demo seeded once for the session.
"""

from __future__ import annotations

import html
import re
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import opening_intervals
from ketacare.demo.past_sessions import PAST_COURSE_NOTES
from ketacare.outcomes.selectors import Period, clinic_outcomes
from ketacare.patients.models import Patient
from ketacare.treatments.models import Appointment, TreatmentPlan
from ketacare.treatments.selectors.clinic import within_opening_hours

pytestmark = pytest.mark.django_db

PRESCRIBERS = {"Harbor Ketamine Clinic": "prescriber", "Cascade Mood Center": "prescriber-b"}


def _route_rows(text: str) -> dict[str, str]:
    """The by-route table's rows on the outcomes page: route label -> the row's text."""
    table = re.search(r"<caption>By route.*?</table>", text, re.S)
    assert table is not None
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S):
        cells = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        if cells and cells[0]:
            rows[cells[0]] = " ".join(cells)
    return rows


def test_the_outcomes_page_counts_no_demo_responder_as_undosed(demo: Any) -> None:
    for clinic_name, prescriber in PRESCRIBERS.items():
        client = login(Client(), User.objects.get(email=f"{prescriber}@demo.ketacare.org"))
        page = client.get(reverse("outcomes:page"))
        assert page.status_code == 200
        rows = _route_rows(page.content.decode())
        assert "IV ketamine infusion" in rows, (clinic_name, rows)
        assert "No dose recorded" not in rows, (clinic_name, rows["No dose recorded"])
        # Every plan that began counts its first session: a past course's held sessions were discharged.
        o = clinic_outcomes(
            clinics=[Clinic.objects.get(name=clinic_name)], period=Period(), instrument_id="phq9"
        )
        assert o.funnel[0].patients == o.funnel_planned, (clinic_name, [s.patients for s in o.funnel])


def test_a_completed_patients_progress_page_lists_the_doses_of_their_course(demo: Any) -> None:
    checked = 0
    for clinic_name, prescriber in PRESCRIBERS.items():
        client = login(Client(), User.objects.get(email=f"{prescriber}@demo.ketacare.org"))
        for patient in Patient.objects.filter(clinic__name=clinic_name, stage=Patient.Stage.COMPLETED):
            plan = TreatmentPlan.objects.get(patient=patient, notes=PAST_COURSE_NOTES)
            page = client.get(reverse("companion:staff_progress", kwargs={"patient_id": patient.public_id}))
            text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.content.decode())).split())
            assert page.status_code == 200
            assert "No doses recorded yet" not in text, patient
            held = plan.appointments.filter(status=Appointment.Status.COMPLETED).count()
            assert re.search(rf"Since the first session {held} ", text), (patient, held)
            checked += 1
    assert checked


def test_each_held_past_session_was_discharged_with_the_plans_dose(demo: Any) -> None:
    plans = TreatmentPlan.objects.filter(notes=PAST_COURSE_NOTES).prefetch_related(
        "appointments__session__doses"
    )
    assert plans
    for plan in plans:
        for appointment in plan.appointments.all():
            if appointment.status != Appointment.Status.COMPLETED:
                continue
            session = appointment.session
            assert session.state == "discharged", plan
            doses = list(session.doses.all())
            assert {d.route for d in doses} == {plan.route}
            total = sum((d.dose_mg for d in doses), Decimal("0"))
            if plan.route == "iv":
                assert len(doses) == 1 and plan.mg_per_kg and plan.weight_kg, plan
                assert total == (plan.mg_per_kg * plan.weight_kg).quantize(Decimal("0.01")), plan
            else:
                assert total == plan.dose_mg and len(doses) == plan.devices, plan
                assert [d.device_number for d in doses] == list(range(1, len(doses) + 1))


def test_past_course_sessions_fall_inside_the_clinics_opening_hours(demo: Any) -> None:
    checked = 0
    for clinic in Clinic.objects.all():
        intervals = opening_intervals(clinic)
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        assert intervals
        for appointment in Appointment.objects.filter(plan__clinic=clinic, plan__notes=PAST_COURSE_NOTES):
            starts = appointment.starts_at.astimezone(zone)
            where = (clinic.name, f"{starts:%a %H:%M}")
            assert within_opening_hours(intervals, starts, appointment.duration_min), where
            checked += 1
    assert checked
