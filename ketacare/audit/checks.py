"""Checks that `manage.py check --deploy` runs on top of Django's own (docs/security.md S5, S7)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

SECRET_KEY_MIN_CHARS = 50
AUDIT_KEY_MIN_CHARS = 32


@checks.register(checks.Tags.security, deploy=True)
def check_deployment_secrets(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse demo mode on HTTPS, and keys too short to protect sessions and the audit chain."""
    errors: list[checks.CheckMessage] = []
    if getattr(settings, "DEMO_MODE", False) and getattr(settings, "HTTPS", False):
        errors.append(
            checks.Error(
                "KETACARE_DEMO=true on an HTTPS deployment: demo mode shows live second-factor codes "
                "for the demo accounts on the login page",
                hint="unset KETACARE_DEMO (demo mode is for `make demo` on a local machine)",
                id="ketacare.E101",
            )
        )
    for name, value, minimum, variable in (
        ("secret key", settings.SECRET_KEY, SECRET_KEY_MIN_CHARS, "KETACARE_SECRET_KEY"),
        ("audit key", getattr(settings, "AUDIT_KEY", ""), AUDIT_KEY_MIN_CHARS, "KETACARE_AUDIT_KEY"),
    ):
        if len(value or "") < minimum:
            errors.append(
                checks.Error(
                    f"the {name} is {'missing' if not value else f'{len(value)} characters'}; "
                    f"at least {minimum} are needed",
                    hint=f"set {variable} to a random value of at least {minimum} characters",
                    id="ketacare.E102" if name == "secret key" else "ketacare.E103",
                )
            )
    return errors
