"""The sealer: requests log without waiting for each other; the chain is built after they commit.

docs/decisions/0016. A request inserts its audit row unsealed in its own transaction; `seal_pending`
chains committed rows in the order it finds them. These tests hold a request's transaction open on
one connection while another logs and seals, as two app servers would.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from ketacare.audit.models import AccessEvent
from ketacare.audit.selectors import verify_chain
from ketacare.audit.services import record_access_event, seal_pending


def _log(personas: Any, patient: Any) -> AccessEvent:
    event = record_access_event(user=personas.clinician_a, action="read", outcome="granted", patient=patient)
    assert event is not None
    return event


@pytest.mark.django_db
def test_a_request_writes_its_row_unsealed_and_the_sealer_chains_it(personas: Any) -> None:
    event = _log(personas, personas.a1)
    assert (event.seq, event.prev_hash, event.row_hash) == (None, None, None)
    report = verify_chain()
    assert report.ok and report.rows_checked == 0 and report.pending == 1
    assert seal_pending() == 1
    event.refresh_from_db()
    assert event.seq == 1 and event.row_hash == event.compute_hash()
    assert seal_pending() == 0  # nothing is sealed twice
    report = verify_chain()
    assert report.ok and report.rows_checked == 1 and report.pending == 0


@pytest.mark.django_db
def test_the_sealer_continues_the_chain_across_runs_and_batches(personas: Any, monkeypatch: Any) -> None:
    from ketacare.audit import services

    monkeypatch.setattr(services, "SEAL_BATCH_ROWS", 3)
    for _ in range(7):
        _log(personas, personas.a2)
        record_access_event(user=personas.clinician_b, action="read", outcome="granted", patient=personas.b1)
    assert seal_pending() == 14  # five batches of at most three rows
    _log(personas, personas.a1)
    assert seal_pending() == 1
    rows = list(AccessEvent.objects.order_by("seq"))
    assert [r.seq for r in rows] == list(range(1, 16))
    assert all(later.prev_hash == earlier.row_hash for earlier, later in zip(rows, rows[1:], strict=False))
    assert verify_chain().ok


@pytest.mark.django_db
def test_an_unsealed_row_cannot_be_edited_and_a_sealed_row_cannot_be_resealed(personas: Any) -> None:
    event = _log(personas, personas.a1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        # Sealing and editing in one statement: the trigger refuses any change beyond the seal.
        cursor.execute(
            "UPDATE audit_accessevent SET role = 'forged', seq = 1, prev_hash = %s, row_hash = %s WHERE id = %s",
            ["0" * 64, "f" * 64, event.pk],
        )
    seal_pending()
    event.refresh_from_db()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accessevent SET row_hash = %s WHERE id = %s", ["e" * 64, event.pk])
    assert AccessEvent.objects.get(pk=event.pk).row_hash == event.row_hash
    assert verify_chain().ok


@pytest.mark.django_db
def test_a_half_sealed_row_is_refused_by_the_database(personas: Any) -> None:
    event = _log(personas, personas.a1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accessevent SET row_hash = %s WHERE id = %s", ["d" * 64, event.pk])


@pytest.mark.django_db(transaction=True)
def test_two_clinics_requests_do_not_wait_for_each_other_to_log(personas: Any) -> None:
    """Clinic A's request holds its transaction open; clinic B's request logs and commits meanwhile.

    With one lock around the chain's head (the design this replaces), B's insert would wait for A's
    commit and fail on the lock timeout. SQLite admits one writer at a time by design, so this is a
    PostgreSQL property.
    """
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer; the property concerns PostgreSQL")
    a_logged, b_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def clinic_a_request() -> None:
        from django.db import connection as own

        try:
            with transaction.atomic():
                _log(personas, personas.a1)
                a_logged.set()
                # Still inside A's transaction: B must finish while A has not committed.
                if not b_done.wait(timeout=10):
                    errors.append(AssertionError("clinic B's request did not finish while A's was open"))
        except BaseException as error:  # noqa: BLE001 - reported to the main thread
            errors.append(error)
        finally:
            own.close()

    thread = threading.Thread(target=clinic_a_request)
    thread.start()
    assert a_logged.wait(timeout=10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '2s'")
    try:
        with transaction.atomic():
            record_access_event(
                user=personas.clinician_b, action="read", outcome="granted", patient=personas.b1
            )
        # The sealer chains what has committed (B) and does not wait for A.
        assert seal_pending() == 1
    finally:
        b_done.set()
        thread.join(timeout=15)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert not errors, errors
    # A committed after B was sealed: it joins the chain after B, although its id is lower.
    assert seal_pending() == 1
    rows = list(AccessEvent.objects.order_by("seq"))
    assert [r.clinic_public_id for r in rows] == [
        str(personas.b1.clinic.public_id),
        str(personas.a1.clinic.public_id),
    ]
    assert rows[1].pk < rows[0].pk
    assert verify_chain().ok
