"""Writes for a clinic's staff: invitations (sent, sent again, withdrawn, accepted), roles,
deactivation and second-factor reset."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts import mail
from ketacare.accounts.models import User
from ketacare.accounts.services import clear_second_factor, end_sessions, password_errors
from ketacare.accounts.tokens import new_token
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic, StaffInvitation, StaffMembership
from ketacare.clinics.selectors import active_admin_count, administered_clinic_ids, withdrawal_scope
from ketacare.clinics.services._fields import Role, clean_email, clean_role, clean_text
from ketacare.lib.errors import ConflictError, FieldError, NotPermitted
from ketacare.ops.mail import cancel_unsent_email


def _admin_clinics(user: User) -> set[int]:
    return administered_clinic_ids(user)


@transaction.atomic
def invite_staff(
    *, by: User, clinics: list[Clinic], email: str, role: str, base_url: str, full_name: str = ""
) -> StaffInvitation:
    """Invite someone by e-mail to work at ``clinics`` in ``role``; the link expires and works once.

    Only an active administrator of every chosen clinic may invite. A newer invitation to the same
    address replaces the pending one (its link stops working).
    """
    email = clean_email("email", email)
    role = clean_role(role)
    full_name = clean_text("full_name", full_name, max_length=200)
    if not clinics:
        raise FieldError("clinics", "clinics: choose at least one clinic you administer")
    _refuse_unless_admin_of_all(
        by, clinics, "clinics: you can invite only to clinics where you are an administrator"
    )
    invitation = _issue_invitation(
        by=by, clinics=clinics, email=email, role=role, full_name=full_name, base_url=base_url
    )
    for clinic in clinics:
        _audit_invitation(by, clinic, invitation)
    return invitation


ONLY_ADMINS = "clinics: you can change invitations only at clinics where you are an administrator"


def _refuse_unless_admin_of_all(by: User, clinics: list[Clinic], message: str) -> None:
    allowed = _admin_clinics(by)
    if any(c.pk not in allowed for c in clinics):
        raise NotPermitted("clinics", message)


def _issue_invitation(
    *, by: User, clinics: list[Clinic], email: str, role: str, full_name: str, base_url: str
) -> StaffInvitation:
    """A new invitation with a fresh link and a full lifetime, replacing any pending one to ``email``,
    and its e-mail (written with the change: docs/decisions/0018)."""
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and hasattr(existing, "patient"):
        raise FieldError(
            "email", "email: this address belongs to a patient's account; staff need their own address"
        )
    if existing is not None:
        already = set(
            StaffMembership.objects.filter(user=existing, clinic__in=clinics).values_list(
                "clinic__name", flat=True
            )
        )
        if already:
            raise ConflictError(
                "email",
                f"email: {email} is already staff at {', '.join(sorted(already))}; change the role or reactivate "
                "them on the staff page instead",
            )
    now = timezone.now()
    StaffInvitation.objects.filter(email=email, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    # The replaced invitations' e-mails that have not left carry links that no longer work.
    _cancel_unsent_invitation_email(email)
    token, token_digest = new_token()
    invitation = StaffInvitation.objects.create(
        email=email,
        full_name=full_name,
        role=role,
        invited_by=by,
        token_digest=token_digest,
        expires_at=now + dt.timedelta(hours=settings.INVITATION_TTL_HOURS),
    )
    invitation.clinics.set(clinics)
    link = base_url + reverse("accounts:staff_invitation", kwargs={"token": token})
    mail.send_with_change(
        mail.staff_invitation(
            to=email,
            link=link,
            clinic_names=[c.name for c in clinics],
            role=Role(role).label.lower(),
            hours=settings.INVITATION_TTL_HOURS,
        )
    )
    return invitation


def _cancel_unsent_invitation_email(email: str, *, since: dt.datetime | None = None) -> int:
    # Found by address and subject: an address has one open invitation at a time (a newer one
    # replaces it), so its invitation e-mails written since that one was made are that one's.
    return cancel_unsent_email(recipient=email, subject=mail.STAFF_INVITATION_SUBJECT, created_since=since)


def _audit_invitation(by: User, clinic: Clinic, invitation: StaffInvitation) -> None:
    # The key access_staff_invitation(action="write") uses: a check and its write leave one row.
    record_access_event(
        user=by,
        action="write",
        outcome="granted",
        clinic=clinic,
        object_type="staff_invitation",
        object_id=str(invitation.public_id),
    )


def _lock_open_invitation(invitation: StaffInvitation, clinic: Clinic, doing: str) -> StaffInvitation:
    """The invitation, locked, if it still names ``clinic`` and nobody accepted or withdrew it."""
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.clinics.filter(pk=clinic.pk).exists():
        raise ConflictError("invitation", f"invitation: it no longer includes {clinic}; nothing to {doing}")
    if invitation.accepted_at is not None:
        raise ConflictError(
            "invitation",
            f"invitation: {invitation.email} already accepted it; they are on the staff list, where you can "
            "change their role or deactivate them",
        )
    if invitation.revoked_at is not None:
        raise ConflictError(
            "invitation",
            f"invitation: it was already withdrawn or replaced by a newer one; invite {invitation.email} again "
            "for a new link",
        )
    return invitation


@dataclass(frozen=True, slots=True)
class Withdrawal:
    invitation: StaffInvitation
    # The clinics it no longer invites to, and those it still names (it keeps a clinic the
    # administrator does not run: clinics.selectors.withdrawal_scope).
    withdrawn_from: list[Clinic]
    still_invited_to: list[Clinic]
    # Its e-mails that had not left, now never sent (none while it still invites somewhere).
    cancelled_emails: int = 0


@transaction.atomic
def revoke_staff_invitation(*, invitation: StaffInvitation, clinic: Clinic, by: User) -> Withdrawal:
    """Withdraw a pending (or expired) invitation to ``clinic``: its link stops working at once, its
    holder is told it was withdrawn, and its e-mails not yet sent are cancelled with it.

    An invitation that also names a clinic ``by`` does not administer keeps that clinic: only
    ``clinic`` leaves it, and its link (and e-mail) goes on working there.
    """
    _refuse_unless_admin_of_all(by, [clinic], ONLY_ADMINS)
    invitation = _lock_open_invitation(invitation, clinic, "withdraw")
    _audit_invitation(by, clinic, invitation)
    withdrawn_from, still_invited_to = withdrawal_scope(invitation, clinic, _admin_clinics(by))
    if still_invited_to:
        invitation.clinics.remove(clinic)
        return Withdrawal(invitation, withdrawn_from, still_invited_to)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    cancelled = _cancel_unsent_invitation_email(invitation.email, since=invitation.created_at)
    return Withdrawal(invitation, withdrawn_from, [], cancelled)


@transaction.atomic
def resend_staff_invitation(
    *, invitation: StaffInvitation, clinic: Clinic, by: User, base_url: str
) -> StaffInvitation:
    """Send a pending or expired invitation again: a new invitation (same address, role and clinics)
    with a new link and a full lifetime replaces it, so the old link stops working.

    Only an administrator of every clinic it names, as for a new invitation. Audited under the
    invitation replaced (the one the administrator chose).
    """
    _refuse_unless_admin_of_all(by, [clinic], ONLY_ADMINS)
    invitation = _lock_open_invitation(invitation, clinic, "send again")
    clinics = list(invitation.clinics.all())
    allowed = _admin_clinics(by)
    others = sorted(c.name for c in clinics if c.pk not in allowed)
    if others:
        raise NotPermitted(
            "invitation",
            f"invitation: it also invites {invitation.email} to {', '.join(others)}, where you are not an "
            "administrator; withdraw it here and invite them again, or ask an administrator there",
        )
    _audit_invitation(by, clinic, invitation)
    return _issue_invitation(
        by=by,
        clinics=clinics,
        email=invitation.email,
        role=invitation.role,
        full_name=invitation.full_name,
        base_url=base_url,
    )


@transaction.atomic
def accept_staff_invitation(
    *, invitation: StaffInvitation, full_name: str, password: str, confirm: str
) -> User:
    """Use an invitation once: a new account with the given password, or memberships for an existing one.

    An address that already has an account proves it with that account's password (the invitation
    never changes an existing password). Expired, used or replaced invitations are refused.
    """
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != StaffInvitation.Status.PENDING:
        raise ConflictError("token", f"token: this invitation is {invitation.status_label.lower()}")
    clinics = list(invitation.clinics.all())
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is not None:
        if hasattr(user, "patient") or not user.is_active:
            raise ConflictError(
                "email", "email: this address cannot be used for a staff account; ask your clinic"
            )
        if not user.check_password(password):
            raise FieldError("password", "password: type the password of your existing KetaCare account")
    else:
        if password != confirm:
            raise FieldError("confirm", "confirm: the two passwords differ; type the same password twice")
        user = User.objects.create_user(
            invitation.email,
            None,
            full_name=clean_text(
                "full_name", full_name or invitation.full_name, max_length=200, required=True
            ),
        )
    for clinic in clinics:
        StaffMembership.objects.update_or_create(
            user=user, clinic=clinic, defaults={"role": invitation.role, "is_active": True}
        )
    if not user.has_usable_password():
        # Validated with the memberships in place, so the staff rule (12 characters) applies.
        problems = password_errors(password, user)
        if problems:
            raise FieldError("password", f"password: {problems}")
        user.set_password(password)
        user.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    for clinic in clinics:
        record_access_event(
            user=user,
            action="write",
            outcome="success",
            clinic=clinic,
            object_type="staff_invitation_accepted",
            object_id=str(invitation.public_id),
        )
    return user


def _refuse_last_admin(membership: StaffMembership, what: str) -> None:
    if (
        membership.role == Role.CLINIC_ADMIN
        and membership.is_active
        and membership.user.is_active
        and active_admin_count(membership.clinic) <= 1
    ):
        raise ConflictError(
            "role",
            f"role: {membership.user} is the last active administrator of {membership.clinic}; make someone else "
            f"an administrator before you {what} them",
        )


def _audit_membership(by: User, membership: StaffMembership) -> None:
    # The key access_membership(action="write") uses, so check and write leave one row per request
    # (docs/security.md S6); the URL in the row names the change.
    record_access_event(
        user=by,
        action="write",
        outcome="granted",
        clinic=membership.clinic,
        object_type="staff_membership",
        object_id=str(membership.public_id),
    )


def _lock(membership: StaffMembership) -> StaffMembership:
    # Locking the clinic row serialises staff changes per clinic, so two administrators demoting each
    # other at once cannot both pass the last-admin check (SQLite's IMMEDIATE transactions already do).
    Clinic.objects.select_for_update().get(pk=membership.clinic_id)
    return StaffMembership.objects.select_related("user", "clinic").get(pk=membership.pk)


@transaction.atomic
def change_staff_role(*, membership: StaffMembership, role: str, by: User) -> StaffMembership:
    """Give a staff member another role at this clinic (never below one active administrator)."""
    role = clean_role(role)
    membership = _lock(membership)
    _audit_membership(by, membership)
    if role == membership.role:
        return membership
    if role != Role.CLINIC_ADMIN:
        _refuse_last_admin(membership, "demote")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def deactivate_staff(*, membership: StaffMembership, by: User) -> StaffMembership:
    """End a staff member's access to this clinic at once: their sessions end; with no other active
    membership left, the account itself is deactivated (docs/security.md S8)."""
    membership = _lock(membership)
    _audit_membership(by, membership)
    if not membership.is_active:
        return membership
    _refuse_last_admin(membership, "deactivate")
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    user = membership.user
    if not user.memberships.filter(is_active=True).exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
    end_sessions(user=user)
    return membership


@transaction.atomic
def reactivate_staff(*, membership: StaffMembership, by: User) -> StaffMembership:
    """Give a deactivated staff member their access to this clinic back (same role, same account)."""
    membership = _lock(membership)
    _audit_membership(by, membership)
    if membership.is_active and membership.user.is_active:
        return membership
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    if not membership.user.is_active:
        membership.user.is_active = True
        membership.user.save(update_fields=["is_active"])
    return membership


@transaction.atomic
def reset_staff_second_factor(*, membership: StaffMembership, by: User) -> StaffMembership:
    """An administrator clears a staff member's authenticator and recovery codes (a lost phone).

    Their sessions end and their next login enrols a new authenticator. Not for oneself: the own
    security page replaces one's authenticator after a verified login.
    """
    membership = _lock(membership)
    if membership.user_id == by.pk:
        raise FieldError("staff", "staff: use your own security page to replace your authenticator")
    _audit_membership(by, membership)
    clear_second_factor(user=membership.user)
    return membership
