"""The keys that seal the audit chain: the current one, and retired ones that still verify old rows."""

from __future__ import annotations

import hashlib

from django.conf import settings


class UnknownAuditKeyError(LookupError):
    """A row or an anchor names a key this installation does not hold."""


def key_id(key: bytes) -> str:
    """A short public fingerprint of a key, stored on each row so rotation keeps old rows verifiable."""
    return hashlib.sha256(b"ketacare-audit-key:" + key).hexdigest()[:16]


def current_key() -> tuple[str, bytes]:
    """The key new rows and anchors are sealed with, and its id."""
    key = settings.AUDIT_KEY.encode()
    return key_id(key), key


def key_for(wanted_id: str) -> bytes:
    """The current or a retired key by its id; UnknownAuditKeyError when none matches."""
    for raw in [settings.AUDIT_KEY, *settings.AUDIT_OLD_KEYS]:
        key = raw.encode()
        if key_id(key) == wanted_id:
            return key
    raise UnknownAuditKeyError(f"no audit key with id {wanted_id!r} (current or in KETACARE_AUDIT_OLD_KEYS)")
