"""Each branch of access_patient: who reaches which patient, and the audit row each attempt leaves."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffMembership
from ketacare.patients.selectors import access_patient

pytestmark = pytest.mark.django_db


def test_a_patient_reaches_their_own_record(personas):
    assert access_patient(personas.a1.user, personas.a1.public_id) == personas.a1
    assert (
        AccessEvent.objects.filter(outcome="granted", patient_public_id=str(personas.a1.public_id)).count()
        == 1
    )


def test_a_patient_gets_404_for_another_patient_of_the_same_clinic(personas):
    with pytest.raises(Http404):
        access_patient(personas.a1.user, personas.a2.public_id)
    assert AccessEvent.objects.filter(outcome="denied", object_id=str(personas.a2.public_id)).count() == 1


def test_a_patient_gets_404_for_a_patient_of_another_clinic(personas):
    with pytest.raises(Http404):
        access_patient(personas.a1.user, personas.b1.public_id)


def test_staff_reach_their_clinics_patients(personas):
    assert access_patient(personas.clinician_a, personas.a2.public_id) == personas.a2


def test_staff_get_404_for_another_clinics_patient_and_it_is_audited(personas):
    with pytest.raises(Http404):
        access_patient(personas.clinician_b, personas.a1.public_id)
    row = AccessEvent.objects.get(outcome="denied")
    assert row.user_email == personas.clinician_b.email
    assert row.object_id == str(personas.a1.public_id)


def test_a_deactivated_membership_no_longer_reaches_the_clinic(personas):
    StaffMembership.objects.filter(user=personas.clinician_a).update(is_active=False)
    with pytest.raises(Http404):
        access_patient(personas.clinician_a, personas.a1.public_id)


def test_an_anonymous_user_gets_404(personas):
    with pytest.raises(Http404):
        access_patient(AnonymousUser(), personas.a1.public_id)


def test_a_malformed_id_gets_404_and_is_audited(personas):
    with pytest.raises(Http404):
        access_patient(personas.clinician_a, "not-a-uuid")
    assert AccessEvent.objects.filter(outcome="denied", object_id="not-a-uuid").exists()


def test_an_unknown_id_gets_404(personas):
    with pytest.raises(Http404):
        access_patient(personas.clinician_a, uuid.uuid4())


def test_a_patient_who_is_also_staff_elsewhere_still_sees_only_themself(personas):
    StaffMembership.objects.create(user=personas.a1.user, clinic=personas.clinic_b, role="nurse")
    with pytest.raises(Http404):
        access_patient(personas.a1.user, personas.b1.public_id)


def test_the_denied_page_request_is_a_404_with_one_audit_row(personas, client_for):
    response = client_for("a1").get(f"/clinic/patients/{personas.a2.public_id}/")
    assert response.status_code == 404
    response = client_for("clinician_b").get(f"/clinic/patients/{personas.a1.public_id}/")
    assert response.status_code == 404
    rows = AccessEvent.objects.filter(request_id=response["X-Request-ID"])
    assert [(r.outcome, r.object_id) for r in rows] == [("denied", str(personas.a1.public_id))]
