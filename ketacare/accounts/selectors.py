"""Reads for accounts: users named by a link, and whether an address already has an account."""

from __future__ import annotations

import uuid

from ketacare.accounts.models import User


def user_by_public_id(public_id: str) -> User | None:
    """The active user a reset link names, or None for a malformed or unknown id."""
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        return None
    return User.objects.filter(public_id=key, is_active=True).first()


def account_exists(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()
