"""The demo register an inspector reads holds every dose given since it began, the past courses' too.

A past course's session since the clinic's register began was drawn from a lot in it: its register
extract (the CSV a clinic administrator downloads for the period) lists each dose as an administration
of that lot for that patient at the dose's time, and an opened vial's remainder as wasted under witness.
A dose before the register began names none of its lots.

Read through the pages of the demo seeded once for the session.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from typing import Any

import pytest
from django.db.models import Min
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic
from ketacare.demo.past_sessions import PAST_COURSE_NOTES
from ketacare.register.models import Entry, Lot
from ketacare.register.services import fmt_mg
from ketacare.treatments.models import DoseAdministration

pytestmark = pytest.mark.django_db

ADMINS = {"Harbor Ketamine Clinic": "admin", "Cascade Mood Center": "admin-b"}


def _extract(client: Client, start: str, end: str) -> list[dict[str, str]]:
    response = client.get(reverse("register:extract_csv"), {"start": start, "end": end})
    assert response.status_code == 200
    reader = csv.reader(io.StringIO(response.content.decode()))
    header = next(reader)
    keys = ["when", "product", "lot", "expires", "location", "entry", "change", "balance", "by", "witness"]
    assert header[2:4] == ["Lot", "Expiry"] and header[-2:] == ["Patient", "Detail"]
    return [dict(zip([*keys, "patient", "detail"], row, strict=True)) for row in reader]


def test_the_register_extract_lists_each_past_course_dose_since_the_register_began(demo: Any) -> None:
    for clinic_name, admin in ADMINS.items():
        clinic = Clinic.objects.get(name=clinic_name)
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        began = Entry.objects.filter(clinic=clinic).aggregate(first=Min("occurred_at"))["first"]
        assert began is not None
        client = login(Client(), User.objects.get(email=f"{admin}@demo.ketacare.org"))
        today = timezone.now().astimezone(zone).date()
        rows = _extract(client, began.astimezone(zone).date().isoformat(), today.isoformat())
        given = {
            (r["when"], r["lot"], r["change"], r["patient"]) for r in rows if r["entry"] == "Administered"
        }
        wasted = {
            (r["patient"], r["lot"]) for r in rows if r["entry"] == "Wasted (witnessed)" and r["witness"]
        }
        past = DoseAdministration.objects.filter(
            clinic=clinic, session__plan__notes=PAST_COURSE_NOTES
        ).select_related("patient")
        since = past.filter(started_at__gte=began)
        assert since.exists(), clinic_name  # some past courses ran while the register was kept
        for dose in since:
            label = dose.patient.title_label()
            key = (
                dose.started_at.astimezone(zone).isoformat(timespec="seconds"),
                dose.lot_number,
                fmt_mg(-dose.dose_mg),
                label,
            )
            assert key in given, (clinic_name, key)
            if dose.route == "iv":
                assert (label, dose.lot_number) in wasted, (clinic_name, label, dose.lot_number)
        numbers = set(Lot.objects.filter(clinic=clinic).values_list("number", flat=True))
        assert past.filter(started_at__lt=began).exists(), clinic_name  # and some before it began
        assert not past.filter(started_at__lt=began, lot_number__in=numbers).exists(), clinic_name
