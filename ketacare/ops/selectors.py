"""Reads for the clinic admin's mail page: the messages to one clinic's staff and patients."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from ketacare.accounts.mail import STAFF_INVITATION_SUBJECT, patient_invitation_subject
from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic, StaffInvitation
from ketacare.ops.models import OutboundEmail
from ketacare.patients.models import PatientInvitation


def clinic_addresses(clinic: Clinic) -> set[str]:
    """The lower-cased e-mail addresses of the clinic's staff (any membership) and patients."""
    staff = User.objects.filter(memberships__clinic=clinic).values_list("email", flat=True)
    patients = User.objects.filter(patient__clinic=clinic).values_list("email", flat=True)
    return {str(a).lower() for a in [*staff, *patients] if a}


def invited_addresses(clinic: Clinic) -> set[str]:
    """The lower-cased addresses the clinic sent an invitation to (staff, or a patient's companion)."""
    staff = StaffInvitation.objects.filter(clinics=clinic).values_list("email", flat=True)
    patients = PatientInvitation.objects.filter(clinic=clinic).values_list("email", flat=True)
    return {str(a).lower() for a in [*staff, *patients] if a}


def _clinic_rows(clinic: Clinic) -> QuerySet[OutboundEmail]:
    # An invited address belongs to nobody at the clinic until the invitation is accepted (and may be
    # staff elsewhere, or invited by another clinic): of its mail, only this clinic's invitations are
    # the clinic's (a patient invitation's subject names the clinic it comes from).
    return OutboundEmail.objects.filter(
        Q(recipient__in=clinic_addresses(clinic))
        | Q(
            recipient__in=invited_addresses(clinic),
            subject__in=[STAFF_INVITATION_SUBJECT, patient_invitation_subject(clinic.name)],
        )
    )


@dataclass(frozen=True, slots=True)
class ClinicMail:
    # Failed, waiting and not sent first (newest first), then the latest sent.
    rows: list[OutboundEmail]
    # Taken back before they left (a withdrawn invitation's): never sent, and not waiting either, so
    # they are listed apart from the messages that still need something.
    cancelled: list[OutboundEmail]


def clinic_mail(clinic: Clinic, *, limit: int = 100, cancelled_limit: int = 50) -> ClinicMail:
    """The clinic's messages that need attention first (failed, waiting), then the latest sent; and,
    apart, the latest cancelled ones."""
    rows = _clinic_rows(clinic)
    done = [OutboundEmail.State.SENT, OutboundEmail.State.CANCELLED]
    unsent = list(rows.exclude(state__in=done).order_by("-created_at")[:limit])
    sent = list(
        rows.filter(state=OutboundEmail.State.SENT).order_by("-created_at")[: max(limit - len(unsent), 0)]
    )
    cancelled = list(
        rows.filter(state=OutboundEmail.State.CANCELLED).order_by("-created_at")[:cancelled_limit]
    )
    return ClinicMail(rows=unsent + sent, cancelled=cancelled)


def access_clinic_message(clinic: Clinic, public_id: str) -> OutboundEmail | None:
    """One message to this clinic's people or to someone it invited, or None (another clinic's message
    is not found)."""
    return _clinic_rows(clinic).filter(public_id=public_id).first()
