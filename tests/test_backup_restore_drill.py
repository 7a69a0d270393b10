"""Backup drill (security.md #13): back up a running instance, restore it fresh, check it all."""

from __future__ import annotations

import sqlite3
import uuid

import psycopg
import pytest
from django.db import connection

from ketacare.audit.models import AccessEvent
from ketacare.audit.services import record_access_event, seal_pending
from ketacare.lib.backup import BackupError, backup_database, restore_postgresql, restore_sqlite
from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = ["accounts_user", "clinics_clinic", "patients_patient", "audit_accessevent"]


def _seed(personas):
    for patient in (personas.a1, personas.a2, personas.b1):
        record_access_event(user=personas.clinician_a, action="read", outcome="granted", patient=patient)
    seal_pending()


def _counts_here() -> dict[str, int]:
    with connection.cursor() as cursor:
        out = {}
        for table in TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed table names
            out[table] = cursor.fetchone()[0]
        return out


def _chain_ok(rows: list[tuple]) -> bool:
    # Recompute the chain on the restored rows with the model's own seal (keyed rows name their key).
    import datetime as dt

    previous = "0" * 64
    for row in rows:
        values = dict(
            zip(["id", *AccessEvent.CHAINED_FIELDS, "prev_hash", "row_hash", "key_id"], row, strict=True)
        )
        event = AccessEvent(**{k: v for k, v in values.items() if k != "id"})
        if isinstance(event.occurred_at, str):
            event.occurred_at = dt.datetime.fromisoformat(event.occurred_at)
        if event.occurred_at.tzinfo is None:
            event.occurred_at = event.occurred_at.replace(tzinfo=dt.UTC)
        if event.prev_hash != previous or event.compute_hash() != event.row_hash:
            return False
        previous = event.row_hash
    return True


_COLUMNS = ", ".join(AccessEvent.CHAINED_FIELDS)
CHAIN_SQL = f"SELECT id, {_COLUMNS}, prev_hash, row_hash, key_id FROM audit_accessevent ORDER BY seq"  # noqa: S608


def test_a_backup_of_the_running_database_restores_into_a_fresh_instance(personas, tmp_path):
    # The suite runs once per database; each run drills its own vendor's backup path.
    if connection.vendor == "postgresql":
        _drill_postgresql(personas, tmp_path)
    else:
        _drill_sqlite(personas, tmp_path)


def _drill_sqlite(personas, tmp_path):
    _seed(personas)
    expected = _counts_here()
    result = backup_database(tmp_path / "backup.sqlite3")
    restored = tmp_path / "restored.sqlite3"
    restore_sqlite(result.path, restored)
    db = sqlite3.connect(restored)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES} == expected  # noqa: S608
    assert _chain_ok(db.execute(CHAIN_SQL).fetchall())
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert "audit_accessevent_no_update" in names  # the restored log is append-only too
    with pytest.raises(sqlite3.DatabaseError):
        db.execute("DELETE FROM audit_accessevent")


def _drill_postgresql(personas, tmp_path):
    _seed(personas)
    expected = _counts_here()
    result = backup_database(tmp_path / "backup.dump")
    settings = connection.settings_dict
    fresh = f"ketacare_restore_{uuid.uuid4().hex[:8]}"
    admin_url = f"postgresql://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{fresh}"')
    try:
        url = admin_url.rsplit("/", 1)[0] + f"/{fresh}"
        restore_postgresql(result.path, url)
        with psycopg.connect(url) as db:
            counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608
            assert counts == expected
            assert _chain_ok(db.execute(CHAIN_SQL).fetchall())
            with pytest.raises(psycopg.errors.RaiseException):
                db.execute("DELETE FROM audit_accessevent")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')


def test_a_backup_never_overwrites_an_existing_file(personas, tmp_path):
    existing = tmp_path / "taken"
    existing.write_text("keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup_database(existing)
    assert existing.read_text() == "keep me"
    assert Patient.objects.count() == 3
