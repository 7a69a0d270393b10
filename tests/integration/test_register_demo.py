"""The demo clinics keep a register with months of history that satisfies the register's own rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Min, Sum
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.clinics.models import Clinic
from ketacare.register import services
from ketacare.register.models import Discrepancy, Draw, Entry, Lot, StorageLocation
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


def test_every_demo_dose_since_the_register_began_has_one_register_entry_and_every_balance_adds_up(demo):
    for clinic in Clinic.objects.all():
        # The register begins with its first entry; a dose before it predates the register and names
        # none of its lots, and every dose from it on (the past courses' too) was drawn from a lot in it.
        began = Entry.objects.filter(clinic=clinic).aggregate(first=Min("occurred_at"))["first"]
        assert began is not None
        numbers = set(Lot.objects.filter(clinic=clinic).values_list("number", flat=True))
        doses = DoseAdministration.objects.filter(
            clinic=clinic, ended_at__isnull=False, started_at__gte=began
        )
        assert doses.exists()
        for dose in doses:
            assert dose.lot_number in numbers, dose
            assert Draw.objects.filter(session_id=dose.session_id, lot__number=dose.lot_number).exists(), dose
            assert Entry.objects.filter(dose=dose).count() == 1, dose
        assert Entry.objects.filter(clinic=clinic, kind="administration").count() == doses.count()
        earlier = DoseAdministration.objects.filter(clinic=clinic, started_at__lt=began)
        assert not earlier.filter(lot_number__in=numbers).exists()
        for lot in Lot.objects.filter(clinic=clinic):
            for location in StorageLocation.objects.filter(clinic=clinic):
                rows = Entry.objects.filter(lot=lot, location=location)
                total = rows.aggregate(t=Sum("change_mg"))["t"] or Decimal("0")
                assert services.balance_mg(lot, location) == total >= 0
                # In the order written, each balance follows from the row before, in time order.
                before, last = Decimal("0"), None
                for entry in rows.order_by("id"):
                    assert entry.balance_after_mg == before + entry.change_mg, entry
                    assert last is None or entry.occurred_at >= last, entry
                    before, last = entry.balance_after_mg, entry.occurred_at
