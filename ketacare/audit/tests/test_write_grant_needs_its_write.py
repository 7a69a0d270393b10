"""A held "write · granted" row commits with its write, or is written as the read it was (docs/decisions/0029).

`holding_rows(reads_unless_written=True)` wraps one write gated by an ``access_*(action="write")`` call;
the write opens its transaction with `transaction_with_held_rows`. The audit report then says a read of
a request that wrote nothing as "Tried: …".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from ketacare.audit import context
from ketacare.audit.models import AccessEvent
from ketacare.audit.selectors import reads_of_unwritten_changes
from ketacare.audit.services import (
    holding_rows,
    nothing_written,
    record_access_event,
    transaction_with_held_rows,
)
from ketacare.audit.words import what_was_done

pytestmark = pytest.mark.django_db

PATH = "/clinic/sessions/00000000-0000-0000-0000-000000000000/doses/"


@pytest.fixture
def request_context() -> Iterator[context.AuditContext]:
    ctx = context.AuditContext(request_id="req-under-test", ip_address="", method="POST", path=PATH)
    token = context.current.set(ctx)
    try:
        yield ctx
    finally:
        context.current.reset(token)


def _access(patient: Any, action: str = "write") -> None:
    record_access_event(
        action=action, outcome="granted", patient=patient, object_type="patient", object_id="p"
    )


def _rows() -> list[tuple[str, str, str]]:
    return list(
        AccessEvent.objects.filter(request_id="req-under-test")
        .order_by("id")
        .values_list("action", "outcome", "object_type")
    )


class Refused(Exception):
    pass


def test_a_write_grant_whose_write_never_ran_is_a_read(personas: Any, request_context: Any) -> None:
    with holding_rows(reads_unless_written=True):
        _access(personas.a1)
        assert _rows() == []  # held until the block ends
    assert _rows() == [("read", "granted", "patient")]


def test_a_write_grant_commits_with_its_write(personas: Any, request_context: Any) -> None:
    with holding_rows(reads_unless_written=True):
        _access(personas.a1)
        with transaction_with_held_rows():
            # A service's own row, recorded inside its write, commits in the same transaction.
            record_access_event(
                action="write", outcome="granted", patient=personas.a1, object_type="hold_override"
            )
        assert _rows() == [("write", "granted", "patient"), ("write", "granted", "hold_override")]
    assert _rows() == [("write", "granted", "patient"), ("write", "granted", "hold_override")]


def test_a_write_that_rolled_back_leaves_the_read(personas: Any, request_context: Any) -> None:
    with holding_rows(reads_unless_written=True):
        _access(personas.a1)
        with pytest.raises(Refused), transaction_with_held_rows():
            raise Refused
        assert _rows() == []
    assert _rows() == [("read", "granted", "patient")]


def test_an_inner_write_that_committed_inside_a_failed_outer_one_wrote_nothing(
    personas: Any, request_context: Any
) -> None:
    with holding_rows(reads_unless_written=True):
        _access(personas.a1)
        with pytest.raises(Refused), transaction_with_held_rows():
            with transaction_with_held_rows(savepoint=False):
                pass
            raise Refused
    assert _rows() == [("read", "granted", "patient")]


def test_a_write_that_changed_nothing_is_a_read_committed_in_its_transaction(
    personas: Any, request_context: Any
) -> None:
    with holding_rows(reads_unless_written=True):
        _access(personas.a1)
        with transaction_with_held_rows():
            nothing_written()
        assert _rows() == [("read", "granted", "patient")]
    assert _rows() == [("read", "granted", "patient")]


def test_the_read_the_request_already_logged_is_not_logged_twice(personas: Any, request_context: Any) -> None:
    with holding_rows(reads_unless_written=True):
        _access(personas.a1, "read")
        _access(personas.a1, "write")
    assert _rows() == [("read", "granted", "patient")]


def test_denied_rows_stay_denied(personas: Any, request_context: Any) -> None:
    with holding_rows(reads_unless_written=True):
        record_access_event(action="write", outcome="denied", object_type="treatment_session", object_id="x")
    assert _rows() == [("write", "denied", "treatment_session")]


def test_a_plain_holding_block_keeps_its_rows_as_recorded(personas: Any, request_context: Any) -> None:
    # Without reads_unless_written (the check-in's block) a refusal keeps the row it recorded.
    with holding_rows():
        _access(personas.a1)
    assert _rows() == [("write", "granted", "patient")]


def test_a_holding_block_inside_a_failed_transaction_leaves_its_rows_to_it(
    personas: Any, request_context: Any
) -> None:
    with pytest.raises(Refused), transaction.atomic():
        with holding_rows(reads_unless_written=True):
            _access(personas.a1)
            with transaction_with_held_rows():
                pass
        raise Refused
    assert _rows() == []


def test_the_report_says_a_read_of_a_change_that_wrote_nothing_was_tried(
    personas: Any, request_context: Any
) -> None:
    with holding_rows(reads_unless_written=True):
        _access(personas.a1)
    read = AccessEvent.objects.get(request_id="req-under-test")
    assert reads_of_unwritten_changes([read]) == {read.pk}
    assert what_was_done(read, wrote=False) == "Tried: Record dose"
    assert what_was_done(read) == "Record dose"


def test_a_read_beside_a_granted_write_of_its_request_is_not_tried(
    personas: Any, request_context: Any
) -> None:
    # A request that opened one record and wrote another did write: its read is not "tried".
    with holding_rows(reads_unless_written=True):
        _access(personas.a1, "read")
        with transaction_with_held_rows():
            record_access_event(action="write", outcome="granted", patient=personas.a1, object_type="alert")
    rows = list(AccessEvent.objects.filter(request_id="req-under-test"))
    assert reads_of_unwritten_changes(rows) == set()
