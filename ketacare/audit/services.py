"""Writes to the audit log: one row per access, sealed into the keyed chain by the sealer.

A request inserts its row with no seal: no lock, no read of the chain's head, so requests never wait
for each other to log (docs/decisions/0016). `seal_pending` then chains the committed rows in order,
one sealer at a time (docs/security.md S6, S7). A write that holds its rows (`holding_rows`) commits
them in its own transaction (`transaction_with_held_rows`): one write transaction, not two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone

from ketacare.accounts.http import AnyUser
from ketacare.accounts.models import User
from ketacare.audit import context
from ketacare.audit.anchors import Anchor, append_anchor, make_anchor
from ketacare.audit.keys import current_key
from ketacare.audit.models import AccessEvent

if TYPE_CHECKING:
    from ketacare.clinics.models import Clinic
    from ketacare.patients.models import Patient

GENESIS_HASH = "0" * 64
# Any constant: one sealer at a time on PostgreSQL (SQLite's IMMEDIATE transactions already
# serialise all writers). Only sealers take it; requests never do.
_PG_SEALER_LOCK_KEY = 5_172_026
# Rows sealed per transaction: bounds the sealer's lock time and memory on a long backlog.
SEAL_BATCH_ROWS = 2000


def role_of(user: AnyUser | None, clinic: Clinic | None) -> str:
    """Return the user's role for the audit row: patient, a staff role at the clinic, or anonymous."""
    if not isinstance(user, User):
        return "anonymous"
    if hasattr(user, "patient"):
        return "patient"
    known = context.known_memberships(user)
    if known is not None:
        roles = sorted({m.role for m in known if clinic is None or m.clinic_id == clinic.pk})
        return ",".join(roles) or "user"
    memberships = user.memberships.filter(is_active=True)
    if clinic is not None:
        memberships = memberships.filter(clinic=clinic)
    roles = sorted({m.role for m in memberships})
    return ",".join(roles) or "user"


def _storable(value: str, limit: int) -> str:
    """Text as every database stores it: NUL escaped (PostgreSQL text refuses it), cut to the column."""
    return value.replace("\x00", "\\x00")[:limit]


def _object_key(object_type: str, object_id: str, outcome: str, clinic_id: str) -> str:
    # The clinic is part of the access: one request that reaches an object at two clinics (a staff
    # invitation to both) leaves a row in each clinic's trail.
    return f"{object_type}:{object_id}:{outcome}@{clinic_id}"


def record_access_event(
    *,
    action: str,
    outcome: str,
    user: AnyUser | None = None,
    patient: Patient | None = None,
    clinic: Clinic | None = None,
    object_type: str = "",
    object_id: str = "",
    login_email: str = "",
    role: str = "",
) -> AccessEvent | None:
    """Append one row to the audit chain; a repeat of the same access in one request is not re-logged.

    ``role`` names an actor that is no user (a FHIR backend client: ``backend_client``, with
    ``login_email`` naming the client); a user's role is always derived from their memberships.
    """
    ctx = context.current.get()
    if clinic is None and patient is not None:
        clinic = patient.clinic
    patient_id = str(patient.public_id) if patient is not None else ""
    clinic_id = str(clinic.public_id) if clinic is not None else ""
    if ctx is not None:
        key = (action, patient_id, _object_key(object_type, object_id, outcome, clinic_id))
        if key in ctx.logged:
            return None
        ctx.logged.add(key)
        if user is None and ctx.request is not None:
            user = ctx.request.user
    signed_in = user if isinstance(user, User) else None
    event = AccessEvent(
        occurred_at=timezone.now(),
        user_public_id=str(signed_in.public_id) if signed_in else "",
        user_email=signed_in.email if signed_in else _storable(login_email, 254),
        role=role_of(user, clinic) if signed_in is not None or not role else _storable(role, 40),
        action=action,
        outcome=outcome,
        object_type=_storable(object_type, 60),
        object_id=_storable(object_id, 64),
        patient_public_id=patient_id,
        clinic_public_id=clinic_id,
        ip_address=ctx.ip_address if ctx else "",
        request_id=ctx.request_id if ctx else "",
        method=ctx.method if ctx else "",
        path=_storable(ctx.path, 300) if ctx else "",
    )
    if ctx is not None and ctx.held is not None:
        ctx.held.append(event)
        return event
    # No transaction of its own: inside the request's write it commits (or rolls back) with it.
    event.save(force_insert=True)
    return event


@contextmanager
def holding_rows(*, reads_unless_written: bool = False) -> Iterator[None]:
    """Hold the block's audit rows back so that they commit with the write they log.

    The write's service (or the view around it) opens its transaction with `transaction_with_held_rows`,
    which inserts them there. No row is lost: the rows that joined no transaction (a refusal, refused
    input, a retry answered with the original) or whose transaction rolled back are written on their
    own when the block ends, before the answer leaves. Outside a request, or inside another holding
    block, it changes nothing.

    With ``reads_unless_written`` the block is one write gated by an ``access_*(action="write")``
    call: when its write did not commit, each "write · granted" row left is written as the read it was
    (the record was opened, nothing was written; docs/decisions/0029). Every write of such a block
    must go through `transaction_with_held_rows`, or it would be recorded as a read.
    """
    ctx = context.current.get()
    if ctx is None or ctx.held is not None:
        yield
        return
    ctx.held, ctx.reads_unless_written, ctx.wrote = [], reads_unless_written, False
    try:
        yield
    finally:
        rows, ctx.held = ctx.held, None
        if ctx.reads_unless_written and not ctx.wrote:
            rows = _as_reads(ctx, rows)
        ctx.reads_unless_written = ctx.wrote = False
        # A transaction already doomed (an outer block failed) would refuse the insert; its rows go
        # with it, as rows written in it would.
        if rows and not (connection.in_atomic_block and connection.needs_rollback):
            _insert(rows)


def _as_reads(ctx: context.AuditContext, rows: list[AccessEvent]) -> list[AccessEvent]:
    """The rows with each write grant turned into its read; a read already logged is not logged twice."""
    kept = []
    for row in rows:
        if row.action == AccessEvent.Action.WRITE and row.outcome == AccessEvent.Outcome.GRANTED:
            key = (
                "read",
                row.patient_public_id,
                _object_key(row.object_type, row.object_id, row.outcome, row.clinic_public_id),
            )
            if key in ctx.logged:
                continue
            ctx.logged.add(key)
            row.action = "read"
        kept.append(row)
    return kept


@contextmanager
def transaction_with_held_rows(*, savepoint: bool = True) -> Iterator[None]:
    """``transaction.atomic(savepoint=...)`` that inserts the request's held audit rows in it.

    The rows held before the block and those recorded inside it (a service's own row, e.g. an
    overridden discharge) are inserted before it commits. Should the block fail, the transaction rolls
    back and the rows are held again, so `holding_rows` writes them on their own: a failed write is
    still audited.
    """
    ctx = context.current.get()
    if ctx is None or ctx.held is None:
        with transaction.atomic(savepoint=savepoint):
            yield
        return
    rows = list(ctx.held)
    ctx.held.clear()
    ctx.write_depth += 1
    outermost = ctx.write_depth == 1
    if outermost:
        ctx.unchanged = False
    try:
        with transaction.atomic(savepoint=savepoint):
            yield
            if outermost and ctx.unchanged and ctx.reads_unless_written:
                rows = _as_reads(ctx, rows)
            rows = [*rows, *ctx.held]
            ctx.held.clear()
            _insert(rows)
    except BaseException:
        for row in rows:
            row.pk, row._state.adding = None, True
        ctx.held[:0] = rows
        if outermost:
            ctx.wrote = False
        raise
    else:
        # Only the outermost block's commit is the write's: an inner one rolls back with its outer.
        if outermost:
            ctx.wrote = not ctx.unchanged
    finally:
        ctx.write_depth -= 1


def nothing_written() -> None:
    """Inside `transaction_with_held_rows`: this write changed nothing (a retry answered with the
    original). In a ``reads_unless_written`` block its write grant is then recorded as a read."""
    ctx = context.current.get()
    if ctx is not None and ctx.write_depth:
        ctx.unchanged = True


def _insert(rows: list[AccessEvent]) -> None:
    for row in rows:
        row.save(force_insert=True)


def seal_pending() -> int:
    """Chain every committed, unsealed row after the chain's head, oldest first; return how many.

    The chain's order is the order of sealing: a row committed late (its transaction was long) is
    sealed after rows with higher ids that committed first, and `seq` records that order.
    """
    sealed = 0
    while True:
        batch = _seal_batch()
        sealed += batch
        if batch < SEAL_BATCH_ROWS:
            return sealed


def _seal_batch() -> int:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_SEALER_LOCK_KEY])
        pending = list(AccessEvent.objects.filter(row_hash__isnull=True).order_by("id")[:SEAL_BATCH_ROWS])
        if not pending:
            return 0
        head = (
            AccessEvent.objects.filter(seq__isnull=False)
            .order_by("-seq")
            .values_list("seq", "row_hash")
            .first()
        )
        seq, previous = (int(head[0] or 0), str(head[1])) if head is not None else (0, GENESIS_HASH)
        kid, key = current_key()
        for event in pending:
            seq += 1
            event.seq, event.prev_hash, event.key_id = seq, previous, kid
            event.row_hash = event.compute_hash(key)
            previous = event.row_hash
        AccessEvent.objects.bulk_update(pending, list(AccessEvent.SEAL_FIELDS), batch_size=500)
        return len(pending)


def anchor_chain(*, path: Path, now: dt.datetime) -> Anchor | None:
    """Seal what is pending, then append a signed anchor of the chain's head to ``path``.

    None when the log is empty.
    """
    seal_pending()
    last = (
        AccessEvent.objects.filter(seq__isnull=False)
        .order_by("-seq")
        .values_list("id", "seq", "row_hash")
        .first()
    )
    if last is None:
        return None
    last_id, last_seq, last_hash = last
    rows = AccessEvent.objects.filter(seq__lte=last_seq).count()
    anchor = make_anchor(rows=rows, last_id=last_id, last_hash=str(last_hash), now=now)
    append_anchor(path, anchor)
    return anchor
