"""Login, second-factor and password forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from ketacare.accounts.validators import PATIENT_MIN_LENGTH
from ketacare.lib.forms import field_message


class LoginForm(AuthenticationForm):
    """E-mail and password; the field stays named `username` so django-axes sees it."""

    username = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        error_messages={
            "required": "Enter your e-mail address",
            "invalid": "Enter an e-mail address, such as name@example.org",
        },
    )
    # Said plainly; it never says which of the two was wrong (that would tell who has an account).
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail address and password do not match an account. Check both and try again.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].error_messages["required"] = "Enter your password"


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


def _password_field(label: str, autocomplete: str = "new-password", help_text: str = "") -> forms.CharField:
    # The length rules live in the validators (role-aware); this bound only stops absurd input early.
    return forms.CharField(
        label=label,
        help_text=help_text,
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


class AccountPasswordChangeForm(PasswordChangeForm):
    """Django's password change, worded for the person: the current password is checked and the new one
    goes through the project's rules (settings.AUTH_PASSWORD_VALIDATORS), whose refusal stands under
    "New password", where it was typed, rather than under its repetition."""

    error_messages = {
        "password_incorrect": "That is not your current password: type the password you log in with.",
        "password_mismatch": "The two new passwords differ: type the same password twice.",
    }
    old_password = _password_field("Current password", autocomplete="current-password")
    new_password1 = _password_field(
        "New password", help_text=f"At least {PATIENT_MIN_LENGTH} characters; a short sentence works well."
    )
    new_password2 = _password_field("New password again")

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("new_password1", "new_password2")
        password = self.cleaned_data.get("new_password1")
        if password:
            try:
                validate_password(password, self.user)
            except ValidationError as error:
                for message in error.messages:
                    self.add_error("new_password1", field_message("password", message))
        # Not PasswordChangeForm.clean: it would check the rules again, under the repetition.
        return forms.Form.clean(self) or {}
