"""Who am I: the signed-in user's identity and role."""

from __future__ import annotations

import uuid

from ninja import Router, Schema

from ketacare.accounts.http import AuthenticatedRequest
from ketacare.clinics.selectors import active_membership

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
