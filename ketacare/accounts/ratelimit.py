"""A small fixed-window rate limit on Django's cache, for the password-reset request.

django-axes covers logins only. Each request adds one to a counter keyed by what is limited (a digest
of the e-mail address, or the client address) in a window of ``window_s`` seconds; past ``limit`` the
request is refused until the window ends. ``cache.add`` starts a window only if none is running and
``cache.incr`` is atomic in each cache backend, so two requests at once cannot both slip under the limit.

The project's cache is Django's default per-process memory cache: with gunicorn's two workers the
effective limit is at most twice the setting, which still stops a flood. A shared cache (CACHES in
the settings) makes it exact.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

PREFIX = "ketacare:ratelimit:"


def _key(scope: str, subject: str, window_s: int) -> str:
    window = int(time.time() // window_s)
    # Hashed: the key holds no e-mail address (nothing personal lands in a shared cache).
    hashed = hashlib.sha256(subject.encode("utf-8", "replace")).hexdigest()[:32]
    return f"{PREFIX}{scope}:{hashed}:{window}"


def allow(scope: str, subject: str, *, limit: int, window_s: int = 3600) -> bool:
    """Count one attempt for ``subject`` and say whether it is within ``limit`` for this window."""
    key = _key(scope, subject, window_s)
    cache.add(key, 0, timeout=window_s + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: start again
        cache.set(key, 1, timeout=window_s + 5)
        count = 1
    return count <= limit
