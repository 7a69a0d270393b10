"""Writes for accounts: users, second factors (TOTP and recovery codes), password reset and change."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts import mail
from ketacare.accounts.models import User
from ketacare.accounts.tokens import reset_tokens
from ketacare.audit.services import record_access_event
from ketacare.lib.errors import FieldError

RECOVERY_DEVICE_NAME = "Recovery codes"


def get_or_create_totp_device(*, user: User) -> TOTPDevice:
    """Return the user's TOTP device, creating an unconfirmed one for enrolment."""
    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def end_sessions(*, user: User) -> int:
    """Delete every live server-side session of the user (docs/security.md S8); returns how many."""
    user_id = str(user.pk)
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == user_id:
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def deactivate_user(*, user: User) -> None:
    """Deactivate a user and end every server-side session they hold (docs/security.md S8)."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    end_sessions(user=user)


def _sentence(message: str) -> str:
    text = message.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def password_problems(password: str, user: User) -> list[str]:
    """Each refusal of the project's password rules (settings.AUTH_PASSWORD_VALIDATORS) as a sentence."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [_sentence(message) for message in error.messages]
    return []


def password_errors(password: str, user: User) -> str:
    """The project's password rules as one message of whole sentences (several rules may refuse one
    password: each reads on its own), or ""."""
    return " ".join(password_problems(password, user))


def new_staff_password_problems(password: str, *, email: str, full_name: str) -> list[str]:
    """``password_problems`` for a staff account not made yet: the staff rules (12 characters) and the
    person's own name and address, so a prompt can refuse a password before anything is created."""
    return password_problems(password, User(email=email, full_name=full_name, is_staff=True))


@transaction.atomic
def issue_recovery_codes(*, user: User) -> list[str]:
    """Replace the user's recovery codes with a fresh set (django-otp's static device); returns them.

    Each code works once as a second factor. The old set stops working at once, so a regenerated
    list is the only valid one.
    """
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = []
    for _ in range(settings.RECOVERY_CODE_COUNT):
        code = StaticToken.random_token()
        StaticToken.objects.create(device=device, token=code)
        codes.append(code)
    record_access_event(
        user=user,
        action="write",
        outcome="success",
        object_type="recovery_codes",
        object_id=str(user.public_id),
    )
    return codes


@transaction.atomic
def issue_operator_recovery_code(*, email: str) -> tuple[User, str]:
    """One more single-use recovery code for a staff member, made by whoever runs the installation
    (`ketacare recovery-code`): the way back in for an administrator who lost their authenticator when
    nobody at their clinic can reset it. Their other codes keep working; the row names the operator."""
    address = email.strip()
    user = User.objects.filter(email__iexact=address).first()
    if user is None or not user.is_active:
        raise FieldError("email", f"email: no active account uses {address!r}")
    if hasattr(user, "patient"):
        raise FieldError("email", f"email: {address} is a patient's account, which signs in without a code")
    # The device the sign-in page checks (the first confirmed one), so the code is accepted there.
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    code = StaticToken.random_token()
    StaticToken.objects.create(device=device, token=code)
    record_access_event(
        action="write",
        outcome="success",
        object_type="recovery_code",
        object_id=str(user.public_id),
        role="operator",
    )
    return user, code


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def replace_own_authenticator(*, user: User) -> TOTPDevice:
    """Drop the user's TOTP device and start a new enrolment (a lost or replaced phone)."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    record_access_event(
        user=user,
        action="write",
        outcome="success",
        object_type="second_factor",
        object_id=str(user.public_id),
    )
    return device


@transaction.atomic
def clear_second_factor(*, user: User) -> None:
    """Remove the user's authenticator and recovery codes and end their sessions.

    Their next login goes through enrolment again (the MFA page shows a new QR code), so this never
    lets anyone in by itself: the password is still needed. The caller audits it
    (``clinics.services.reset_staff_second_factor``, where an administrator does it).
    """
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    end_sessions(user=user)


def _reset_user(email: str) -> User | None:
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None or not user.has_usable_password():
        return None
    return user


@transaction.atomic
def request_password_reset(*, email: str, base_url: str) -> None:
    """E-mail a reset link if an active account uses ``email``; otherwise do nothing, silently.

    The caller answers the same either way, so the request cannot tell whether an address has an
    account. Django's token machinery signs the link: it expires (PASSWORD_RESET_TIMEOUT) and stops
    working once the password changes or the user logs in.
    """
    user = _reset_user(email)
    record_access_event(
        user=user,
        action="write",
        outcome="success" if user else "failure",
        object_type="password_reset_request",
        object_id=str(user.public_id) if user else "",
        login_email=email[:254],
    )
    if user is None:
        return
    token = reset_tokens.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"user_id": str(user.public_id), "token": token})
    mail.send_with_change(
        mail.password_reset(
            to=user.email, link=base_url + path, minutes=settings.PASSWORD_RESET_TIMEOUT // 60
        )
    )


@transaction.atomic
def reset_password(*, user: User, password: str, confirm: str) -> None:
    """Set a new password from a reset link; every session of the user ends (a thief is logged out)."""
    if password != confirm:
        raise FieldError("confirm", "confirm: the two passwords differ; type the same password twice")
    problems = password_errors(password, user)
    if problems:
        raise FieldError("password", problems)
    user.set_password(password)
    user.save(update_fields=["password"])
    end_sessions(user=user)
    record_access_event(
        user=user,
        action="write",
        outcome="success",
        object_type="password_reset",
        object_id=str(user.public_id),
    )


@transaction.atomic
def change_password(*, user: User, password: str) -> int:
    """Set a new password the signed-in user chose (their current one checked by the caller's form).

    Every server-side session of the user ends, as after a reset: a phone left signed in elsewhere, or
    a session someone else took over, stops working at once. The caller keeps its own request signed
    in (``update_session_auth_hash``, which stores that session afresh). Returns how many ended.
    """
    problems = password_errors(password, user)
    if problems:
        raise FieldError("new_password1", problems)
    user.set_password(password)
    user.save(update_fields=["password"])
    ended = end_sessions(user=user)
    record_access_event(
        user=user,
        action="write",
        outcome="success",
        object_type="password_change",
        object_id=str(user.public_id),
    )
    return ended
