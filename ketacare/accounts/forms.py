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
