"""Idempotency keys of patient submissions: a retry with the same key returns the original row."""

from __future__ import annotations

# Long enough for a UUID or a client's own scheme, short enough to index cheaply.
IDEMPOTENCY_KEY_MAX_CHARS = 64
