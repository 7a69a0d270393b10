"""Reads for the clinic admin's mail page: the messages to one clinic's staff and patients."""

from __future__ import annotations

from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic
from ketacare.ops.models import OutboundEmail


def clinic_addresses(clinic: Clinic) -> set[str]:
    """The lower-cased e-mail addresses of the clinic's staff (any membership) and patients."""
    staff = User.objects.filter(memberships__clinic=clinic).values_list("email", flat=True)
    patients = User.objects.filter(patient__clinic=clinic).values_list("email", flat=True)
    return {str(a).lower() for a in [*staff, *patients] if a}


def clinic_mail(clinic: Clinic, *, limit: int = 100) -> list[OutboundEmail]:
    """The clinic's messages that need attention first (failed, waiting), then the latest sent."""
    addresses = clinic_addresses(clinic)
    rows = OutboundEmail.objects.filter(recipient__in=addresses)
    unsent = list(rows.exclude(state=OutboundEmail.State.SENT).order_by("-created_at")[:limit])
    sent = list(
        rows.filter(state=OutboundEmail.State.SENT).order_by("-created_at")[: max(limit - len(unsent), 0)]
    )
    return unsent + sent


def access_clinic_message(clinic: Clinic, public_id: str) -> OutboundEmail | None:
    """One message to this clinic's people, or None (another clinic's message is not found)."""
    addresses = clinic_addresses(clinic)
    return OutboundEmail.objects.filter(public_id=public_id, recipient__in=addresses).first()
