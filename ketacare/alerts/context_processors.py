"""Navigation counts for the alerts inbox (staff of the active clinic only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ketacare.accounts.middleware import second_factor_pending
from ketacare.alerts.selectors import inbox_counts
from ketacare.clinics.selectors import active_membership


def alert_counts(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or second_factor_pending(user):
        return {}
    membership = active_membership(request)
    if membership is None:
        return {}

    return {"alert_counts": inbox_counts(clinic=membership.clinic, user=user)}
