"""The drop-out funnel reads maintained per-plan counts, kept with each appointment and discharge.

An induction appointment counts as completed once its session is discharged (outcomes.funnel_sql).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Count, Q

from ketacare.outcomes.models import PlanFunnel
from ketacare.outcomes.selectors import Period, clinic_outcomes
from ketacare.outcomes.services import rebuild_plan_funnels
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession
from ketacare.treatments.services.discharge import discharge_session
from tests.support.cohort import add_appointments, add_plan, make_patient, seed_cohort
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def _funnel(clinic: Any) -> list[int]:
    o = clinic_outcomes(clinics=[clinic], period=Period(), instrument_id="phq9")
    return [o.funnel_planned, *[s.patients for s in o.funnel]]


def _counted_from_appointments(clinic: Any) -> list[int]:
    """The funnel counted from every induction appointment with a discharged session (the definition,
    unmaintained)."""
    done = (
        Appointment.objects.filter(plan__clinic=clinic, phase="induction", session__state="discharged")
        .values("patient_id")
        .annotate(done=Count("pk"))
        .aggregate(**{f"s{k}": Count("patient_id", filter=Q(done__gte=k)) for k in range(1, 7)})
    )
    planned = TreatmentPlan.objects.filter(clinic=clinic).values("patient_id").distinct().count()
    return [planned, *[done[f"s{k}"] for k in range(1, 7)]]


def test_a_plans_count_follows_its_appointments_created_changed_and_deleted(personas: Any) -> None:
    patient = make_patient(personas.clinic_a, "Funnel One")
    plan = add_plan(patient, "iv", personas.clinician_a)
    add_appointments(plan, ["completed", "completed", "scheduled", "cancelled"])
    assert PlanFunnel.objects.get(plan=plan).completed_induction == 2
    third = Appointment.objects.get(plan=plan, number=3)
    # Its status alone completes nothing: no session was discharged for it.
    third.status = "completed"
    third.save()
    assert PlanFunnel.objects.get(plan=plan).completed_induction == 2
    session = TreatmentSession.objects.create(
        clinic=plan.clinic, patient=patient, plan=plan, appointment=third, protocol_id=plan.protocol_id,
        route="iv", scheduled_at=third.starts_at, state="observing", created_by=personas.clinician_a,
    )  # fmt: skip
    assert PlanFunnel.objects.get(plan=plan).completed_induction == 2
    session.state = "discharged"
    session.save()
    assert PlanFunnel.objects.get(plan=plan).completed_induction == 3
    first = Appointment.objects.get(plan=plan, number=1)
    TreatmentSession.objects.filter(appointment=first).delete()
    first.delete()
    assert PlanFunnel.objects.get(plan=plan).completed_induction == 2
    assert _funnel(personas.clinic_a) == [1, 1, 1, 0, 0, 0, 0]


def test_a_discharge_through_the_service_completes_its_appointment_in_the_funnel(personas: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=90)
    assert _funnel(personas.clinic_a)[1] == 0
    discharge_session(
        session=session, user=personas.a1.primary_clinician, ride_present=True, instructions_given=True
    )
    assert Appointment.objects.get(pk=session.appointment_id).status == "completed"
    assert PlanFunnel.objects.get(plan_id=session.plan_id).completed_induction == 1
    assert _funnel(personas.clinic_a) == _counted_from_appointments(personas.clinic_a)
    assert _funnel(personas.clinic_a)[1] == 1


def test_the_rebuild_restores_the_counts_kept_appointment_by_appointment(personas: Any) -> None:
    patients = seed_cohort(personas)
    add_appointments(patients["P1"].plan, ["completed"] * 6)
    add_appointments(patients["P2"].plan, ["completed"] * 3 + ["cancelled", "scheduled", "scheduled"])
    add_appointments(patients["P4"].plan, ["completed", "cancelled"])
    kept = _funnel(personas.clinic_a)
    assert kept == _counted_from_appointments(personas.clinic_a) == [4, 3, 2, 2, 1, 1, 1]
    PlanFunnel.objects.all().delete()
    assert _funnel(personas.clinic_a) == [4, 0, 0, 0, 0, 0, 0]  # the page reads the maintained counts
    rebuilt = rebuild_plan_funnels(clinic_ids=[personas.clinic_a.pk, personas.clinic_b.pk])
    assert rebuilt >= 4  # every plan of both clinics, completed or not
    assert _funnel(personas.clinic_a) == kept
