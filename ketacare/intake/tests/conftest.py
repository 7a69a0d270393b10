"""Fixtures for the intake tests: a nurse at clinic A and URL helpers."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import login


@pytest.fixture
def nurse_a(personas: Any) -> Any:
    from ketacare.accounts.models import User
    from ketacare.clinics.models import StaffMembership

    user = User.objects.create_user("nurse.a@example.org", None, full_name="Nurse A")
    StaffMembership.objects.create(user=user, clinic=personas.clinic_a, role="nurse")
    return user


@pytest.fixture
def nurse_client(nurse_a: Any) -> Any:
    from django.test import Client

    return login(Client(), nurse_a)


def intake_url(name: str, patient: Any) -> str:
    """The URL of an intake route for one patient."""
    return reverse(f"intake:{name}", kwargs={"patient_id": str(patient.public_id)})


def api_url(patient: Any, tail: str = "") -> str:
    return f"/api/v1/patients/{patient.public_id}/intake{tail}"
