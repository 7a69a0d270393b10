"""The demo clinics keep a register with months of history that satisfies the register's own rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Min, Sum
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.clinics.models import Clinic
from ketacare.demo.past_sessions import HISTORY_LOT
from ketacare.register import services
from ketacare.register.models import Discrepancy, Entry, Lot, StorageLocation
from ketacare.treatments.models import DoseAdministration

pytestmark = pytest.mark.django_db


def test_each_demo_clinic_has_months_of_register_history(demo):
    for clinic in Clinic.objects.all():
        entries = Entry.objects.filter(clinic=clinic)
        first = entries.aggregate(first=Min("occurred_at"))["first"]
        assert first is not None and first < timezone.now() - dt.timedelta(days=90)
        kinds = set(entries.values_list("kind", flat=True))
        assert {"receipt", "administration", "waste", "count", "correction"} <= kinds
        investigated = Discrepancy.objects.filter(clinic=clinic, state="investigated")
        assert investigated.exists()
        # Each count difference raised its alert in the clinic's inbox; the investigation resolved it.
        alerts = Alert.objects.filter(clinic=clinic, source="register_count")
        assert alerts.count() == Discrepancy.objects.filter(clinic=clinic).count()
        for discrepancy in investigated:
            alert = alerts.get(dedupe_key=f"register_discrepancy:{discrepancy.public_id}")
            assert alert.patient is None and alert.state == "resolved"
            assert alert.resolution_note == discrepancy.investigation_note


def test_every_demo_dose_has_one_register_entry_and_every_balance_adds_up(demo):
    for clinic in Clinic.objects.all():
        # The demo's past courses are history from before the register (ketacare/demo/past_sessions.py).
        doses = DoseAdministration.objects.filter(clinic=clinic, ended_at__isnull=False).exclude(
            lot_number=HISTORY_LOT
        )
        assert doses.exists()
        for dose in doses:
            assert Entry.objects.filter(dose=dose).count() == 1
        assert Entry.objects.filter(clinic=clinic, kind="administration").count() == doses.count()
        for lot in Lot.objects.filter(clinic=clinic):
            for location in StorageLocation.objects.filter(clinic=clinic):
                rows = Entry.objects.filter(lot=lot, location=location)
                total = rows.aggregate(t=Sum("change_mg"))["t"] or Decimal("0")
                assert services.balance_mg(lot, location) == total >= 0
