"""E-mail settings from the environment: one URL, or host/port/user/password/TLS variables, or a provider.

Read by ``ketacare/settings.py`` before Django is set up, so this module imports nothing from Django.
Every bad value stops the start-up with a message naming the variable and what it allows (the house
rule of ``ketacare.lib.env``). README "E-mail" documents the variables.

Order of precedence: ``KETACARE_EMAIL_URL``, then ``KETACARE_EMAIL_PROVIDER`` (django-anymail), then
``KETACARE_EMAIL_HOST`` (SMTP by parts), then the older ``KETACARE_EMAIL_BACKEND`` (a Django backend
path), else the console backend (the demo's default: mail is printed, nothing is sent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ketacare.lib.env import EnvError

CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
FILE = "django.core.mail.backends.filebased.EmailBackend"
DUMMY = "django.core.mail.backends.dummy.EmailBackend"

# URL scheme -> (backend, use_tls (STARTTLS), use_ssl (implicit TLS), default port).
SCHEMES: dict[str, tuple[str, bool, bool, int | None]] = {
    "smtp": (SMTP, False, False, 25),
    "smtp+tls": (SMTP, True, False, 587),
    "submission": (SMTP, True, False, 587),
    "smtps": (SMTP, False, True, 465),
    "smtp+ssl": (SMTP, False, True, 465),
    "console": (CONSOLE, False, False, None),
    "memory": (LOCMEM, False, False, None),
    "file": (FILE, False, False, None),
    "dummy": (DUMMY, False, False, None),
}

# The providers django-anymail ships a sending backend for (anymail.backends.<name>.EmailBackend).
ANYMAIL_PROVIDERS = frozenset(
    {
        "amazon_ses",
        "brevo",
        "mailersend",
        "mailgun",
        "mailjet",
        "mailtrap",
        "mandrill",
        "postal",
        "postmark",
        "resend",
        "scaleway",
        "sendgrid",
        "sparkpost",
        "unisender_go",
    }
)
ANYMAIL_PREFIX = "KETACARE_ANYMAIL_"
_SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _port(name: str, raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise EnvError(f"{name}: port {raw!r} is not a number (allowed 1..65535)") from None
    if not 1 <= port <= 65535:
        raise EnvError(f"{name}: port {port} is outside the allowed range 1..65535")
    return port


def _bool(name: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise EnvError(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off")


def parse_email_url(url: str, *, name: str = "KETACARE_EMAIL_URL") -> dict[str, Any]:
    """Django e-mail settings from a URL such as ``smtp+tls://user:password@mail.example.org:587``.

    User and password are percent-decoded (``%40`` for ``@``); ``?timeout=10`` sets EMAIL_TIMEOUT;
    ``file:///var/mail/ketacare`` writes each message to that folder.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise EnvError(f"{name}: scheme {scheme or '(none)'!r} is not one of {', '.join(sorted(SCHEMES))}")
    backend, use_tls, use_ssl, default_port = SCHEMES[scheme]
    settings: dict[str, Any] = {"EMAIL_BACKEND": backend}
    if backend == FILE:
        if not parts.path:
            raise EnvError(f"{name}: file:// needs a folder, e.g. file:///var/mail/ketacare")
        settings["EMAIL_FILE_PATH"] = unquote(parts.path)
        return settings
    if backend != SMTP:
        return settings
    if not parts.hostname:
        raise EnvError(
            f"{name}: an SMTP URL needs a host, e.g. smtp+tls://user:password@mail.example.org:587"
        )
    try:
        port = parts.port
    except ValueError:
        raise EnvError(f"{name}: the port is not a number in 1..65535") from None
    settings.update(
        EMAIL_HOST=parts.hostname,
        EMAIL_PORT=port or default_port,
        EMAIL_HOST_USER=unquote(parts.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
        EMAIL_USE_TLS=use_tls,
        EMAIL_USE_SSL=use_ssl,
    )
    query = parse_qs(parts.query)
    unknown = set(query) - {"timeout"}
    if unknown:
        raise EnvError(f"{name}: unknown option(s) {', '.join(sorted(unknown))}; allowed: timeout")
    if "timeout" in query:
        raw = query["timeout"][-1]
        if not raw.isdigit() or not 1 <= int(raw) <= 300:
            raise EnvError(f"{name}: timeout {raw!r} must be a whole number of seconds from 1 to 300")
        settings["EMAIL_TIMEOUT"] = int(raw)
    return settings


def email_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The Django e-mail settings this environment asks for (see the module docstring for the order)."""
    url = environ.get("KETACARE_EMAIL_URL", "").strip()
    if url:
        return parse_email_url(url)
    provider = environ.get("KETACARE_EMAIL_PROVIDER", "").strip().lower()
    if provider:
        if provider not in ANYMAIL_PROVIDERS:
            raise EnvError(
                f"KETACARE_EMAIL_PROVIDER={provider!r} is not one of {', '.join(sorted(ANYMAIL_PROVIDERS))}"
            )
        # Each provider names its own credentials (MAILGUN_API_KEY, POSTMARK_SERVER_TOKEN, ...): they
        # pass through unchanged from KETACARE_ANYMAIL_<SETTING>, as anymail documents them.
        anymail: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith(ANYMAIL_PREFIX):
                setting = key[len(ANYMAIL_PREFIX) :]
                if not _SETTING_NAME.match(setting):
                    raise EnvError(f"{key}: {setting!r} is not an anymail setting name (A-Z, 0-9, _)")
                anymail[setting] = value
        if not anymail:
            raise EnvError(
                f"KETACARE_EMAIL_PROVIDER={provider} needs its credentials as {ANYMAIL_PREFIX}<SETTING>, "
                f"e.g. {ANYMAIL_PREFIX}{provider.upper()}_API_KEY"
            )
        return {"EMAIL_BACKEND": f"anymail.backends.{provider}.EmailBackend", "ANYMAIL": anymail}
    host = environ.get("KETACARE_EMAIL_HOST", "").strip()
    if host:
        use_tls = _bool("KETACARE_EMAIL_USE_TLS", environ.get("KETACARE_EMAIL_USE_TLS"), True)
        use_ssl = _bool("KETACARE_EMAIL_USE_SSL", environ.get("KETACARE_EMAIL_USE_SSL"), False)
        if use_tls and use_ssl:
            raise EnvError(
                "KETACARE_EMAIL_USE_TLS and KETACARE_EMAIL_USE_SSL are both on; choose one "
                "(STARTTLS on 587 or implicit TLS on 465)"
            )
        raw_port = environ.get("KETACARE_EMAIL_PORT", "").strip()
        port = (
            _port("KETACARE_EMAIL_PORT", raw_port)
            if raw_port
            else (465 if use_ssl else 587 if use_tls else 25)
        )
        return {
            "EMAIL_BACKEND": SMTP,
            "EMAIL_HOST": host,
            "EMAIL_PORT": port,
            "EMAIL_HOST_USER": environ.get("KETACARE_EMAIL_USER", ""),
            "EMAIL_HOST_PASSWORD": environ.get("KETACARE_EMAIL_PASSWORD", ""),
            "EMAIL_USE_TLS": use_tls,
            "EMAIL_USE_SSL": use_ssl,
        }
    return {"EMAIL_BACKEND": environ.get("KETACARE_EMAIL_BACKEND", "").strip() or CONSOLE}
