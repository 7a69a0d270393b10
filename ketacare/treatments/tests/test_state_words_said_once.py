"""A state is said once: the run-sheet header does not read "Scheduled Scheduled Tue 8 Dec", and the
plan's status column does not read "Scheduled · Scheduled"."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db


def _text(page: bytes) -> str:
    return " ".join(html.unescape(strip_tags(page.decode())).split())


def test_the_run_sheet_and_the_plan_say_scheduled_once(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="scheduled")
    client = client_for("clinician_a")
    sheet = _text(
        client.get(reverse("treatments:run_sheet", kwargs={"session_id": session.public_id})).content
    )
    assert "Scheduled · booked for " in sheet and "Scheduled Scheduled" not in sheet
    plan = _text(client.get(reverse("treatments:plan", kwargs={"patient_id": personas.a1.public_id})).content)
    assert "Scheduled · Scheduled" not in plan and "Scheduled" in plan
