"""The escalation e-mail, sent by the worker outside any request, carries a link that opens the alert."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail

from ketacare.alerts.services import escalate_overdue_alerts
from ketacare.alerts.tests.helpers import make_alert

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _escalation_link(personas: Any, capture: Any) -> tuple[Any, str]:
    with time_machine.travel(T0, tick=False):
        alert = make_alert(personas.a1)
    with capture(execute=True):
        escalate_overdue_alerts(now=T0 + dt.timedelta(minutes=30))
    [message] = mail.outbox
    match = re.search(r"Open it: (\S+)", message.body)
    assert match, message.body
    return alert, match.group(1)


def test_the_escalation_email_links_to_the_alert_at_the_public_address(
    personas: Any, settings: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PUBLIC_BASE_URL = "https://care.example.org"
    alert, link = _escalation_link(personas, django_capture_on_commit_callbacks)
    assert link == f"https://care.example.org/clinic/alerts/{alert.public_id}/"
    # The clinic admin it was sent to opens it (after sign-in) at that path.
    page = client_for("admin_a").get(urlsplit(link).path)
    assert page.status_code == 200 and alert.title in page.content.decode()


def test_without_a_public_address_the_link_is_still_absolute(
    personas: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PUBLIC_BASE_URL = ""
    alert, link = _escalation_link(personas, django_capture_on_commit_callbacks)
    assert link == f"http://127.0.0.1:8000/clinic/alerts/{alert.public_id}/"
