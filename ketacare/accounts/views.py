"""Login, second factor (TOTP) and logout pages."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.forms import LoginForm, TOTPForm
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.accounts.middleware import is_staff_user
from ketacare.accounts.services import get_or_create_totp_device
from ketacare.audit.services import record_access_event

DEMO_EMAIL_DOMAIN = "@demo.ketacare.org"


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LoginView(auth_views.LoginView):
    """E-mail and password; staff continue to the second factor."""

    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.GET.get("expired") == "1"
        context["demo_mode"] = settings.DEMO_MODE
        return context


class LogoutView(auth_views.LogoutView):
    """POST-only logout that flushes the server-side session."""

    template_name = "accounts/logged_out.html"


def _demo_code(device: TOTPDevice) -> str | None:
    # Demo accounts only, and only with KETACARE_DEMO on: lets an evaluator try the flow without an app.
    if not settings.DEMO_MODE or not device.user.email.endswith(DEMO_EMAIL_DOMAIN):
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
def mfa(request: AuthenticatedRequest) -> HttpResponse:
    """Verify (or first enrol) the staff member's authenticator app."""
    user: Any = request.user
    if not is_staff_user(user):
        return redirect("home")
    if user.is_verified():
        return redirect("home")
    device = get_or_create_totp_device(user=user)
    form = TOTPForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        # verify_token refuses a code already used (last_t) and throttles repeated failures.
        if device.verify_token(form.cleaned_data["code"]):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            record_access_event(
                user=user, action="mfa", outcome="success", object_type="user", object_id=str(user.public_id)
            )
            return redirect(request.GET.get("next") or "home") if _safe_next(request) else redirect("home")
        record_access_event(
            user=user, action="mfa", outcome="failure", object_type="user", object_id=str(user.public_id)
        )
        error = "That code did not work. Codes change every 30 seconds and each works once."
    context = {
        "form": form,
        "error": error,
        "enrolling": not device.confirmed,
        "secret": base64.b32encode(device.bin_key).decode() if not device.confirmed else "",
        "qr": _qr_svg(device.config_url) if not device.confirmed else "",
        "demo_code": _demo_code(device),
    }
    return render(request, "accounts/mfa.html", context, status=400 if error else 200)


def _safe_next(request: AuthenticatedRequest) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.GET.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
