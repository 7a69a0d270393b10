"""The clinic admin's audit report: filters, CSV export, admin only, own clinic only."""

from __future__ import annotations

import csv
import html
import io

import pytest

pytestmark = pytest.mark.django_db


def _touch(personas, client_for):
    client_for("clinician_a").get(f"/clinic/patients/{personas.a1.public_id}/")
    client_for("clinician_a").get(f"/clinic/patients/{personas.a2.public_id}/")
    client_for("clinician_b").get(f"/clinic/patients/{personas.b1.public_id}/")


def test_the_report_lists_this_clinics_events_only(personas, client_for):
    _touch(personas, client_for)
    page = client_for("admin_a").get("/clinic/audit/").content.decode()
    assert str(personas.a1.public_id) in page
    assert str(personas.b1.public_id) not in page
    assert "clinician.b@example.org" not in page


def test_the_report_counts_and_lists_every_event_including_its_own_read(personas, client_for):
    from ketacare.audit.models import AccessEvent

    _touch(personas, client_for)
    page = client_for("admin_a").get("/clinic/audit/").context["page"]
    clinic_rows = AccessEvent.objects.filter(clinic_public_id=str(personas.clinic_a.public_id))
    shown = [event.pk for event in page.object_list]
    assert page.paginator.count == len(shown) == clinic_rows.count() == 3
    assert shown == list(clinic_rows.order_by("-occurred_at", "-id").values_list("pk", flat=True))
    assert clinic_rows.get(pk=shown[0]).object_type == "audit_report"


def test_the_report_filters_by_patient_and_user(personas, client_for):
    _touch(personas, client_for)
    page = client_for("admin_a").get(f"/clinic/audit/?patient={personas.a2.public_id}").content.decode()
    assert str(personas.a2.public_id) in page and str(personas.a1.public_id) not in page
    page = client_for("admin_a").get("/clinic/audit/?user=nobody@example.org").content.decode()
    assert "No events match" in page


def test_a_bad_date_range_is_a_form_error_naming_the_fields(personas, client_for):
    response = client_for("admin_a").get("/clinic/audit/?date_from=2026-12-02&date_to=2026-12-01")
    assert response.status_code == 400
    assert "To (1 Dec 2026) is before From (2 Dec 2026): choose a day on or after From" in html.unescape(
        response.content.decode()
    )
    response = client_for("admin_a").get("/clinic/audit/?date_from=yesterday")
    assert response.status_code == 400 and "date_from" in response.content.decode()


def test_the_csv_export_has_every_column_and_this_clinics_rows(personas, client_for):
    _touch(personas, client_for)
    response = client_for("admin_a").get("/clinic/audit/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {
        "occurred_at",
        "user_email",
        "role",
        "action",
        "outcome",
        "patient_public_id",
        "ip_address",
        "request_id",
    } <= set(rows[0])
    patients = {r["patient_public_id"] for r in rows}
    assert str(personas.a1.public_id) in patients and str(personas.b1.public_id) not in patients


def test_a_clinician_cannot_open_the_audit_report(personas, client_for):
    assert client_for("clinician_a").get("/clinic/audit/").status_code == 404


def test_the_report_reads_in_words_and_names_the_patient(personas, client_for):
    _touch(personas, client_for)
    client_for("clinician_b").get(f"/clinic/patients/{personas.a1.public_id}/")  # refused: another clinic
    page = client_for("admin_a").get("/clinic/audit/").content.decode()
    rows = page.split("<tr")[2:]
    a1_row = next(r for r in rows if personas.a1.full_name in r and "Granted" in r)
    probe = next(r for r in rows if "clinician.b@example.org" in r)
    assert "<td>No role at this clinic</td><td>Read</td><td><strong>Denied</strong></td>" in probe
    # The role, the action and the object in words, the patient by name linking to their events only.
    assert "<td>Prescriber</td><td>Read</td><td>Granted</td><td>Patient record</td>" in a1_row
    assert f'href="?patient={personas.a1.public_id}"' in a1_row
    assert "<td>Clinic admin</td><td>Read</td><td>Granted</td><td>Audit report</td>" in page
    for code in ("clinic_admin", "<td>read</td>", "<td>granted</td>", "audit_report</td>"):
        assert code not in page
    assert "<strong>Denied</strong>" in page  # clinic B's refused look at A1 stands out
    # The patient filter says how to use it.
    assert (
        "Choose a patient&#x27;s name in the report" in page
        or "Choose a patient's name in the report" in page
    )
