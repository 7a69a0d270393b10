"""Secrets for e-mailed links (invitations): made here, stored only as a digest.

A link carries 32 random bytes (256 bits, URL-safe base64); the database keeps their SHA-256 digest,
so neither a backup nor a read-only leak of the database lets anyone accept an invitation. Guessing
is hopeless at 256 bits, so a plain digest lookup needs no key stretching and no constant-time compare.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

TOKEN_BYTES = 32
# What token_urlsafe(32) produces: 43 characters of the URL-safe alphabet. Anything else is refused
# before the database is asked (a tampered or truncated link).
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> tuple[str, str]:
    """A fresh (secret, digest) pair: the secret goes into the e-mail, the digest into the database."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, digest(token)


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def well_formed(token: str) -> bool:
    return bool(TOKEN_SHAPE.match(token))


class LinkState:
    """Why a link does or does not work; each has its own page (docs/decisions/0011)."""

    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"
    # An invitation link the clinic took back: a newer invitation to the same address, or withdrawn.
    REPLACED = "replaced"
    WITHDRAWN = "withdrawn"


class ResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens, able to say whether a refused token was genuine but too old."""

    def diagnose(self, user: Any, token: str) -> str:
        """VALID; EXPIRED (signed by us, past PASSWORD_RESET_TIMEOUT); else INVALID.

        A token that was used is INVALID too: the signature covers the password hash and the last
        login, so it stops matching once the password changed — Django cannot tell that from tampering.
        """
        if user is None or not token:
            return LinkState.INVALID
        if self.check_token(user, token):
            return LinkState.VALID
        try:
            stamp, _ = token.split("-")
            if len(stamp) > 6:
                return LinkState.INVALID
            issued = base36_to_int(stamp)
        except ValueError:
            return LinkState.INVALID
        for secret in [self.secret, *self.secret_fallbacks]:
            # The same computation check_token makes, without its age limit (Django's own helper).
            if constant_time_compare(self._make_token_with_timestamp(user, issued, secret), token):
                return LinkState.EXPIRED
        return LinkState.INVALID


reset_tokens = ResetTokenGenerator()
