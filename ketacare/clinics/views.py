"""Clinic switcher for staff who work at several clinics."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ketacare.accounts.gates import staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.clinics.selectors import ACTIVE_CLINIC_SESSION_KEY, staff_memberships
from ketacare.lib.http import safe_redirect_target


@require_POST
@staff_required
def switch_clinic(request: AuthenticatedRequest) -> HttpResponse:
    """Make another of the user's clinics the active one; an unknown clinic changes nothing."""
    wanted = request.POST.get("clinic", "")
    membership = next((m for m in staff_memberships(request.user) if str(m.clinic.public_id) == wanted), None)
    if membership is None:
        messages.error(request, "clinic: choose one of the clinics you work at")
        return redirect("patients:list")
    request.session[ACTIVE_CLINIC_SESSION_KEY] = str(membership.clinic.public_id)
    messages.success(request, f"Now working at {membership.clinic.name}.")
    return redirect(safe_redirect_target(request, "patients:list"))
