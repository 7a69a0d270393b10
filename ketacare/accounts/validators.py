"""Password rules by role: patients at least 8 characters, staff at least 12, 64+ accepted (docs/security.md S9)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError

PATIENT_MIN_LENGTH = 8
STAFF_MIN_LENGTH = 12
# NIST SP 800-63B asks verifiers to accept at least 64 characters; Argon2 hashes any length.
MAX_LENGTH = 256


def _is_staff(user: Any) -> bool:
    if user is None:
        return False
    if user.is_staff:
        # Also an account not saved yet whose staff role is known (setup's administrator).
        return True
    return user.pk is not None and user.memberships.exists()


class RoleAwareMinimumLengthValidator:
    """Require 12 characters for clinic staff and 8 for everyone else."""

    def validate(self, password: str, user: Any = None) -> None:
        minimum = STAFF_MIN_LENGTH if _is_staff(user) else PATIENT_MIN_LENGTH
        if len(password) < minimum:
            raise ValidationError(
                f"password is too short: {len(password)} characters; at least {minimum} are required",
                code="password_too_short",
            )

    def get_help_text(self) -> str:
        return f"At least {PATIENT_MIN_LENGTH} characters ({STAFF_MIN_LENGTH} for clinic staff)."


class MaximumLengthValidator:
    """Refuse absurdly long passwords (a denial-of-service guard), far above the 64 we must accept."""

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                f"password is too long: {len(password)} characters; at most {MAX_LENGTH} are allowed",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"At most {MAX_LENGTH} characters."


# NIST SP 800-63B (5.1.1.2) asks verifiers to refuse context-specific words: the service's name and the
# person's own. Django's similarity check compares the whole password with each part, so
# "mariagarcia2026" or "garcia-maria-1990" pass it for maria.garcia@example.org.
SERVICE_WORDS = ("ketacare", "ketamine", "esketamine", "spravato")
# Words shorter than this are not removed (a two-letter initial is not a guess from the name).
MIN_WORD_LETTERS = 3
# What must remain once the known words, digits and symbols are taken out.
MIN_OTHER_LETTERS = 4


def _letters(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if c.isalpha() and c.isascii())


class PersonalWordsValidator:
    """Refuse a password that is only the person's name, e-mail or the service's name with digits or symbols."""

    def validate(self, password: str, user: Any = None) -> None:
        words = list(SERVICE_WORDS)
        for value in (getattr(user, "email", "") or "", getattr(user, "full_name", "") or ""):
            words += [_letters(part) for part in re.split(r"[\W_\d]+", value)]
        letters = remaining = _letters(password)
        for word in sorted({w for w in words if len(w) >= MIN_WORD_LETTERS}, key=len, reverse=True):
            remaining = remaining.replace(word, "")
        # A random password may have few letters; only one built on a known word is refused.
        if remaining != letters and len(remaining) < MIN_OTHER_LETTERS:
            raise ValidationError(
                "password is mostly your name, your e-mail address or this service's name with numbers "
                "or symbols added; choose words others could not guess from them",
                code="password_personal_words",
            )

    def get_help_text(self) -> str:
        return "Not your name, your e-mail address or the name of this service with numbers added."
