"""Absolute links for messages read outside the browser (e-mail, text messages, push): a path such as
``/me/checkin/`` means nothing in a mail client, so every link a message carries starts with the public
address (``KETACARE_BASE_URL``, else the one ``ketacare setup --base-url`` saved in the data directory),
or the address ``make demo`` and a fresh install serve on."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from ketacare.lib.errors import FieldError

FALLBACK_BASE_URL = "http://127.0.0.1:8000"


def public_base_url() -> str:
    return str(settings.PUBLIC_BASE_URL or FALLBACK_BASE_URL).rstrip("/")


def absolute_url(path_or_url: str) -> str:
    """``path_or_url`` as a link that opens from a mail client: a path gets the public address in front."""
    if path_or_url.startswith("/") and not path_or_url.startswith("//"):
        return f"{public_base_url()}{path_or_url}"
    return path_or_url


def check_base_url(value: str) -> str:
    """``value`` as a public address (http or https, a host, an optional port, no path), without the
    final slash; a ``FieldError`` on ``base_url`` otherwise. Links are built from the site's root, so an
    address with a path would point every link at the wrong place."""
    text = (value or "").strip().rstrip("/")
    problem = f"base_url: {value!r} is not a web address such as https://care.example.org or {FALLBACK_BASE_URL} (http or https, a host name, an optional port, no path)"
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise FieldError("base_url", problem) from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or parts.path
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise FieldError("base_url", problem)
    return text
