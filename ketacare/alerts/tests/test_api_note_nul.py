"""An acknowledge or resolve note with a NUL character is a 422 naming `note`; the alert is unchanged.

Found by the API fuzzer on PostgreSQL, whose text columns refuse NUL (a 500 before).
"""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.alerts.models import Alert
from ketacare.alerts.tests.helpers import make_alert

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("transition", ["acknowledge", "resolve"])
def test_a_nul_in_the_note_is_refused_and_the_alert_stays_open(
    personas: Any, client_for: Any, transition: str
) -> None:
    alert = make_alert(personas.a1)
    response = client_for("clinician_a").post(
        f"/api/v1/alerts/{alert.public_id}/{transition}", {"note": "Called\x00 the patient"}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["note"]
    alert.refresh_from_db()
    assert alert.state == Alert.State.OPEN and alert.note == ""
