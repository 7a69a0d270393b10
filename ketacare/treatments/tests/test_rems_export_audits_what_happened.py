"""Downloading a REMS form records an export only when a form was exported.

An IV session has no REMS form: asking for its PDF answered 404 after recording "Export · Granted –
Download REMS form (PDF)", so the audit trail showed an export of patient data that never left. The
404 is now the read it was (the session was opened and found to have no form).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.audit.models import AccessEvent
from tests.support.pathway import make_nurse
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def _rows(response: Any) -> list[tuple[str, str]]:
    rows = AccessEvent.objects.filter(request_id=response["X-Request-ID"]).exclude(
        action__in=["login", "logout", "mfa"]
    )
    return sorted((row.action, row.outcome) for row in rows)


@pytest.mark.parametrize("name", ["treatments:rems_pdf", "treatments:rems_csv"])
def test_an_iv_session_has_no_rems_form_and_nothing_is_recorded_as_exported(
    personas: Any, clock: Any, name: str
) -> None:
    session = make_session(personas.a1, route="iv", state="discharged")
    nurse = login(Client(), make_nurse(personas.clinic_a))
    response = nurse.get(reverse(name, kwargs={"session_id": session.public_id}))
    assert response.status_code == 404
    assert _rows(response) == [("read", "granted")]


def test_an_esketamine_form_download_is_still_one_granted_export(personas: Any, clock: Any) -> None:
    session = make_session(personas.a1, route="esketamine_in", state="discharged", minutes_since_dose_end=125)
    nurse = login(Client(), make_nurse(personas.clinic_a))
    response = nurse.get(reverse("treatments:rems_pdf", kwargs={"session_id": session.public_id}))
    assert response.status_code == 200
    assert _rows(response) == [("export", "granted")]


def test_another_clinics_nurse_is_still_denied(personas: Any, clock: Any) -> None:
    session = make_session(personas.a1, route="iv", state="discharged")
    other = login(Client(), make_nurse(personas.clinic_b))
    response = other.get(reverse("treatments:rems_pdf", kwargs={"session_id": session.public_id}))
    assert response.status_code == 404
    assert [outcome for _, outcome in _rows(response)] == ["denied"]
