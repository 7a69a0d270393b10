"""HTTP helpers shared by the apps."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_redirect_target(request: HttpRequest, fallback: str) -> str:
    """Return ?next= or POST next when it stays on this site, else the fallback URL name."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return resolve_url(fallback)
