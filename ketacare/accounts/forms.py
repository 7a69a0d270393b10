"""Login and second-factor forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """E-mail and password; the field stays named `username` so django-axes sees it."""

    username = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class TOTPForm(forms.Form):
    """A six-digit code from the authenticator app."""

    code = forms.RegexField(
        label="Six-digit code",
        regex=r"^\d{6}$",
        error_messages={"invalid": "code must be exactly 6 digits"},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class RecoveryCodeForm(forms.Form):
    """One of the staff member's one-time recovery codes (instead of the authenticator's code)."""

    recovery_code = forms.RegexField(
        label="Recovery code",
        regex=r"^\s*[a-zA-Z2-7]{8}\s*$",
        error_messages={"invalid": "recovery_code must be one of your 8-character recovery codes"},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )


def _password_field(label: str, autocomplete: str = "new-password") -> forms.CharField:
    # The length rules live in the validators (role-aware); this bound only stops absurd input early.
    return forms.CharField(
        label=label,
        strip=False,
        max_length=256,
        error_messages={"max_length": "password must be at most 256 characters"},
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class NewPasswordForm(forms.Form):
    """A new password typed twice (reset links and patient invitations)."""

    password = _password_field("New password")
    confirm = _password_field("New password again")


class StaffAcceptForm(forms.Form):
    """Accepting a staff invitation: the name to show and a password typed twice."""

    full_name = forms.CharField(label="Your full name", max_length=200)
    password = _password_field("Choose a password")
    confirm = _password_field("Password again")


class ExistingAccountAcceptForm(forms.Form):
    """Accepting a staff invitation for an address that already has an account: its password proves it."""

    password = _password_field("Your current KetaCare password", autocomplete="current-password")


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Enter an e-mail address, such as name@example.org."},
    )
