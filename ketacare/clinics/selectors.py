"""Reads for clinics: which clinic a staff member is working in now."""

from __future__ import annotations

from django.http import HttpRequest

from ketacare.accounts.http import AnyUser
from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic, StaffMembership

ACTIVE_CLINIC_SESSION_KEY = "ketacare_active_clinic"


def staff_memberships(user: AnyUser) -> list[StaffMembership]:
    """Return the user's active memberships, clinic loaded, ordered by clinic name."""
    if not isinstance(user, User) or hasattr(user, "patient"):
        return []
    return list(user.memberships.filter(is_active=True).select_related("clinic").order_by("clinic__name"))


def active_membership(request: HttpRequest) -> StaffMembership | None:
    """Return the membership for the clinic chosen in the switcher (the first one by default)."""
    cached = getattr(request, "_ketacare_membership", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    memberships = staff_memberships(request.user)
    chosen = request.session.get(ACTIVE_CLINIC_SESSION_KEY)
    membership = next((m for m in memberships if str(m.clinic.public_id) == chosen), None)
    if membership is None and memberships:
        membership = memberships[0]
    request._ketacare_membership = membership  # type: ignore[attr-defined]
    return membership


def active_clinic(request: HttpRequest) -> Clinic | None:
    """Return the clinic the staff member is working in now, or None for non-staff."""
    membership = active_membership(request)
    return membership.clinic if membership else None
