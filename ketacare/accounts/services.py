"""Writes for accounts: users, TOTP devices."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.models import User


def get_or_create_totp_device(*, user: User) -> TOTPDevice:
    """Return the user's TOTP device, creating an unconfirmed one for enrolment."""
    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def deactivate_user(*, user: User) -> None:
    """Deactivate a user and end every server-side session they hold (docs/security.md S8)."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_id = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == user_id:
            session.delete()
