"""The demo data has past sessions on full run-sheets and one session in progress; a rerun adds nothing."""

from __future__ import annotations

import pytest

from ketacare.treatments.models import TreatmentSession, VitalSign

pytestmark = pytest.mark.django_db


def test_demo_sessions_are_complete_in_progress_and_idempotent(demo):
    discharged = TreatmentSession.objects.filter(state="discharged")
    assert discharged.count() >= 4
    assert all(s.vitals.count() >= 3 and s.doses.exists() and s.observations.exists() for s in discharged)
    live = TreatmentSession.objects.filter(state__in=["dosing", "observing"])
    assert live.count() >= 1
    # Each session in the chair is a booked one: on its plan, with its appointment at the check-in time,
    # so the plan, the appointments page and the Today board show it.
    for session in live.select_related("appointment"):
        assert session.plan_id is not None and session.appointment is not None
        assert session.appointment.starts_at == session.scheduled_at == session.checked_in_at
        assert session.appointment.status == "scheduled"
        assert session.appointment.phase == "induction"  # mid-course, as the patient's stage says
    counts = (TreatmentSession.objects.count(), VitalSign.objects.count())
    demo.seed_again()
    assert (TreatmentSession.objects.count(), VitalSign.objects.count()) == counts
