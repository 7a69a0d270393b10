"""A count difference raises its alert in the clinic's inbox, in the count's transaction; the
investigation note resolves it (through HTTP, as the staff use it; docs/decisions/0021)."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.alerts.models import Alert
from ketacare.audit.models import AccessEvent
from ketacare.lib.errors import FieldError
from ketacare.register import services
from ketacare.register.models import Discrepancy, StockCount
from tests.support.register import receive, start_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(personas: Any) -> dict[str, Any]:
    location, product = start_register(personas)
    lot = receive(personas, product, location, units=4)
    return {"location": location, "product": product, "lot": lot}


def _count(client: Any, lot: Any, units: int) -> Any:
    return client.post("/clinic/register/count/", {"kind": "daily", f"lot_{lot.public_id}": str(units)})


def test_a_matching_count_raises_no_alert(client_for: Any, stocked: dict[str, Any]) -> None:
    assert _count(client_for("clinician_a"), stocked["lot"], 4).status_code == 200
    assert not Alert.objects.exists()


def test_a_short_count_alerts_the_inbox_and_the_investigation_resolves_it(
    personas: Any, client_for: Any, stocked: dict[str, Any]
) -> None:
    lot = stocked["lot"]
    response = _count(client_for("clinician_a"), lot, 3)
    assert response.status_code == 200 and "-500 mg" in response.content.decode()
    discrepancy = Discrepancy.objects.get()
    alert = Alert.objects.get()
    assert alert.source == "register_count" and alert.patient is None and alert.severity == "urgent"
    assert alert.clinic == personas.clinic_a and alert.state == "open"
    assert alert.dedupe_key == f"register_discrepancy:{discrepancy.public_id}"
    assert alert.title == f"Count difference of -500 mg: {stocked['product'].name}, lot {lot.number}, Safe 1"
    assert "1500 mg counted, 2000 mg expected" in alert.detail and "Clinician A" in alert.detail

    # In the inbox of the clinic's staff (and its navigation badge), with a way to the investigation.
    admin = client_for("admin_a")
    inbox = admin.get("/clinic/alerts/").content.decode()
    assert alert.title in inbox and 'aria-label="1 open alerts, 1 urgent or emergency"' in inbox
    assert f"/clinic/register/#discrepancy-{discrepancy.public_id}" in inbox
    assert alert.title not in client_for("clinician_b").get("/clinic/alerts/").content.decode()
    assert client_for("a1").get(f"/clinic/alerts/{alert.public_id}/").status_code == 404

    # A nurse or anyone on staff acknowledges it (it stops escalating); the inbox cannot resolve it.
    acknowledged = admin.post(f"/clinic/alerts/{alert.public_id}/acknowledge/", {"note": "Checking the bin."})
    assert acknowledged.status_code == 302
    admin.post(f"/clinic/alerts/{alert.public_id}/resolve/", {"note": "fine"})
    alert.refresh_from_db()
    assert alert.state == "acknowledged"

    # The investigation note, on the register page, resolves the discrepancy and its alert together.
    note = "Vial found broken in the sharps bin; reported to the pharmacist."
    response = admin.post(
        "/clinic/register/investigate/",
        {"discrepancy": str(discrepancy.public_id), "investigation_note": note},
    )
    assert response.status_code == 302
    discrepancy.refresh_from_db()
    alert.refresh_from_db()
    assert discrepancy.state == "investigated"
    assert alert.state == "resolved" and alert.resolution_note == note
    assert alert.resolved_by == personas.admin_a
    assert AccessEvent.objects.filter(
        object_type="alert", object_id=str(alert.public_id), action="write"
    ).exists()
    link = f'href="/clinic/alerts/{alert.public_id}/"'
    assert link not in admin.get("/clinic/alerts/").content.decode()
    assert link in admin.get("/clinic/alerts/", {"state": "resolved"}).content.decode()


def test_an_unacknowledged_count_alert_can_be_investigated_at_once(
    personas: Any, client_for: Any, stocked: dict[str, Any]
) -> None:
    _count(client_for("clinician_a"), stocked["lot"], 5)  # one vial more than the register holds
    alert = Alert.objects.get()
    assert alert.severity == "contact_clinic" and "difference 500 mg" in alert.detail
    discrepancy = Discrepancy.objects.get()
    client_for("clinician_a").post(
        "/clinic/register/investigate/",
        {"discrepancy": str(discrepancy.public_id), "investigation_note": "A receipt was entered twice."},
    )
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.acknowledged_by == personas.clinician_a


def test_each_difference_of_a_count_has_its_own_alert(personas: Any, stocked: dict[str, Any]) -> None:
    second = receive(personas, stocked["product"], stocked["location"], units=2, lot_number="K-LOT-2")
    services.submit_count(
        clinic=personas.clinic_a,
        user=personas.clinician_a,
        location=stocked["location"],
        kind="weekly",
        counted_units={str(stocked["lot"].public_id): 3, str(second.public_id): 1},
    )
    assert Discrepancy.objects.count() == Alert.objects.count() == 2
    assert {a.dedupe_key for a in Alert.objects.all()} == {
        f"register_discrepancy:{d.public_id}" for d in Discrepancy.objects.all()
    }


def test_a_refused_count_leaves_no_alert(personas: Any, stocked: dict[str, Any]) -> None:
    # The first lot is short (its alert is raised), the second is refused: nothing of the count stays.
    second = receive(personas, stocked["product"], stocked["location"], units=2, lot_number="K-LOT-2")
    with pytest.raises(FieldError, match=f"lot_{second.public_id}"):
        services.submit_count(
            clinic=personas.clinic_a,
            user=personas.clinician_a,
            location=stocked["location"],
            kind="daily",
            counted_units={str(stocked["lot"].public_id): 3, str(second.public_id): -1},
        )
    assert not StockCount.objects.exists() and not Alert.objects.exists()
