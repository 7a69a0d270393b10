"""An id with a NUL character is a 404 whose audit row stores the NUL escaped (security.md #4, #6).

Found by the API fuzzer on PostgreSQL: a path id such as "a%00b" was denied, and the denial's
audit row (object id and path) then failed to save because PostgreSQL text refuses NUL: a 500.
"""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.audit.models import AccessEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/patients/a%00b", "/api/v1/alerts/a%00b", "/api/v1/sessions/a%00b"])
def test_a_nul_in_an_id_is_a_404_audited_with_the_nul_escaped(
    personas: Any, client_for: Any, path: str
) -> None:
    response = client_for("clinician_a").get(path)
    assert response.status_code == 404
    denied = AccessEvent.objects.filter(outcome="denied").order_by("-id").first()
    assert denied is not None
    assert denied.object_id == "a\\x00b"
    assert "\x00" not in denied.path and denied.path.endswith("a\\x00b")


def test_an_overlong_object_id_is_cut_to_the_column(personas: Any) -> None:
    from ketacare.audit.services import record_access_event

    event = record_access_event(action="read", outcome="denied", object_type="patient", object_id="x" * 500)
    assert event is not None
    event.refresh_from_db()
    assert event.object_id == "x" * 64
