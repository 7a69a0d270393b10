"""Who am I, and for clinic administrators: the clinic's staff and staff invitations (invite, send
again, withdraw)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from ketacare.accounts import mail
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic, StaffInvitation, StaffMembership
from ketacare.clinics.selectors import (
    access_staff_invitation,
    active_membership,
    clinic_staff,
    staff_memberships,
)
from ketacare.clinics.services import invite_staff, resend_staff_invitation, revoke_staff_invitation
from ketacare.lib.errors import NotPermitted
from ketacare.lib.pagination import LinkedPagination
from ketacare.patients.apiutil import ApiErrorOut, parse_payload

router = Router(tags=["accounts"])


class MeOut(Schema):
    public_id: uuid.UUID
    email: str
    full_name: str
    role: str
    clinic_public_id: uuid.UUID | None
    patient_public_id: uuid.UUID | None


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request: AuthenticatedRequest) -> dict[str, object]:
    user = request.user
    membership = active_membership(request)
    patient = getattr(user, "patient", None)
    return {
        "public_id": user.public_id,
        "email": user.email,
        "full_name": user.full_name,
        "role": "patient" if patient else (membership.role if membership else "user"),
        "clinic_public_id": membership.clinic.public_id
        if membership
        else (patient.clinic.public_id if patient else None),
        "patient_public_id": patient.public_id if patient else None,
    }


class StaffOut(Schema):
    """One membership at the active clinic, as its administrators see it."""

    public_id: uuid.UUID = Field(description="the membership's id (the staff page's actions name it)")
    user_public_id: uuid.UUID
    email: str
    full_name: str
    role: str
    active: bool
    last_login: dt.datetime | None
    has_second_factor: bool

    @staticmethod
    def resolve_user_public_id(obj: Any) -> uuid.UUID:
        return obj.user.public_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_email(obj: Any) -> str:
        return obj.user.email  # type: ignore[no-any-return]

    @staticmethod
    def resolve_full_name(obj: Any) -> str:
        return obj.user.full_name  # type: ignore[no-any-return]

    @staticmethod
    def resolve_active(obj: Any) -> bool:
        return bool(obj.is_active and obj.user.is_active)

    @staticmethod
    def resolve_last_login(obj: Any) -> dt.datetime | None:
        return obj.user.last_login  # type: ignore[no-any-return]


class StaffInvitationIn(Schema):
    email: str = Field(min_length=3, max_length=254)
    role: str = Field(description="clinic_admin, prescriber or nurse", max_length=20)
    full_name: str = Field("", max_length=200)
    clinics: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="clinics to join (default: the active clinic)"
    )


class StaffInvitationOut(Schema):
    """An invitation as the administrator sees it (the link itself is only in the e-mail)."""

    public_id: uuid.UUID
    email: str
    role: str
    clinics: list[uuid.UUID]
    status: str
    expires_at: dt.datetime

    @staticmethod
    def resolve_clinics(obj: Any) -> list[uuid.UUID]:
        return [c.public_id for c in obj.clinics.all()]


def _admin(request: HttpRequest) -> StaffMembership:
    """The caller's membership as administrator of the active clinic; anyone else gets a 404."""
    membership = active_membership(request)
    if membership is None or membership.role != StaffMembership.Role.CLINIC_ADMIN:
        raise Http404("Not found")
    return membership


@router.get("/staff", response=list[StaffOut], summary="The active clinic's staff (clinic admin)")
@paginate(LinkedPagination)
def list_staff(request: HttpRequest) -> Any:
    clinic = _admin(request).clinic
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="staff_list")
    return clinic_staff(clinic)


def _clinics(request: HttpRequest, wanted: list[uuid.UUID], active: Clinic) -> list[Clinic]:
    if not wanted:
        return [active]
    mine = {m.clinic.public_id: m.clinic for m in staff_memberships(request.user)}
    unknown = [key for key in wanted if key not in mine]
    if unknown:
        # Another clinic is never confirmed to exist: the same refusal as a clinic one does not run.
        raise NotPermitted(
            "clinics", "clinics: you can invite only to clinics where you are an administrator"
        )
    return [mine[key] for key in dict.fromkeys(wanted)]


@router.post(
    "/staff/invitations",
    response={201: StaffInvitationOut, 403: ApiErrorOut, 409: ApiErrorOut, 422: ApiErrorOut},
    summary="Invite someone by e-mail with a role at clinics you administer (clinic admin)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": StaffInvitationIn.model_json_schema()}},
        }
    },
    url_name="invite_staff",
)
def invite_staff_api(request: HttpRequest) -> Status[StaffInvitation]:
    membership = _admin(request)
    payload = parse_payload(request, StaffInvitationIn)
    invitation = invite_staff(
        by=request.user,  # type: ignore[arg-type]
        clinics=_clinics(request, payload.clinics, membership.clinic),
        email=payload.email,
        role=payload.role,
        full_name=payload.full_name,
        base_url=mail.base_url(request),
    )
    return Status(201, invitation)


def _invitation(request: HttpRequest, invitation_id: str) -> tuple[Clinic, StaffInvitation]:
    """The invitation to the active clinic named in the path, for that clinic's administrator.

    Anyone else, and an invitation that does not name the clinic, gets the 404 of the staff page's
    actions, audited as denied (one row per request, as there).
    """
    membership = active_membership(request)
    if membership is None or membership.role != StaffMembership.Role.CLINIC_ADMIN:
        record_access_event(
            action="write", outcome="denied", object_type="staff_invitation", object_id=invitation_id[:64]
        )
        raise Http404("Not found")
    clinic = membership.clinic
    return clinic, access_staff_invitation(request.user, clinic, invitation_id, action="write")


@router.post(
    "/staff/invitations/{invitation_id}/resend",
    response={201: StaffInvitationOut, 403: ApiErrorOut, 409: ApiErrorOut},
    summary="Send a pending or expired invitation again: a new invitation with a new link replaces it "
    "(clinic admin)",
    url_name="resend_staff_invitation",
)
def resend_staff_invitation_api(request: HttpRequest, invitation_id: str) -> Status[StaffInvitation]:
    """The answer is the new invitation; the old link stops working. Refused (409) for an accepted or
    withdrawn one, and (403) for one that also invites to a clinic the caller does not run."""
    clinic, invitation = _invitation(request, invitation_id)
    fresh = resend_staff_invitation(
        invitation=invitation,
        clinic=clinic,
        by=request.user,  # type: ignore[arg-type]
        base_url=mail.base_url(request),
    )
    return Status(201, fresh)


class StaffInvitationWithdrawalOut(Schema):
    """What withdrawing an invitation at the active clinic did."""

    public_id: uuid.UUID
    email: str
    role: str
    status: str = Field(description="revoked once it invites nowhere; pending or expired while it still does")
    withdrawn_from: list[uuid.UUID] = Field(description="clinics whose invitation ended")
    still_invited_to: list[uuid.UUID] = Field(
        description="clinics it still invites to (it names a clinic the caller does not run)"
    )
    cancelled_emails: int = Field(description="its invitation e-mails not yet sent, now never sent")


@router.post(
    "/staff/invitations/{invitation_id}/withdraw",
    response={200: StaffInvitationWithdrawalOut, 403: ApiErrorOut, 409: ApiErrorOut},
    summary="Withdraw a pending or expired invitation: its link stops working, its unsent e-mails are "
    "cancelled (clinic admin)",
    url_name="withdraw_staff_invitation",
)
def withdraw_staff_invitation_api(request: HttpRequest, invitation_id: str) -> dict[str, Any]:
    """Withdrawing one already withdrawn, replaced or accepted is refused (409) and changes nothing."""
    clinic, invitation = _invitation(request, invitation_id)
    withdrawal = revoke_staff_invitation(
        invitation=invitation,
        clinic=clinic,
        by=request.user,  # type: ignore[arg-type]
    )
    ended = withdrawal.invitation
    return {
        "public_id": ended.public_id,
        "email": ended.email,
        "role": ended.role,
        "status": ended.status,
        "withdrawn_from": [c.public_id for c in withdrawal.withdrawn_from],
        "still_invited_to": [c.public_id for c in withdrawal.still_invited_to],
        "cancelled_emails": withdrawal.cancelled_emails,
    }
