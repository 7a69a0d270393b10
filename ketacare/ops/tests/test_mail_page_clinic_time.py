"""The clinic admin's e-mail page shows when each message was made and sent on the clinic's clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ketacare.ops.models import OutboundEmail

pytestmark = pytest.mark.django_db


def test_created_and_sent_times_are_clinic_time_not_utc(personas: Any, client_for: Any) -> None:
    created = dt.datetime(2026, 11, 28, 15, 15, tzinfo=dt.UTC)
    row = OutboundEmail.objects.create(
        state=OutboundEmail.State.SENT,
        subject="Your session reminder",
        body="-",
        from_email="clinic@example.org",
        to=["clinician.a@example.org"],
        recipient="clinician.a@example.org",
        next_attempt_at=created,
        sent_at=created + dt.timedelta(minutes=2),
    )
    OutboundEmail.objects.filter(pk=row.pk).update(created_at=created)  # auto_now_add ignores a given value
    page = client_for("admin_a").get(reverse("ops:mail")).content.decode()
    # Clinic A is in America/New_York: 15:15 UTC on 28 November is 10:15 there (UTC-5).
    assert "<td>Sat 28 Nov 2026, 10:15</td>" in page
    assert "Sent Sat 28 Nov 2026, 10:17" in page
    assert "(clinic time, New York)" in page and "UTC" not in page and "America/New_York" not in page
