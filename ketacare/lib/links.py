"""Absolute links for messages read outside the browser (e-mail, text messages, push): a path such as
``/me/checkin/`` means nothing in a mail client, so every link a message carries starts with the public
address (``KETACARE_BASE_URL``), or the address ``make demo`` and a fresh install serve on."""

from __future__ import annotations

from django.conf import settings

FALLBACK_BASE_URL = "http://127.0.0.1:8000"


def public_base_url() -> str:
    return str(settings.PUBLIC_BASE_URL or FALLBACK_BASE_URL).rstrip("/")


def absolute_url(path_or_url: str) -> str:
    """``path_or_url`` as a link that opens from a mail client: a path gets the public address in front."""
    if path_or_url.startswith("/") and not path_or_url.startswith("//"):
        return f"{public_base_url()}{path_or_url}"
    return path_or_url
