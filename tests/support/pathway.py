"""Builders that take a patient through the safe pathway's steps with the intake services.

A plan needs a completed screening, a prescriber's eligible decision and a consent for the route
(docs/decisions/0013); tests that plan through the services or the pages call `ready_for_plan` first.
A screening needs a medication list that says what the patient takes (or that they take none) and the
screener's word that every checklist item was asked: `ready_for_plan` gives both, as a screener would.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

ALL_ROUTES = ("iv", "esketamine_in", "oral", "sublingual", "im")


def ready_for_plan(
    patient: Any,
    *,
    prescriber: Any | None = None,
    routes: Sequence[str] = ALL_ROUTES,
    conditions: Sequence[str] = (),
    decision: str | None = None,
) -> Any:
    """Screen the patient, record the prescriber's decision and a consent for `routes`; return the screening.

    A patient with no medication list on file is recorded as taking no medicines first.
    """
    from ketacare.intake import services

    prescriber = prescriber or patient.primary_clinician
    screening = screened(
        patient=patient,
        user=prescriber,
        conditions_present=conditions,
        assessed_at=timezone.now() - dt.timedelta(minutes=30),
    )
    chosen = decision or screening.eligibility
    services.record_eligibility_decision(
        assessment=screening,
        user=prescriber,
        decision=chosen,
        note="Precautions handled by the clinic protocol" if chosen == "eligible_with_precautions" else "",
    )
    if routes:
        services.record_consent(
            patient=patient,
            user=prescriber,
            document_version="KC-TEST-1",
            signed_on=timezone.localdate(timezone=zoneinfo.ZoneInfo(patient.clinic.time_zone)),
            signer_name=patient.full_name,
            signer_relationship="self",
            routes=list(routes),
            signed_form_seen=True,
        )
    screening.refresh_from_db()
    return screening


def medicines_on_file(patient: Any, user: Any, medications: Sequence[str] = ()) -> Any:
    """The patient's current medication list: `medications`, or "takes no medicines" when none are given.

    A list already on file is kept when no medicines are given (the screening reads it as it is).
    """
    from ketacare.intake import services
    from ketacare.intake.models import MedicationList

    current = MedicationList.objects.filter(patient=patient, status="current").first()
    if current is not None and not medications:
        return current
    return services.record_medications(
        patient=patient,
        user=user,
        medications=list(medications),
        no_medicines=not medications,
        recorded_at=timezone.now() - dt.timedelta(minutes=31),
    )


def screened(*, patient: Any, user: Any, conditions_present: Sequence[str] = (), **extra: Any) -> Any:
    """`assess_screening` as a screener records it: every item asked, and a medication list on file
    (`medicines_on_file`: "takes no medicines" unless one is)."""
    from ketacare.intake import services

    medicines_on_file(patient, user)
    return services.assess_screening(
        patient=patient,
        user=user,
        conditions_present=list(conditions_present),
        all_items_asked=True,
        **extra,
    )


def make_nurse(clinic: Any, email: str = "nurse.a@example.org") -> Any:
    """A nurse at `clinic` (no prescribing role)."""
    from ketacare.accounts.models import User
    from ketacare.clinics.models import StaffMembership

    user = User.objects.create_user(email, None, full_name="Nurse A")
    StaffMembership.objects.create(user=user, clinic=clinic, role="nurse")
    return user
