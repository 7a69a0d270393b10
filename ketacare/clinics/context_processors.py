"""Template context: the active clinic and the switcher's choices."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ketacare.accounts.middleware import second_factor_pending
from ketacare.clinics.selectors import active_membership, request_memberships


def clinic_context(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    if second_factor_pending(request.user):
        return {}
    membership = active_membership(request)
    return {
        "active_membership": membership,
        "active_clinic": membership.clinic if membership else None,
        "clinic_choices": request_memberships(request) if membership else [],
    }
