"""Login, second factor (TOTP and recovery codes), logout, the staff security page, the patient's account
page (a new password while signed in), password reset and the staff invitation page."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts import mail, ratelimit
from ketacare.accounts.forms import (
    AccountPasswordChangeForm,
    ExistingAccountAcceptForm,
    LoginForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    RecoveryCodeForm,
    StaffAcceptForm,
    TOTPForm,
)
from ketacare.accounts.gates import patient_required, verified_staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.accounts.middleware import is_staff_user
from ketacare.accounts.selectors import account_exists, user_by_public_id
from ketacare.accounts.services import (
    change_password,
    get_or_create_totp_device,
    issue_recovery_codes,
    recovery_codes_left,
    replace_own_authenticator,
    request_password_reset,
    reset_password,
)
from ketacare.accounts.tokens import LinkState, reset_tokens
from ketacare.audit.middleware import client_ip
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import another_admin_can_reset, find_staff_invitation
from ketacare.clinics.services import accept_staff_invitation
from ketacare.lib.errors import FieldError
from ketacare.lib.forms import add_field_error
from ketacare.patients.selectors import access_patient

DEMO_EMAIL_DOMAIN = "@demo.ketacare.org"
# Fresh recovery codes wait here between the page that made them and the page that shows them once.
NEW_CODES_SESSION_KEY = "ketacare_new_recovery_codes"
MODEL_BACKEND = "ketacare.accounts.backends.ModelBackend"


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LoginView(auth_views.LoginView):
    """E-mail and password; staff continue to the second factor."""

    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.GET.get("expired") == "1"
        context["signed_out"] = self.request.GET.get("signed_out") == "1"
        context["demo_mode"] = settings.DEMO_MODE
        return context


class LogoutView(auth_views.LogoutView):
    """POST-only logout that flushes the server-side session, then says so on the login page (on a shared
    computer the next person should see that the last one is out)."""

    template_name = "accounts/logged_out.html"
    next_page = "/accounts/login/?signed_out=1"


def _demo_code(device: TOTPDevice) -> str | None:
    # Demo accounts only, and only with KETACARE_DEMO on: lets an evaluator try the flow without an app.
    if not settings.DEMO_MODE or not device.user.email.endswith(DEMO_EMAIL_DOMAIN):
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if device.last_t is not None and totp.t() <= device.last_t and device.tolerance >= 1:
        # The current code was just used (each works once): show the next one, which the device's
        # tolerance of one step already accepts, instead of a code the form would refuse.
        totp.drift += 1
    return f"{totp.token():0{device.digits}d}"


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _audit_mfa(user: Any, outcome: str, object_type: str = "user") -> None:
    record_access_event(
        user=user, action="mfa", outcome=outcome, object_type=object_type, object_id=str(user.public_id)
    )


def _pass_second_factor(request: AuthenticatedRequest, device: Any) -> None:
    # A new session id once the second factor is passed: an id seen before it (e.g. on a shared
    # screen) never carries the verified session.
    otp_login(request, device)
    request.session.cycle_key()


def _seconds_locked(device: Any) -> int:
    """Seconds until django-otp's throttle lets ``device`` check a code again (0: it may now).

    After each wrong code the device refuses every code, the right one too, for 1, 2, 4 ... seconds;
    ``verify_is_allowed`` says until when.
    """
    allowed, data = device.verify_is_allowed()
    locked_until = (data or {}).get("locked_until")
    if allowed or locked_until is None:
        return 0
    return max(1, math.ceil((locked_until - timezone.now()).total_seconds()))


def _seconds(count: int) -> str:
    return f"{count} second{'' if count == 1 else 's'}"


def _wait_then(seconds: int) -> str:
    return f" Wait {_seconds(seconds)} before the next try." if seconds else ""


def _check_recovery_code(request: AuthenticatedRequest, user: Any, code: str) -> str:
    """Sign in with one recovery code; the error to show, or "" when it was accepted."""
    static = StaticDevice.objects.filter(user=user, confirmed=True).first()
    locked = _seconds_locked(static) if static is not None else 0
    if locked:
        _audit_mfa(user, "denied", "recovery_code")
        return f"Too many tries: wait {_seconds(locked)}, then enter the recovery code again."
    # verify_token deletes the code it accepts (one use) and throttles repeated failures.
    if static is not None and static.verify_token(code):
        _pass_second_factor(request, static)
        _audit_mfa(user, "success", "recovery_code")
        return ""
    _audit_mfa(user, "failure", "recovery_code")
    return "That recovery code did not work. Each code works once; check for typing errors." + _wait_then(
        _seconds_locked(static) if static is not None else 0
    )


def _lost_phone(user: Any, *, has_codes: bool) -> str:
    """The way back for a lost phone, shown once an authenticator is confirmed (while enrolling there is
    no phone to lose): the recovery codes first, then who can reset the second factor. With no other
    administrator at the user's clinics nobody in the clinic can, and the installation's operator makes
    a one-time recovery code with `ketacare recovery-code` instead."""
    if another_admin_can_reset(user):
        then = "ask a clinic administrator to reset your second factor."
    else:
        then = (
            "your clinic has no other administrator to reset your second factor, so ask whoever runs your "
            "KetaCare installation for a one-time recovery code (they make one with the command "
            "“ketacare recovery-code” and your e-mail address)."
        )
    if has_codes:
        return f"If you have no recovery code, {then}"
    return f"Lost your phone, with no recovery codes left? {then[:1].upper()}{then[1:]}"


@login_required
@sensitive_post_parameters("code", "recovery_code")
def mfa(request: AuthenticatedRequest) -> HttpResponse:
    """Verify (or first enrol) the staff member's authenticator app, or accept a recovery code."""
    user: Any = request.user
    if not is_staff_user(user):
        return redirect("home")
    if user.is_verified():
        return redirect("home")
    device = get_or_create_totp_device(user=user)
    posted_recovery = request.method == "POST" and "recovery_code" in request.POST
    form = TOTPForm(request.POST if request.method == "POST" and not posted_recovery else None)
    recovery_form = RecoveryCodeForm(request.POST if posted_recovery else None)
    error = ""
    if posted_recovery and recovery_form.is_valid():
        error = _check_recovery_code(
            request, user, recovery_form.cleaned_data["recovery_code"].strip().lower()
        )
        if not error:
            messages.warning(
                request,
                f"You signed in with a recovery code ({recovery_codes_left(user=user)} left). If your phone is "
                "lost, replace your authenticator app now.",
            )
            return redirect("accounts:security")
    elif request.method == "POST" and not posted_recovery and form.is_valid():
        locked = _seconds_locked(device)
        if locked:
            # Checking the code now would refuse even the right one: say so, instead of blaming the code.
            _audit_mfa(user, "denied")
            error = f"Too many tries: wait {_seconds(locked)}, then enter the code your app shows then."
        # verify_token refuses a code already used (last_t) and throttles repeated failures.
        elif device.verify_token(form.cleaned_data["code"]):
            enrolling = not device.confirmed
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            _pass_second_factor(request, device)
            _audit_mfa(user, "success")
            if enrolling:
                # Recovery codes come with every enrolment: the way back in if this phone is lost.
                request.session[NEW_CODES_SESSION_KEY] = issue_recovery_codes(user=user)
                return redirect("accounts:security")
            return redirect(request.GET.get("next") or "home") if _safe_next(request) else redirect("home")
        else:
            _audit_mfa(user, "failure")
            error = "That code did not work. Codes change every 30 seconds and each works once." + _wait_then(
                _seconds_locked(device)
            )
    enrolling = not device.confirmed
    has_codes = recovery_codes_left(user=user) > 0
    context = {
        "form": form,
        "recovery_form": recovery_form,
        "error": error,
        "enrolling": enrolling,
        "secret": base64.b32encode(device.bin_key).decode() if enrolling else "",
        "qr": _qr_svg(device.config_url) if enrolling else "",
        "demo_code": _demo_code(device),
        "has_recovery_codes": has_codes,
        "lost_phone": "" if enrolling else _lost_phone(user, has_codes=has_codes),
    }
    return render(request, "accounts/mfa.html", context, status=400 if error else 200)


def _safe_next(request: AuthenticatedRequest) -> bool:
    target = request.GET.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})


@verified_staff_required
def security(request: AuthenticatedRequest) -> HttpResponse:
    """The staff member's second factor: new recovery codes, or a new authenticator app."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "regenerate_codes":
            request.session[NEW_CODES_SESSION_KEY] = issue_recovery_codes(user=user)
            messages.success(request, "New recovery codes made; the old ones no longer work.")
            return redirect("accounts:security")
        if action == "replace_authenticator":
            replace_own_authenticator(user=user)
            # The session is no longer verified: the MFA page now enrols the new app (QR code).
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            return redirect("accounts:mfa")
        messages.error(request, "action: choose regenerate_codes or replace_authenticator")
        return redirect("accounts:security")
    record_access_event(action="read", outcome="granted", object_type="user", object_id=str(user.public_id))
    context = {
        "new_codes": request.session.pop(NEW_CODES_SESSION_KEY, None),
        "codes_left": recovery_codes_left(user=user),
        "totp_enrolled": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
    }
    return render(request, "accounts/security.html", context)


@patient_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def my_account(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's own account: the e-mail they sign in with, their clock, and a new password."""
    user = request.user
    patient = access_patient(user, user.patient.public_id)
    form = AccountPasswordChangeForm(user, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                change_password(user=user, password=form.cleaned_data["new_password1"])
            except FieldError as error:
                add_field_error(form, error)
            else:
                # This phone stays signed in (a new session id); every other session has ended.
                update_session_auth_hash(request, user)
                messages.success(
                    request,
                    "Your password has been changed. Any other phone or computer signed in to your "
                    "account has been signed out.",
                )
                return redirect("accounts:my_account")
        elif form.has_error("old_password", "password_incorrect"):
            record_access_event(
                action="write",
                outcome="failure",
                object_type="password_change",
                object_id=str(user.public_id),
            )
            # A session left open must not become a way to guess the password without the login's
            # lockout: as many wrong tries as a login allows, then this session ends.
            if not ratelimit.allow("password-change", str(user.public_id), limit=settings.AXES_FAILURE_LIMIT):
                auth_logout(request)
                messages.error(
                    request,
                    "Signed out after too many wrong current passwords. Log in again; if you forgot "
                    "your password, choose “Forgot your password?” on the login page.",
                )
                return redirect(reverse("accounts:login"))
    context = {"form": form, "email": user.email, "patient": patient}
    return render(request, "accounts/my_account.html", context, status=400 if form.errors else 200)


# --- Links sent by e-mail -----------------------------------------------------------------------


def link_refused(request: HttpRequest, *, state: str, kind: str, detail: str = "") -> HttpResponse:
    """The page for a link that cannot be used: expired, already used, replaced by a newer invitation,
    withdrawn, or not valid (tampered).

    Nothing was changed; the status says which (410 Gone for a genuine link, 404 for unknown).
    """
    return render(
        request,
        "accounts/link_refused.html",
        {"state": state, "kind": kind, "detail": detail},
        status=404 if state == LinkState.INVALID else 410,
    )


def signed_in_refused(request: HttpRequest, *, kind: str, own: bool = False, state: str = "") -> HttpResponse:
    """A link opened while someone is signed in: it is not used on their behalf (403).

    ``own``: the signed-in person is the one the invitation was for and already has their account (the
    link used, or another invitation accepted), so logging out would only lead to "already used": the
    page says so and leads to their home instead (200).
    """
    if own:
        return render(request, "accounts/link_signed_in.html", {"kind": kind, "own": True, "state": state})
    return render(request, "accounts/link_signed_in.html", {"kind": kind}, status=403)


def _audit_link(request: HttpRequest, *, object_type: str, object_id: str, granted: bool) -> None:
    record_access_event(
        action="read" if request.method == "GET" else "write",
        outcome="granted" if granted else "denied",
        object_type=object_type,
        object_id=object_id,
    )


@login_not_required
@sensitive_post_parameters("password", "confirm")
def staff_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Accept a staff invitation: choose a password, then (after login) enrol the second factor."""
    invitation, state = find_staff_invitation(token)
    object_id = str(invitation.public_id) if invitation else ""
    if request.user.is_authenticated:
        _audit_link(request, object_type="staff_invitation", object_id=object_id, granted=False)
        return signed_in_refused(request, kind="invitation")
    if invitation is None or state != LinkState.VALID:
        _audit_link(request, object_type="staff_invitation", object_id=object_id, granted=False)
        # The page's heading says what happened (expired, used, replaced, withdrawn): no status line.
        return link_refused(request, state=state, kind="invitation")
    existing = account_exists(invitation.email)
    form: StaffAcceptForm | ExistingAccountAcceptForm
    if existing:
        form = ExistingAccountAcceptForm(request.POST or None)
    else:
        form = StaffAcceptForm(request.POST or None, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = accept_staff_invitation(
                invitation=invitation,
                full_name=data.get("full_name", ""),
                password=data["password"],
                confirm=data.get("confirm", data["password"]),
            )
        except FieldError as error:
            if error.field == "token":
                # Used, replaced or expired since the page was opened: the page that says which.
                return link_refused(request, state=find_staff_invitation(token)[1], kind="invitation")
            add_field_error(form, error)
        else:
            auth_login(request, user, backend=MODEL_BACKEND)
            # A page, not a redirect: the next step (the authenticator) is one click away, and a
            # reload cannot post the form again because the invitation is now used.
            return render(request, "accounts/staff_invitation_done.html", {"user": user})
    elif request.method == "GET":
        _audit_link(request, object_type="staff_invitation", object_id=object_id, granted=True)
    clinics = list(invitation.clinics.all())
    context = {
        "form": form,
        "invitation": invitation,
        "existing": existing,
        "clinics": clinics,
        # The clock of the admin's staff page, where the same expiry reads "Pending until ...".
        "time_zone": clinics[0].time_zone if clinics else "UTC",
    }
    return render(request, "accounts/staff_invitation.html", context, status=400 if form.errors else 200)


@login_not_required
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link: the same answer whether or not the address has an account."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        # Both counters move on every request (docs/decisions/0011): one address cannot be flooded
        # with mail, and one client cannot probe many addresses. The limit does not depend on whether
        # the address exists, so the refusal tells nothing either.
        ip_ok = ratelimit.allow("reset-ip", client_ip(request), limit=settings.PASSWORD_RESET_LIMIT_PER_IP)
        email_ok = ratelimit.allow("reset-email", email, limit=settings.PASSWORD_RESET_LIMIT_PER_EMAIL)
        if not (ip_ok and email_ok):
            record_access_event(
                action="write", outcome="denied", object_type="password_reset_request", login_email=email
            )
            return render(request, "accounts/password_reset_limited.html", status=429)
        request_password_reset(email=email, base_url=mail.base_url(request))
        # The same page whether or not the address has an account.
        minutes = settings.PASSWORD_RESET_TIMEOUT // 60
        return render(request, "accounts/password_reset_sent.html", {"minutes": minutes})
    return render(request, "accounts/password_reset.html", {"form": form}, status=400 if form.errors else 200)


@login_not_required
@sensitive_post_parameters("password", "confirm")
def password_reset_confirm(request: HttpRequest, user_id: str, token: str) -> HttpResponse:
    """Choose a new password from a reset link (signed, expiring, single use)."""
    user = user_by_public_id(user_id)
    state = reset_tokens.diagnose(user, token) if user is not None else LinkState.INVALID
    object_id = str(user.public_id) if user else ""
    if request.user.is_authenticated:
        _audit_link(request, object_type="password_reset", object_id=object_id, granted=False)
        return signed_in_refused(request, kind="reset")
    if user is None or state != LinkState.VALID:
        _audit_link(request, object_type="password_reset", object_id=object_id, granted=False)
        return link_refused(request, state=state, kind="reset")
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reset_password(
                user=user, password=form.cleaned_data["password"], confirm=form.cleaned_data["confirm"]
            )
        except FieldError as error:
            add_field_error(form, error)
        else:
            messages.success(request, "Your password has been changed. Log in with the new one.")
            return redirect("accounts:login")
    elif request.method == "GET":
        _audit_link(request, object_type="password_reset", object_id=object_id, granted=True)
    return render(
        request, "accounts/password_reset_confirm.html", {"form": form}, status=400 if form.errors else 200
    )
