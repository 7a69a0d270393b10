"""Reads for clinics: which clinic a staff member is working in now, its staff, hours and invitations."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest
from django.utils.dateformat import format as date_format
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.http import AnyUser
from ketacare.accounts.models import User
from ketacare.accounts.tokens import LinkState, digest, well_formed
from ketacare.audit import context as audit_context
from ketacare.audit.services import record_access_event
from ketacare.clinics.hours import Interval, format_opening_hours, is_open, next_opening
from ketacare.clinics.models import Clinic, StaffInvitation, StaffMembership
from ketacare.patients import facts

ACTIVE_CLINIC_SESSION_KEY = "ketacare_active_clinic"


def staff_memberships(user: AnyUser) -> list[StaffMembership]:
    """Return the user's active memberships, clinic loaded, ordered by clinic name."""
    if not isinstance(user, User) or hasattr(user, "patient"):
        return []
    return list(user.memberships.filter(is_active=True).select_related("clinic").order_by("clinic__name"))


def is_prescriber(user: AnyUser, clinic_id: int) -> bool:
    """Whether the user holds an active prescriber membership at this clinic (a clinic admin who is not
    also a prescriber is not one): overrides, screening decisions and resolving a held dose's alert."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    return StaffMembership.objects.filter(
        user_id=user.pk, clinic_id=clinic_id, role=StaffMembership.Role.PRESCRIBER, is_active=True
    ).exists()


def request_memberships(request: HttpRequest) -> list[StaffMembership]:
    """``staff_memberships`` of the signed-in user, read once per request (the gate, the page and the
    clinic switcher all ask)."""
    cached: list[StaffMembership] | None = getattr(request, "_ketacare_memberships", None)
    if cached is None:
        cached = staff_memberships(request.user)
        request._ketacare_memberships = cached  # type: ignore[attr-defined]
        ctx = audit_context.current.get()
        if ctx is not None and ctx.request is request and not hasattr(request.user, "patient"):
            ctx.memberships = (request.user, cached)
    return cached


def active_membership(request: HttpRequest) -> StaffMembership | None:
    """Return the membership for the clinic chosen in the switcher (the first one by default)."""
    cached = getattr(request, "_ketacare_membership", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    memberships = request_memberships(request)
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


def is_set_up() -> bool:
    """Whether this installation has a clinic (`ketacare setup` or the demo made one)."""
    return Clinic.objects.exists()


def opening_intervals(clinic: Clinic) -> list[Interval]:
    return [Interval(h.weekday, h.opens_at, h.closes_at) for h in clinic.opening_hours.all()]


@dataclass(frozen=True, slots=True)
class ClinicContact:
    """What a patient is told about reaching the clinic at one moment."""

    open_now: bool
    hours: str  # "Mon-Fri 08:00-18:00" in the clinic's zone, "" when none are set
    time_zone: str
    call: str  # the number to call now for a non-emergency: the clinic in hours, else the after-hours line
    instead: str  # outside hours: what to do instead of calling the clinic
    # Closed now (hours are set and this is outside them): when it opens next, in the clinic's zone.
    opens_next: dt.datetime | None = None
    # The patient is in the chair now, with the clinic's staff (patients.facts.clinic_contact_for): a
    # session running past closing time is never told "the clinic is closed".
    with_staff: bool = False


def clinic_contact(clinic: Clinic, now: dt.datetime) -> ClinicContact:
    """The clinic's "call us" line at ``now``: in hours the clinic phone, outside what to do instead."""
    intervals = opening_intervals(clinic)
    local = now.astimezone(clinic.zone)
    open_now = is_open(intervals, local)
    if open_now:
        return ClinicContact(True, format_opening_hours(intervals), clinic.time_zone, clinic.phone, "")
    if clinic.after_hours_phone:
        instead = clinic.after_hours_instructions or (
            f"The clinic is closed now. For something that cannot wait, call {clinic.after_hours_phone}."
        )
        call = clinic.after_hours_phone
    else:
        instead = clinic.after_hours_instructions or (
            f"The clinic is closed now. If you are in crisis call {clinic.crisis_line}; in an emergency "
            f"call {clinic.emergency_number}. Otherwise call the clinic when it opens."
        )
        call = ""
    if not intervals:
        # No hours entered: whether it is open is not known, so the patient is not told it is closed.
        instead = clinic.after_hours_instructions or (
            f"If you are in crisis call {clinic.crisis_line}; in an emergency call {clinic.emergency_number}. "
            f"For anything else call the clinic."
        )
        call = clinic.after_hours_phone or clinic.phone
    return ClinicContact(
        False,
        format_opening_hours(intervals),
        clinic.time_zone,
        call,
        instead,
        next_opening(intervals, local),
    )


ESCALATION_ROLES = (StaffMembership.Role.CLINIC_ADMIN, StaffMembership.Role.PRESCRIBER)


def escalation_candidates(clinic: Clinic) -> list[StaffMembership]:
    """The active admins and prescribers of the clinic, who may be its escalation contact."""
    return list(
        StaffMembership.objects.filter(
            clinic=clinic, role__in=ESCALATION_ROLES, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("user__full_name", "id")
    )


def escalation_recipient(clinic: Clinic) -> User | None:
    """Who an escalated alert goes to: the clinic's chosen contact while they are an active admin or
    prescriber there, else the longest-standing active clinic admin.

    The escalation job (``alerts.services.escalate_overdue_alerts``) and the settings page both ask
    here, so the page names the person the job will choose.
    """
    contact_id = clinic.escalation_contact_id
    if contact_id is not None and any(m.user_id == contact_id for m in escalation_candidates(clinic)):
        return clinic.escalation_contact
    membership = (
        StaffMembership.objects.filter(clinic=clinic, role=StaffMembership.Role.CLINIC_ADMIN, is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return membership.user if membership else None


def clinic_staff(clinic: Clinic) -> list[StaffMembership]:
    """Everyone who has a membership at the clinic, active first, then by name.

    Each row carries ``has_second_factor``: whether the person has enrolled an authenticator.
    """
    enrolled = TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)
    return list(
        StaffMembership.objects.filter(clinic=clinic)
        .select_related("user")
        .annotate(has_second_factor=Exists(enrolled))
        .order_by("-is_active", "user__full_name", "id")
    )


def pending_staff_invitations(clinic: Clinic) -> list[StaffInvitation]:
    """Invitations to the clinic nobody accepted and nobody replaced (expired ones included)."""
    return list(
        StaffInvitation.objects.filter(clinics=clinic, accepted_at__isnull=True, revoked_at__isnull=True)
        .prefetch_related("clinics")
        .order_by("-created_at")
    )


def administered_clinic_ids(user: AnyUser) -> set[int]:
    """The clinics where the user is an active administrator."""
    if not isinstance(user, User):
        return set()
    return set(
        StaffMembership.objects.filter(
            user=user, role=StaffMembership.Role.CLINIC_ADMIN, is_active=True
        ).values_list("clinic_id", flat=True)
    )


def withdrawal_scope(
    invitation: StaffInvitation, clinic: Clinic, administered: set[int]
) -> tuple[list[Clinic], list[Clinic]]:
    """What withdrawing ``invitation`` at ``clinic`` by an administrator of ``administered`` (clinic
    ids) does: the clinics it stops inviting to, and those it still invites to.

    An invitation that also names a clinic the administrator does not run is not theirs to end: only
    ``clinic`` leaves it and its link goes on working for the others. Otherwise it ends entirely.
    """
    named = list(invitation.clinics.all())
    if all(c.pk in administered for c in named):
        return named, []
    return [c for c in named if c.pk == clinic.pk], [c for c in named if c.pk != clinic.pk]


@dataclass(frozen=True, slots=True)
class OpenInvitation:
    """An invitation on the staff page, with what its "Withdraw" would end (its confirmation says so)."""

    invitation: StaffInvitation
    withdraws_from: list[Clinic]
    stays_for: list[Clinic]


def open_staff_invitations(clinic: Clinic, administered: set[int]) -> list[OpenInvitation]:
    """``pending_staff_invitations`` with the scope of withdrawing each at ``clinic``."""
    return [
        OpenInvitation(invitation, *withdrawal_scope(invitation, clinic, administered))
        for invitation in pending_staff_invitations(clinic)
    ]


def active_admin_count(clinic: Clinic) -> int:
    return StaffMembership.objects.filter(
        clinic=clinic, role=StaffMembership.Role.CLINIC_ADMIN, is_active=True, user__is_active=True
    ).count()


def another_admin_can_reset(user: AnyUser) -> bool:
    """Whether an active administrator other than ``user`` works at a clinic where ``user`` is active
    staff: someone who can reset their second factor (``services.reset_staff_second_factor``)."""
    if not isinstance(user, User):
        return False
    their_clinics = StaffMembership.objects.filter(user=user, is_active=True).values("clinic_id")
    return (
        StaffMembership.objects.filter(
            clinic_id__in=their_clinics,
            role=StaffMembership.Role.CLINIC_ADMIN,
            is_active=True,
            user__is_active=True,
        )
        .exclude(user=user)
        .exists()
    )


_Found = TypeVar("_Found", StaffMembership, StaffInvitation)


def _audited_or_404(
    found: _Found | None,
    user: AnyUser,
    clinic: Clinic,
    public_id: uuid.UUID | str,
    *,
    action: str,
    object_type: str,
) -> _Found:
    """Audit the staff page's access to one row (granted, or denied when it is not this clinic's) and
    return it, else Http404."""
    record_access_event(
        user=user,
        action=action,
        outcome="granted" if found else "denied",
        clinic=clinic,
        object_type=object_type,
        object_id=str(public_id)[:64],
    )
    if found is None:
        raise Http404(f"No such {object_type.replace('_', ' ')}")
    return found


def _uuid(public_id: uuid.UUID | str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(public_id)[:64])
    except ValueError:
        return None


def access_membership(
    user: AnyUser, clinic: Clinic, public_id: uuid.UUID | str, *, action: str
) -> StaffMembership:
    """A membership at ``clinic`` (the administrator's active clinic), else Http404; audited either way.

    Another clinic's staff member is a 404 like anything else that is not the caller's. The write
    services audit under the same key, so a check followed by a write leaves one row.
    """
    key = _uuid(public_id)
    membership = (
        StaffMembership.objects.select_related("user", "clinic").filter(public_id=key, clinic=clinic).first()
        if key is not None
        else None
    )
    return _audited_or_404(membership, user, clinic, public_id, action=action, object_type="staff_membership")


def access_staff_invitation(
    user: AnyUser, clinic: Clinic, public_id: uuid.UUID | str, *, action: str
) -> StaffInvitation:
    """An invitation that names ``clinic`` (the administrator's active clinic), else Http404; audited
    either way under the key the invitation services use, so a check and its write leave one row.

    Accepted, withdrawn and expired ones are found too: the services say why they cannot change.
    """
    key = _uuid(public_id)
    invitation = (
        StaffInvitation.objects.filter(public_id=key, clinics=clinic).prefetch_related("clinics").first()
        if key is not None
        else None
    )
    return _audited_or_404(invitation, user, clinic, public_id, action=action, object_type="staff_invitation")


def find_staff_invitation(token: str) -> tuple[StaffInvitation | None, str]:
    """The invitation a link names and whether it can be used (tokens.LinkState)."""
    if not well_formed(token):
        return None, LinkState.INVALID
    invitation = (
        StaffInvitation.objects.filter(token_digest=digest(token)).prefetch_related("clinics").first()
    )
    if invitation is None:
        return None, LinkState.INVALID
    status = invitation.status
    if status == StaffInvitation.Status.ACCEPTED:
        return invitation, LinkState.USED
    if status == StaffInvitation.Status.REVOKED:
        newer = StaffInvitation.objects.filter(email=invitation.email, pk__gt=invitation.pk)
        return invitation, LinkState.REPLACED if newer.exists() else LinkState.WITHDRAWN
    if status == StaffInvitation.Status.EXPIRED:
        return invitation, LinkState.EXPIRED
    return invitation, LinkState.VALID


@dataclass(frozen=True, slots=True)
class TimeZoneChange:
    """What moving the clinic to another time zone does to its booked visits.

    They are stored as instants, so each keeps its moment and reads at another clock time: the next
    such visit is the example staff are shown before they confirm.
    """

    old_zone: str
    new_zone: str
    moved: int  # booked visits whose clock time reads differently in the new zone
    example_before: dt.datetime  # the first of them on the old zone's clock
    example_after: dt.datetime  # the same moment on the new zone's clock

    @property
    def example(self) -> str:
        """The first moved visit on each clock: "Tuesday 10 Nov 09:00 becomes Tuesday 10 Nov 15:00"."""
        before, after = (date_format(t, "l j M H:i") for t in (self.example_before, self.example_after))
        return f"{before} becomes {after}"


def time_zone_change(clinic: Clinic, new_zone: str, *, now: dt.datetime) -> TimeZoneChange | None:
    """The booked visits a change of the clinic's zone to ``new_zone`` would move on the clock, or None
    when the zone stays, nothing is booked, or every booked visit reads the same in both zones (a
    renamed zone such as US/Eastern to America/New_York)."""
    if new_zone == clinic.time_zone:
        return None
    old, new = zoneinfo.ZoneInfo(clinic.time_zone), zoneinfo.ZoneInfo(new_zone)

    def clock(instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
        return instant.astimezone(zone).replace(tzinfo=None)

    moved = [t for t in facts.clinic_booked_starts(clinic, now=now) if clock(t, old) != clock(t, new)]
    if not moved:
        return None
    return TimeZoneChange(
        clinic.time_zone, new_zone, len(moved), moved[0].astimezone(old), moved[0].astimezone(new)
    )
