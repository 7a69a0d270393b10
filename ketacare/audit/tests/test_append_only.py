"""The audit log refuses UPDATE and DELETE in the database, and its hash chain detects edits."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ketacare.audit.models import AccessEvent
from ketacare.audit.selectors import verify_chain
from ketacare.audit.services import record_access_event, seal_pending
from ketacare.audit.triggers import drop_triggers, install_triggers

pytestmark = pytest.mark.django_db


def _three_rows(personas):
    for patient in (personas.a1, personas.a2, personas.b1):
        record_access_event(user=personas.clinician_a, action="read", outcome="granted", patient=patient)
    seal_pending()
    return list(AccessEvent.objects.order_by("seq"))


def test_update_on_the_audit_table_fails_in_the_database(personas):
    row = _three_rows(personas)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accessevent SET outcome = 'denied' WHERE id = %s", [row.pk])
    assert AccessEvent.objects.get(pk=row.pk).outcome == "granted"


def test_delete_on_the_audit_table_fails_in_the_database(personas):
    _three_rows(personas)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accessevent")
    assert AccessEvent.objects.count() == 3


def test_the_orm_cannot_delete_audit_rows_either(personas):
    _three_rows(personas)
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessEvent.objects.all().delete()


def test_an_intact_chain_verifies(personas):
    _three_rows(personas)
    report = verify_chain()
    assert report.ok and report.rows_checked == 3


def test_editing_any_single_row_is_detected(personas):
    rows = _three_rows(personas)
    for target in rows:
        # Mutation test: an attacker with the triggers removed edits one row.
        drop_triggers(connection)
        try:
            with connection.cursor() as cursor:
                cursor.execute("UPDATE audit_accessevent SET role = 'forged' WHERE id = %s", [target.pk])
            report = verify_chain()
            assert not report.ok and report.first_bad_id == target.pk
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE audit_accessevent SET role = %s WHERE id = %s", [target.role, target.pk]
                )
        finally:
            install_triggers(connection)
    assert verify_chain().ok


def test_removing_a_middle_row_is_detected(personas):
    rows = _three_rows(personas)
    drop_triggers(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_accessevent WHERE id = %s", [rows[1].pk])
    finally:
        install_triggers(connection)
    report = verify_chain()
    assert not report.ok and report.first_bad_id == rows[2].pk


def test_each_row_chains_to_the_one_before(personas):
    rows = _three_rows(personas)
    assert rows[1].prev_hash == rows[0].row_hash and rows[2].prev_hash == rows[1].row_hash
