"""Project-level views: the role-aware home redirect and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from ketacare.clinics.selectors import active_membership


def home(request: HttpRequest) -> HttpResponse:
    """Send patients to their home and staff to their clinic's patient list."""
    if hasattr(request.user, "patient"):
        return redirect("companion:home")
    if active_membership(request) is not None:
        return redirect("patients:list")
    return redirect("accounts:login")


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness and database check for load balancers; holds no patient data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
