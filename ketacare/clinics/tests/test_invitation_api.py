"""The JSON API sends a staff invitation again and withdraws it with the staff page's services and
rules: the administrator of the invitation's clinic only, refusals as JSON naming the field, nothing
changed for anyone else (docs/decisions/0011)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from conftest import login
from ketacare.accounts.models import User
from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffInvitation, StaffMembership
from ketacare.clinics.services import invite_staff
from ketacare.ops.models import OutboundEmail

pytestmark = pytest.mark.django_db
PASSWORD = "nurse password twenty26"  # noqa: S105 - test data only


def _url(invitation: StaffInvitation, action: str) -> str:
    return f"/api/v1/staff/invitations/{invitation.public_id}/{action}"


def _path(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


def _invite(by: Any, clinics: list[Any], capture: Any) -> StaffInvitation:
    with capture(execute=True):
        return invite_staff(
            by=by, clinics=clinics, email="nina@example.org", role="nurse", base_url="http://testserver"
        )


def _post(client: Client, url: str, capture: Any) -> Any:
    with capture(execute=True):
        return client.post(url, content_type="application/json")


def test_an_administrator_sends_an_invitation_again_through_the_api(
    personas: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    invitation = _invite(personas.admin_a, [personas.clinic_a], django_capture_on_commit_callbacks)
    old_link = _path(mailoutbox[0].body)
    admin = login(Client(), personas.admin_a)
    response = _post(admin, _url(invitation, "resend"), django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    body = response.json()
    fresh = StaffInvitation.objects.get(public_id=body["public_id"])
    assert fresh.pk != invitation.pk
    assert (body["email"], body["role"], body["clinics"], body["status"]) == (
        "nina@example.org",
        "nurse",
        [str(personas.clinic_a.public_id)],
        "pending",
    )
    assert len(mailoutbox) == 2 and mailoutbox[1].to == ["nina@example.org"]
    assert Client().get(old_link).status_code == 410
    assert Client().get(_path(mailoutbox[1].body)).status_code == 200
    [row] = AccessEvent.objects.filter(request_id=response["X-Request-ID"])
    assert (row.action, row.outcome, row.object_type, row.object_id) == (
        "write",
        "granted",
        "staff_invitation",
        str(invitation.public_id),
    )


def test_an_administrator_withdraws_an_invitation_through_the_api_and_its_unsent_mail_is_cancelled(
    personas: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "ketacare.ops.mail.QueuedEmailBackend"
    invitation = invite_staff(
        by=personas.admin_a,
        clinics=[personas.clinic_a],
        email="nina@example.org",
        role="nurse",
        base_url="http://testserver",
    )
    link = _path(OutboundEmail.objects.get(recipient="nina@example.org").body)
    admin = login(Client(), personas.admin_a)
    response = admin.post(_url(invitation, "withdraw"), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "public_id": str(invitation.public_id),
        "email": "nina@example.org",
        "role": "nurse",
        "status": "revoked",
        "withdrawn_from": [str(personas.clinic_a.public_id)],
        "still_invited_to": [],
        "cancelled_emails": 1,
    }
    assert OutboundEmail.objects.get(recipient="nina@example.org").state == OutboundEmail.State.CANCELLED
    page = Client().get(link)
    assert page.status_code == 410 and b"This invitation was withdrawn" in page.content

    # Withdrawing it again, or sending it again, is a clear refusal that changes nothing.
    revoked_at = StaffInvitation.objects.get(pk=invitation.pk).revoked_at
    for action in ("withdraw", "resend"):
        again = _post(admin, _url(invitation, action), django_capture_on_commit_callbacks)
        assert again.status_code == 409, action
        assert again.json() == {
            "detail": "invitation: it was already withdrawn or replaced by a newer one; invite "
            "nina@example.org again for a new link",
            "errors": [
                {
                    "field": "invitation",
                    "message": "invitation: it was already withdrawn or replaced by a newer one; invite "
                    "nina@example.org again for a new link",
                }
            ],
        }
    assert StaffInvitation.objects.count() == 1
    assert StaffInvitation.objects.get(pk=invitation.pk).revoked_at == revoked_at
    assert OutboundEmail.objects.filter(recipient="nina@example.org").count() == 1


def test_an_accepted_invitation_is_neither_sent_again_nor_withdrawn(
    personas: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    invitation = _invite(personas.admin_a, [personas.clinic_a], django_capture_on_commit_callbacks)
    accepted = Client().post(
        _path(mailoutbox[0].body), {"full_name": "Nina New", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert accepted.status_code == 200
    admin = login(Client(), personas.admin_a)
    for action in ("withdraw", "resend"):
        response = _post(admin, _url(invitation, action), django_capture_on_commit_callbacks)
        assert response.status_code == 409, action
        assert response.json()["errors"][0]["field"] == "invitation"
        assert "nina@example.org already accepted it" in response.json()["detail"]
    assert len(mailoutbox) == 1 and StaffInvitation.objects.get().revoked_at is None


@pytest.fixture
def others(personas: Any) -> dict[str, Any]:
    nurse_a = User.objects.create_user("nurse.a@example.org", None, full_name="Nora Nurse")
    StaffMembership.objects.create(user=nurse_a, clinic=personas.clinic_a, role="nurse")
    admin_b = User.objects.create_user("admin.b@example.org", None, full_name="Admin B")
    StaffMembership.objects.create(user=admin_b, clinic=personas.clinic_b, role="clinic_admin")
    return {
        "clinician_a": personas.clinician_a,
        "nurse_a": nurse_a,
        "admin_b": admin_b,
        "clinician_b": personas.clinician_b,
        "a1": personas.a1.user,
    }


@pytest.mark.parametrize("action", ["resend", "withdraw"])
def test_only_the_administrator_of_the_invitations_clinic_reaches_it(
    personas: Any,
    others: dict[str, Any],
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
    action: str,
) -> None:
    invitation = _invite(personas.admin_a, [personas.clinic_a], django_capture_on_commit_callbacks)
    link = _path(mailoutbox[0].body)
    url = _url(invitation, action)
    assert Client().post(url, content_type="application/json").status_code == 401
    for persona, user in others.items():
        response = _post(login(Client(), user), url, django_capture_on_commit_callbacks)
        # The answer for something that is not theirs, whether it exists or not; audited as denied.
        assert response.status_code == 404, persona
        assert response.json() == {"detail": "Not found"}, persona
        [row] = AccessEvent.objects.filter(request_id=response["X-Request-ID"])
        assert (row.outcome, row.object_type, row.object_id) == (
            "denied",
            "staff_invitation",
            str(invitation.public_id),
        ), persona
    admin = login(Client(), personas.admin_a)
    for wrong in ("00000000-0000-0000-0000-000000000000", "not-an-id"):
        response = admin.post(f"/api/v1/staff/invitations/{wrong}/{action}", content_type="application/json")
        assert response.status_code == 404
    # Nothing changed: the same invitation, open, its one e-mail, its link working.
    assert list(StaffInvitation.objects.values_list("pk", "revoked_at")) == [(invitation.pk, None)]
    assert len(mailoutbox) == 1 and Client().get(link).status_code == 200


def test_an_invitation_that_also_names_a_clinic_the_caller_does_not_run(
    personas: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = User.objects.create_user("owner@example.org", None, full_name="Olive Owner")
    for clinic in (personas.clinic_a, personas.clinic_b):
        StaffMembership.objects.create(user=owner, clinic=clinic, role="clinic_admin")
    invitation = _invite(owner, [personas.clinic_a, personas.clinic_b], django_capture_on_commit_callbacks)
    admin = login(Client(), personas.admin_a)

    # Sending it again would re-invite to clinic B: refused, as on the staff page.
    refused = _post(admin, _url(invitation, "resend"), django_capture_on_commit_callbacks)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "invitation"
    assert (
        "it also invites nina@example.org to Clinic B, where you are not an administrator"
        in (refused.json()["detail"])
    )
    assert StaffInvitation.objects.count() == 1 and len(mailoutbox) == 1

    # Withdrawing takes clinic A out of it only; its link goes on working for clinic B.
    done = _post(admin, _url(invitation, "withdraw"), django_capture_on_commit_callbacks)
    assert done.status_code == 200
    assert done.json() | {"public_id": None} == {
        "public_id": None,
        "email": "nina@example.org",
        "role": "nurse",
        "status": "pending",
        "withdrawn_from": [str(personas.clinic_a.public_id)],
        "still_invited_to": [str(personas.clinic_b.public_id)],
        "cancelled_emails": 0,
    }
    assert list(invitation.clinics.all()) == [personas.clinic_b]
    page = Client().get(_path(mailoutbox[0].body))
    assert page.status_code == 200 and b"Join Clinic B" in page.content


def test_the_api_documents_both_operations(client_for: Any) -> None:
    paths = client_for("admin_a").get("/api/v1/openapi.json").json()["paths"]
    for action, ok in (("resend", "201"), ("withdraw", "200")):
        operation = paths[f"/api/v1/staff/invitations/{{invitation_id}}/{action}"]["post"]
        assert ok in operation["responses"] and "409" in operation["responses"], action
        assert "(clinic admin)" in operation["summary"], action


def test_an_invitation_to_two_clinics_through_the_api_is_audited_at_each(personas: Any) -> None:
    owner = User.objects.create_user("owner@example.org", None, full_name="Olive Owner")
    for clinic in (personas.clinic_a, personas.clinic_b):
        StaffMembership.objects.create(user=owner, clinic=clinic, role="clinic_admin")
    response = login(Client(), owner).post(
        "/api/v1/staff/invitations",
        {
            "email": "nina@example.org",
            "role": "nurse",
            "clinics": [str(personas.clinic_a.public_id), str(personas.clinic_b.public_id)],
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    rows = AccessEvent.objects.filter(request_id=response["X-Request-ID"], object_type="staff_invitation")
    assert sorted((r.clinic_public_id, r.object_id, r.action, r.outcome) for r in rows) == sorted(
        (str(clinic.public_id), response.json()["public_id"], "write", "granted")
        for clinic in (personas.clinic_a, personas.clinic_b)
    )
