"""The register's recording pages through HTTP: each saves through its service, puts a refusal on its
field with status 422 and writes nothing, and answers a role outside it with 403."""

from __future__ import annotations

import zoneinfo
from typing import Any

import pytest
from django.utils import timezone

from ketacare.register import services
from ketacare.register.models import Discrepancy, Entry, LossReport, Receipt
from tests.support.register import add_nurse, receive, start_register, totp_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(personas: Any) -> dict[str, Any]:
    location, product = start_register(personas)
    lot = receive(personas, product, location, units=2)
    return {"location": location, "product": product, "lot": lot, "nurse": add_nurse(personas.clinic_a)}


def _stock(stocked: dict[str, Any]) -> str:
    return f"{stocked['lot'].public_id}:{stocked['location'].public_id}"


def test_a_delivery_is_received_and_a_bad_one_names_its_field(
    client_for: Any, stocked: dict[str, Any]
) -> None:
    client = client_for("clinician_a")
    form = {
        "product": str(stocked["product"].public_id),
        "location": str(stocked["location"].public_id),
        "lot_number": "K-LOT-1",
        "expires_on": "2020-01-01",  # not the expiry on record for this lot
        "units": "3",
        "supplier": "Example Pharma Wholesale",
        "invoice_number": "INV-2002",
        "received_on": timezone.now().date().isoformat(),
    }
    refused = client.post("/clinic/register/receive/", form)
    assert refused.status_code == 422 and "check the box label" in refused.content.decode()
    assert Receipt.objects.count() == 1
    form["expires_on"] = stocked["lot"].expires_on.isoformat()
    saved = client.post("/clinic/register/receive/", form, follow=True)
    assert "Received 3 of lot K-LOT-1." in saved.content.decode()
    assert services.balance_mg(stocked["lot"], stocked["location"]) == 2500


def test_a_correction_needs_another_persons_credentials(
    client_for: Any, personas: Any, stocked: dict[str, Any]
) -> None:
    client = client_for("clinician_a")
    form = {
        "stock": _stock(stocked),
        "change_mg": "-500",
        "reason": "vial broken while stocking",
        "witness_email": "nurse.a@example.org",
        "witness_password": "wrong-password",
        "witness_code": totp_now(stocked["nurse"]),
    }
    refused = client.post("/clinic/register/correction/", form)
    assert refused.status_code == 422 and not Entry.objects.filter(kind="correction").exists()
    form["witness_password"] = "witness-Pass-1"
    saved = client.post("/clinic/register/correction/", form, follow=True)
    assert "Correction recorded." in saved.content.decode()
    entry = Entry.objects.get(kind="correction")
    assert entry.witness == stocked["nurse"] and entry.recorded_by == personas.clinician_a
    assert client_for("admin_a").post("/clinic/register/correction/", form).status_code == 403


def test_a_loss_report_shows_the_jurisdictions_dates(client_for: Any, stocked: dict[str, Any]) -> None:
    client = client_for("clinician_a")
    form = {
        "kind": "theft",
        "lot": str(stocked["lot"].public_id),
        "amount_mg": "0",
        # The field is clinic time, as a member of staff at the clinic types it.
        "discovered_at": timezone.now()
        .astimezone(zoneinfo.ZoneInfo("America/New_York"))
        .strftime("%Y-%m-%dT%H:%M"),
        "description": "Safe found open in the morning.",
    }
    refused = client.post("/clinic/register/loss/", form)
    assert refused.status_code == 422 and "Must be above 0" in refused.content.decode()
    form["amount_mg"] = "500"
    saved = client.post("/clinic/register/loss/", form)
    body = saved.content.decode()
    assert saved.status_code == 200 and LossReport.objects.count() == 1
    report = LossReport.objects.get()
    assert [d["source"] for d in report.deadlines][:1] == ["cfr_1301_76_b"]
    assert "21 CFR 1301.76(b)" in body and report.deadlines[0]["due_on"] in body


def test_a_count_without_a_location_is_refused(client_for: Any, personas: Any) -> None:
    services.configure_register(clinic=personas.clinic_a, user=personas.admin_a, jurisdiction="us")
    refused = client_for("clinician_a").post("/clinic/register/count/", {"kind": "daily"})
    assert refused.status_code == 422 and "There is no storage location to count" in refused.content.decode()


def test_an_investigated_difference_cannot_be_investigated_again(
    client_for: Any, personas: Any, stocked: dict[str, Any]
) -> None:
    services.submit_count(
        clinic=personas.clinic_a,
        user=personas.clinician_a,
        location=stocked["location"],
        kind="daily",
        counted_units={str(stocked["lot"].public_id): 1},
    )
    discrepancy = Discrepancy.objects.get()
    client = client_for("admin_a")
    form = {"discrepancy": str(discrepancy.public_id), "investigation_note": "Broken vial."}
    assert client.post("/clinic/register/investigate/", form).status_code == 302
    again = client.post("/clinic/register/investigate/", {**form, "investigation_note": "Again."})
    assert again.status_code == 422 and "already investigated" in again.content.decode()
    discrepancy.refresh_from_db()
    assert discrepancy.investigation_note == "Broken vial."
