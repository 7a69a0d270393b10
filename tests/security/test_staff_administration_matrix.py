"""Who may administer staff, register and invite patients (docs/security.md S1, decision 0011).

The main matrix's personas have no nurse and no administrator of clinic B; this one adds both and
runs every staff-administration route against a staff member of clinic A and one of clinic B. Only
the administrator of the staff member's clinic (working in it) gets through; everyone else gets the
404 of something that is not theirs (anonymous: the login redirect or a 401), and nothing changes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.accounts.models import User
from ketacare.clinics.models import StaffInvitation, StaffMembership
from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "a1", "nurse_a", "clinician_a", "admin_a", "clinician_b", "admin_b"]
MEMBERSHIP_ROUTES = [
    ("clinics:staff_role", {"role": "clinic_admin"}),
    ("clinics:staff_deactivate", {"confirm": "yes"}),
    ("clinics:staff_reactivate", {}),
    ("clinics:staff_reset_second_factor", {}),
]
ADMIN_OF = {"admin_a": "a", "admin_b": "b"}


@pytest.fixture
def people(personas: Any) -> dict[str, Any]:
    nurse_a = User.objects.create_user("nurse.a@example.org", None, full_name="Nora Nurse")
    StaffMembership.objects.create(user=nurse_a, clinic=personas.clinic_a, role="nurse")
    admin_b = User.objects.create_user("admin.b@example.org", None, full_name="Admin B")
    StaffMembership.objects.create(user=admin_b, clinic=personas.clinic_b, role="clinic_admin")
    return {
        "a1": personas.a1.user,
        "nurse_a": nurse_a,
        "clinician_a": personas.clinician_a,
        "admin_a": personas.admin_a,
        "clinician_b": personas.clinician_b,
        "admin_b": admin_b,
        "nurse_a_membership": StaffMembership.objects.get(user=nurse_a),
        "clinician_b_membership": StaffMembership.objects.get(user=personas.clinician_b),
    }


def _client(people: dict[str, Any], persona: str) -> Client:
    return Client() if persona == "anonymous" else login(Client(), people[persona])


def _state(membership: StaffMembership) -> tuple[str, bool]:
    membership.refresh_from_db()
    return membership.role, membership.is_active


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target_clinic", ["a", "b"])
@pytest.mark.parametrize(("route", "data"), MEMBERSHIP_ROUTES, ids=[r for r, _ in MEMBERSHIP_ROUTES])
def test_only_the_admin_of_the_staff_members_clinic_reaches_them(
    people: dict[str, Any], persona: str, target_clinic: str, route: str, data: dict[str, str]
) -> None:
    target = people["nurse_a_membership" if target_clinic == "a" else "clinician_b_membership"]
    before = _state(target)
    response = _client(people, persona).post(reverse(route, kwargs={"membership_id": target.public_id}), data)
    if persona == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif ADMIN_OF.get(persona) == target_clinic:
        assert response.status_code == 302 and response["Location"] == reverse("clinics:staff")
        return
    else:
        assert response.status_code == 404, f"{route} as {persona} on clinic {target_clinic}"
    assert _state(target) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_administrators_list_staff_invite_and_change_settings(
    people: dict[str, Any], persona: str
) -> None:
    client = _client(people, persona)
    admin = persona in ADMIN_OF
    pages = [reverse("clinics:staff"), reverse("clinics:staff_invite"), reverse("clinics:settings")]
    for url in pages:
        response = client.get(url)
        if persona == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == (200 if admin else 404), f"{url} as {persona}"
    api = client.get("/api/v1/staff")
    assert api.status_code == (401 if persona == "anonymous" else 200 if admin else 404)
    if admin:
        own = "clinic A" if persona == "admin_a" else "clinic B"
        emails = {row["email"] for row in api.json()["results"]}
        other = "clinician.b@example.org" if own == "clinic A" else "clinician.a@example.org"
        assert other not in emails and other.encode() not in client.get(reverse("clinics:staff")).content
    invite = client.post(
        "/api/v1/staff/invitations",
        json.dumps({"email": f"{persona}.invitee@example.org", "role": "clinic_admin"}),
        content_type="application/json",
    )
    assert invite.status_code == (401 if persona == "anonymous" else 201 if admin else 404)
    assert StaffInvitation.objects.count() == (1 if admin else 0)


def test_an_administrator_cannot_invite_into_another_clinic(people: dict[str, Any], personas: Any) -> None:
    client = _client(people, "admin_b")
    response = client.post(
        reverse("clinics:staff_invite"),
        {"email": "x@example.org", "role": "clinic_admin", "clinics": [str(personas.clinic_a.public_id)]},
    )
    assert response.status_code == 400 and StaffInvitation.objects.count() == 0


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_staff_role_registers_patients_and_no_one_else(
    people: dict[str, Any], personas: Any, persona: str
) -> None:
    body = {
        "full_name": f"Registered by {persona}",
        "date_of_birth": "1980-01-01",
        "sex": "unknown",
        "phone": "+1 555",
    }
    response = _client(people, persona).post(reverse("patients:new"), body | {"time_zone": "UTC"})
    staff = persona in ("nurse_a", "clinician_a", "admin_a", "clinician_b", "admin_b")
    if persona == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == (302 if staff else 404)
    created = Patient.objects.filter(full_name=f"Registered by {persona}")
    assert created.count() == (1 if staff else 0)
    if staff:
        expected = personas.clinic_b if persona.endswith("_b") else personas.clinic_a
        assert created.get().clinic == expected
