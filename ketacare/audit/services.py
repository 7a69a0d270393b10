"""Writes to the audit log: one hash-chained row per access (docs/security.md S6, S7)."""

from __future__ import annotations

import datetime as dt
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
# Any constant: serialises writers of the chain on PostgreSQL (SQLite's IMMEDIATE
# transactions already serialise all writers).
_PG_CHAIN_LOCK_KEY = 5_172_026


def role_of(user: AnyUser | None, clinic: Clinic | None) -> str:
    """Return the user's role for the audit row: patient, a staff role at the clinic, or anonymous."""
    if not isinstance(user, User):
        return "anonymous"
    if hasattr(user, "patient"):
        return "patient"
    memberships = user.memberships.filter(is_active=True)
    if clinic is not None:
        memberships = memberships.filter(clinic=clinic)
    roles = sorted({m.role for m in memberships})
    return ",".join(roles) or "user"


def _storable(value: str, limit: int) -> str:
    """Text as every database stores it: NUL escaped (PostgreSQL text refuses it), cut to the column."""
    return value.replace("\x00", "\\x00")[:limit]


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
) -> AccessEvent | None:
    """Append one row to the audit chain; a repeat of the same access in one request is not re-logged."""
    ctx = context.current.get()
    if clinic is None and patient is not None:
        clinic = patient.clinic
    patient_id = str(patient.public_id) if patient is not None else ""
    if ctx is not None:
        key = (action, patient_id, f"{object_type}:{object_id}:{outcome}")
        if key in ctx.logged:
            return None
        ctx.logged.add(key)
        if user is None and ctx.request is not None:
            user = ctx.request.user
    signed_in = user if isinstance(user, User) else None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_CHAIN_LOCK_KEY])
        last = AccessEvent.objects.order_by("-id").values_list("row_hash", flat=True).first()
        event = AccessEvent(
            occurred_at=timezone.now(),
            user_public_id=str(signed_in.public_id) if signed_in else "",
            user_email=signed_in.email if signed_in else _storable(login_email, 254),
            role=role_of(user, clinic),
            action=action,
            outcome=outcome,
            object_type=_storable(object_type, 60),
            object_id=_storable(object_id, 64),
            patient_public_id=patient_id,
            clinic_public_id=str(clinic.public_id) if clinic is not None else "",
            ip_address=ctx.ip_address if ctx else "",
            request_id=ctx.request_id if ctx else "",
            method=ctx.method if ctx else "",
            path=_storable(ctx.path, 300) if ctx else "",
            prev_hash=last or GENESIS_HASH,
        )
        event.key_id, seal_key = current_key()
        event.row_hash = event.compute_hash(seal_key)
        event.save(force_insert=True)
    return event


def anchor_chain(*, path: Path, now: dt.datetime) -> Anchor | None:
    """Append a signed anchor of the chain's current head to ``path`` (None when the log is empty)."""
    last = AccessEvent.objects.order_by("-id").values_list("id", "row_hash").first()
    if last is None:
        return None
    rows = AccessEvent.objects.filter(id__lte=last[0]).count()
    anchor = make_anchor(rows=rows, last_id=last[0], last_hash=last[1], now=now)
    append_anchor(path, anchor)
    return anchor
