"""The audit row's role: a user's comes from their memberships; an actor that is no user names its own."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.audit.services import record_access_event

pytestmark = pytest.mark.django_db


def test_a_program_that_is_no_user_is_recorded_with_its_own_role(personas: Any) -> None:
    row = record_access_event(
        action="read", outcome="granted", patient=personas.a1, login_email="client:abc", role="backend_client"
    )
    assert row is not None and row.role == "backend_client" and row.user_email == "client:abc"


def test_a_users_role_cannot_be_overridden(personas: Any) -> None:
    row = record_access_event(
        action="read",
        outcome="granted",
        user=personas.clinician_a,
        patient=personas.a1,
        role="backend_client",
    )
    assert row is not None and row.role == "prescriber"


def test_without_a_user_or_a_role_the_row_says_anonymous(personas: Any) -> None:
    row = record_access_event(action="login", outcome="failure", login_email="someone@example.org")
    assert row is not None and row.role == "anonymous"
