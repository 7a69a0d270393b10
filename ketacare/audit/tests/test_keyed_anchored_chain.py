"""The audit chain against someone with write access to the database (docs/security.md S7).

Each attack drops the append-only triggers first, as such an attacker could; the keyed seals and the
anchors kept outside the database must still expose it. Decision 0015 says what this does not cover.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from ketacare.audit.anchors import read_anchors
from ketacare.audit.keys import current_key, key_id
from ketacare.audit.models import AccessEvent
from ketacare.audit.selectors import verify_chain
from ketacare.audit.services import anchor_chain, record_access_event, seal_pending
from ketacare.audit.triggers import drop_triggers, install_triggers

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def _rows(personas: Any, n: int) -> list[AccessEvent]:
    for i in range(n):
        patient = (personas.a1, personas.a2, personas.b1)[i % 3]
        record_access_event(user=personas.clinician_a, action="read", outcome="granted", patient=patient)
    seal_pending()
    return list(AccessEvent.objects.order_by("seq"))


def _sql(statement: str, params: list[Any]) -> None:
    drop_triggers(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
    finally:
        install_triggers(connection)


def _anchored(personas: Any, tmp_path: Path, n: int) -> tuple[list[AccessEvent], list[Any]]:
    rows = _rows(personas, n)
    path = tmp_path / "anchors.jsonl"
    anchor_chain(path=path, now=NOW)
    return rows, read_anchors(path)


def test_new_rows_are_sealed_with_the_key_outside_the_database(personas: Any) -> None:
    rows = _rows(personas, 3)
    kid, key = current_key()
    assert {r.key_id for r in rows} == {kid}
    assert all(r.compute_hash(key) == r.row_hash for r in rows)
    # The seal is not a plain digest anyone could recompute.
    plain = AccessEvent(**{f: getattr(rows[0], f) for f in (*AccessEvent.CHAINED_FIELDS, "prev_hash")})
    assert plain.key_id is None and plain.compute_hash() != rows[0].row_hash


def test_an_intact_chain_verifies_against_its_anchor(personas: Any, tmp_path: Path) -> None:
    rows, anchors = _anchored(personas, tmp_path, 5)
    assert anchors[0].rows == 5 and anchors[0].last_id == rows[-1].pk
    _rows(personas, 2)  # rows after the anchor are fine
    report = verify_chain(anchors)
    assert report.ok and report.rows_checked == 7 and report.anchors_checked == 1


def test_truncating_the_last_rows_is_detected_by_the_anchor(personas: Any, tmp_path: Path) -> None:
    rows, anchors = _anchored(personas, tmp_path, 60)
    _sql("DELETE FROM audit_accessevent WHERE id > %s", [rows[9].pk])
    assert verify_chain().ok  # the chain alone cannot see a cut-off end ...
    report = verify_chain(anchors)  # ... the anchor can
    assert not report.ok and "rows removed or the table replaced" in report.problem


def test_rewriting_a_row_and_recomputing_every_later_seal_without_the_key_is_detected(
    personas: Any, tmp_path: Path
) -> None:
    rows, anchors = _anchored(personas, tmp_path, 20)
    # The attacker edits row 10 and re-seals it and every later row with the only formula they can
    # compute: plain SHA-256 (they do not hold the key).
    previous = rows[9].prev_hash
    drop_triggers(connection)
    try:
        for index, row in enumerate(rows[9:]):
            row.prev_hash = previous
            if index == 0:
                row.role = "forged"
            row.key_id = None
            row.row_hash = row.compute_hash()
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE audit_accessevent SET role=%s, prev_hash=%s, row_hash=%s, key_id=NULL WHERE id=%s",
                    [row.role, row.prev_hash, row.row_hash, row.pk],
                )
            previous = row.row_hash
    finally:
        install_triggers(connection)
    report = verify_chain(anchors)
    assert not report.ok and report.first_bad_id == rows[9].pk


def test_a_chain_resealed_with_a_guessed_key_is_detected(personas: Any, tmp_path: Path) -> None:
    rows, anchors = _anchored(personas, tmp_path, 10)
    forged_key = b"an attacker's own key that is long enough"
    previous = rows[4].prev_hash
    drop_triggers(connection)
    try:
        for row in rows[4:]:
            row.prev_hash = previous
            row.key_id = key_id(forged_key)
            row.row_hash = row.compute_hash(forged_key)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE audit_accessevent SET prev_hash=%s, row_hash=%s, key_id=%s WHERE id=%s",
                    [row.prev_hash, row.row_hash, row.key_id, row.pk],
                )
            previous = row.row_hash
    finally:
        install_triggers(connection)
    report = verify_chain(anchors)
    assert not report.ok and report.first_bad_id == rows[4].pk and "no audit key" in report.problem


def test_replacing_the_whole_table_is_detected(personas: Any, tmp_path: Path) -> None:
    rows, anchors = _anchored(personas, tmp_path, 8)
    _sql("DELETE FROM audit_accessevent", [])
    _rows(personas, 8)  # a fresh, internally consistent chain written by the application itself
    assert verify_chain().ok
    report = verify_chain(anchors)
    assert not report.ok and f"ends at row {rows[-1].pk}" in report.problem


def test_an_edited_anchor_file_is_detected(personas: Any, tmp_path: Path) -> None:
    _rows(personas, 4)
    path = tmp_path / "anchors.jsonl"
    anchor_chain(path=path, now=NOW)
    line = json.loads(path.read_text())
    line["rows"] = 3
    path.write_text(json.dumps(line) + "\n")
    report = verify_chain(read_anchors(path))
    assert not report.ok and "signature does not match" in report.problem


def test_rows_sealed_before_a_key_rotation_still_verify_with_the_retired_key(personas: Any) -> None:
    _rows(personas, 3)
    from django.conf import settings

    old = settings.AUDIT_KEY
    with override_settings(AUDIT_KEY="a brand new audit key of sufficient length!", AUDIT_OLD_KEYS=[old]):
        _rows(personas, 2)
        assert verify_chain().ok
    with override_settings(AUDIT_KEY="a brand new audit key of sufficient length!", AUDIT_OLD_KEYS=[]):
        report = verify_chain()
        assert not report.ok and "no audit key" in report.problem


def test_rows_from_before_the_chain_was_keyed_verify_but_not_after_keyed_rows(personas: Any) -> None:
    legacy = AccessEvent(
        occurred_at=NOW, action="read", outcome="granted", prev_hash="0" * 64, role="anonymous", seq=1
    )
    legacy.row_hash = legacy.compute_hash()
    legacy.save(force_insert=True)
    rows = _rows(personas, 2)
    assert verify_chain().ok
    # An unkeyed row after keyed rows is a forgery (nobody writes those any more).
    late = AccessEvent(
        occurred_at=NOW, action="read", outcome="granted", prev_hash=rows[-1].row_hash, seq=rows[-1].seq + 1
    )
    late.row_hash = late.compute_hash()
    late.save(force_insert=True)
    report = verify_chain()
    assert not report.ok and report.first_bad_id == late.pk and "unkeyed" in report.problem
    assert hashlib.sha256(b"").hexdigest()  # the module's digest is available (no FIPS surprise)
