"""The demo seeding: deterministic, idempotent, every role present, scaling with --patients.

All but the command-line test read the demo seeded once for the session (the `demo` fixture).
"""

from __future__ import annotations

import random

import pytest

from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic, StaffMembership
from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_two_clinics_every_role_and_patients_per_clinic(demo):
    assert Clinic.objects.count() == 2
    for clinic in Clinic.objects.all():
        assert set(StaffMembership.objects.filter(clinic=clinic).values_list("role", flat=True)) == {
            "clinic_admin",
            "prescriber",
            "nurse",
        }
        assert Patient.objects.filter(clinic=clinic).count() == demo.patients_per_clinic
        assert Patient.objects.filter(clinic=clinic).values("stage").distinct().count() >= 4
    assert all(
        User.objects.get(email=email).check_password(password) for _, email, password in demo.logins[:1]
    )


def test_running_the_demo_twice_adds_nothing(demo):
    counts = (User.objects.count(), Patient.objects.count(), StaffMembership.objects.count())
    demo.seed_again()
    assert (User.objects.count(), Patient.objects.count(), StaffMembership.objects.count()) == counts


def test_seeding_check_ins_again_in_another_order_changes_no_stored_check_in(demo):
    """`make demo` again after staff used the demo (a patient given a session since, so the patients
    are walked with other draws in between): each stored check-in's content depends on its own
    session only, so the second seeding finds every key with the same content instead of failing."""
    from ketacare.checkins.models import SymptomCheckin
    from ketacare.demo import checkins as demo_checkins
    from ketacare.demo.seed import DemoContext

    stored = dict(SymptomCheckin.objects.values_list("idempotency_key", "mood_0_10"))
    by_clinic = {}
    for clinic in Clinic.objects.order_by("pk"):
        by_clinic[str(clinic.pk)] = list(Patient.objects.filter(clinic=clinic).order_by("-pk"))
    other_draws = DemoContext(random.Random(7), demo.now, {}, {}, by_clinic, lambda items, label: items)
    demo_checkins.seed_app(other_draws)
    again = dict(SymptomCheckin.objects.values_list("idempotency_key", "mood_0_10"))
    assert {key: again[key] for key in stored} == stored


def test_the_same_seed_gives_the_same_patients_and_the_database_holds_them(demo):
    import random

    from ketacare.demo.seed import synthetic_patients

    count = demo.patients_per_clinic
    first = synthetic_patients(random.Random(demo.seed), "a", count)
    assert first == synthetic_patients(random.Random(demo.seed), "a", count)
    assert first != synthetic_patients(random.Random(demo.seed + 1), "a", count)
    stored = list(
        Patient.objects.filter(clinic__name="Harbor Ketamine Clinic")
        .order_by("medical_record_number")
        .values_list("medical_record_number", "full_name", "date_of_birth")
    )
    # Clinic A is seeded first from a fresh Random(seed), so its rows are the first draw.
    assert stored == [(p.medical_record_number, p.full_name, p.date_of_birth) for p in first]


def test_the_cli_seeds_and_prints_logins_as_json(tmp_path):
    import json

    from typer.testing import CliRunner

    from ketacare import cli

    cli._register_subcommands()
    result = CliRunner().invoke(cli.app, ["demo-data", "--patients", "31", "--json", "--no-migrate"])
    assert result.exit_code == 0, result.output
    emails = {row["email"] for row in json.loads(result.output)}
    assert "admin@demo.ketacare.org" in emails and "patient1-a@demo.ketacare.org" in emails


def test_plan_and_session_weights_agree_with_the_intake_weight(demo):
    """One patient, one weight: the plan doses from the intake weight and check-ins drift from it by little."""
    from ketacare.intake.selectors import intake_summary
    from ketacare.treatments.models import TreatmentPlan, TreatmentSession

    checked = 0
    for patient in Patient.objects.all():
        latest = intake_summary(patient).latest_weight
        if latest is None:
            continue
        intake_kg = float(latest.weight_kg)
        plans = [
            float(w)
            for w in TreatmentPlan.objects.filter(patient=patient).values_list("weight_kg", flat=True)
            if w is not None
        ]
        sessions = [
            float(w)
            for w in TreatmentSession.objects.filter(patient=patient).values_list("weight_kg", flat=True)
            if w is not None
        ]
        for weight in plans + sessions:
            assert abs(weight - intake_kg) <= 1.5, (patient.full_name, intake_kg, plans, sessions)
        checked += len(plans) + len(sessions)
    assert checked >= 10  # the demo's plans and checked-in sessions were all looked at


def test_the_demo_clinics_have_opening_hours_so_patients_are_told_when_they_are_open(demo):
    import datetime as dt

    from ketacare.clinics.selectors import clinic_contact

    for clinic in Clinic.objects.all():
        assert clinic.opening_hours.filter(weekday__lte=4).count() == 5, clinic.name
        # A Tuesday at 10:00 at the clinic is in hours; a Sunday at 10:00 is not.
        tuesday = dt.datetime(2026, 11, 3, 10, 0, tzinfo=clinic.zone)
        sunday = dt.datetime(2026, 11, 8, 10, 0, tzinfo=clinic.zone)
        assert clinic_contact(clinic, tuesday).open_now, clinic.name
        assert not clinic_contact(clinic, sunday).open_now, clinic.name
    hours = {c.name: [str(h) for h in c.opening_hours.all()] for c in Clinic.objects.all()}
    demo.seed_again()
    assert {c.name: [str(h) for h in c.opening_hours.all()] for c in Clinic.objects.all()} == hours


def test_a_login_patients_summary_shows_the_intakes_sex_and_their_e_mail(demo):
    import re

    from django.test import Client
    from django.urls import reverse

    from conftest import login
    from ketacare.intake.models import Intake

    prescriber = User.objects.get(email="prescriber@demo.ketacare.org")
    client = login(Client(), prescriber)
    patients = Patient.objects.filter(clinic__name="Harbor Ketamine Clinic", user__isnull=False)
    assert patients.count() == 3
    for patient in patients:
        intake = Intake.objects.get(patient=patient, status="current")
        assert patient.sex == intake.sex and patient.email == patient.user.email
        page = client.get(
            reverse("patients:detail", kwargs={"patient_id": patient.public_id})
        ).content.decode()
        assert f'data-testid="sex">{intake.get_sex_display()}</dd>' in page
        assert re.search(rf'data-testid="email">{re.escape(patient.email)}</dd>', page)
    # Registration records a sex for every demo patient, with or without an intake.
    assert not Patient.objects.filter(sex="unknown").exists()


def test_the_demo_books_no_session_outside_its_clinics_opening_hours(demo):
    from ketacare.treatments.models import TreatmentPlan
    from ketacare.treatments.selectors import outside_opening_hours

    plans = list(TreatmentPlan.objects.select_related("clinic"))
    assert plans
    for plan in plans:
        appointments = list(plan.appointments.select_related("session"))
        assert outside_opening_hours(plan.clinic, appointments) == set(), plan.patient
