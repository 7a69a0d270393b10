"""The demo's REMS forms carry the blood pressures its run-sheets show taken (what a tester opens first)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.clinics.models import StaffMembership
from ketacare.treatments import selectors
from ketacare.treatments.models import RemsForm

pytestmark = pytest.mark.django_db


def test_each_demo_rems_form_shows_the_blood_pressures_of_its_run_sheet(demo):
    forms = list(RemsForm.objects.select_related("session", "session__clinic"))
    assert forms
    # Each clinic's own prescriber (one clinic each) opens its forms.
    clients = {
        m.clinic_id: login(Client(), m.user)
        for m in StaffMembership.objects.filter(role="prescriber", user__email__startswith="prescriber")
    }
    for form in forms:
        session = form.session
        # The run-sheet shows every checkpoint done ...
        assert {c.status for c in selectors.checkpoints(session, timezone.now())} == {"done"}
        readings = [v for v in selectors.valid_vitals(session) if v.kind == "in_session"]
        # ... so the form has all three, the end set being the last one before discharge.
        pre = selectors.baseline_vitals(session)
        assert pre is not None
        assert (form.bp_pre_systolic_mmhg, form.bp_pre_diastolic_mmhg) == (
            pre.systolic_mmhg,
            pre.diastolic_mmhg,
        )
        start = session.dose_started_at
        near = [v for v in readings if 20 * 60 <= (v.measured_at - start).total_seconds() <= 60 * 60]
        forty = min(near, key=lambda v: abs((v.measured_at - start).total_seconds() - 40 * 60))
        assert (form.bp_40min_systolic_mmhg, form.bp_40min_diastolic_mmhg) == (
            forty.systolic_mmhg,
            forty.diastolic_mmhg,
        )
        last = readings[-1]
        assert (form.bp_end_systolic_mmhg, form.bp_end_diastolic_mmhg) == (
            last.systolic_mmhg,
            last.diastolic_mmhg,
        )
        response = clients[session.clinic_id].get(
            reverse("treatments:rems_form", kwargs={"session_id": session.public_id})
        )
        assert response.status_code == 200
        page = response.content.decode()
        for field, (sys_, dia) in {
            "bp_pre": (form.bp_pre_systolic_mmhg, form.bp_pre_diastolic_mmhg),
            "bp_40min": (form.bp_40min_systolic_mmhg, form.bp_40min_diastolic_mmhg),
            "bp_end": (form.bp_end_systolic_mmhg, form.bp_end_diastolic_mmhg),
        }.items():
            assert re.search(rf'<dd data-field="{field}">{sys_}/{dia} mmHg</dd>', page), field
        assert "No reading recorded" not in page
