"""Large exports prepared by the task queue (docs/decisions/0018).

A request that would hold a web worker for long (a clinic's whole audit trail as CSV) asks for an
export instead: :func:`request_export` writes a ``PreparedExport`` row and queues :func:`run_export`
on commit; a worker renders the file into the database in chunks, and the requester downloads it
from its status page until it expires. Only the requester, while they still pass the kind's own
access rule, may see or download it; each look is audited by the views.

Each app that has a large export registers its kind (name, renderer, access rule) in its
``AppConfig.ready``; the web process and the worker both run ``django.setup()``, so both know it.

Safety of the queue's "at least once": a worker claims an export with a conditional UPDATE and a
lease; if it dies, the job is delivered again after the lease and the next attempt starts over. The
chunks carry their attempt, and only the attempt that marks the export ready is kept. A backstop
schedule, written in the same transaction as the export, starts it even if the web process died
before queueing it. Expired files are removed by a one-off schedule at their expiry time (and by
every new request).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic, StaffMembership
from ketacare.ops.models import PreparedExport, PreparedExportChunk

logger = logging.getLogger(__name__)

RUN_TASK = "ketacare.ops.exports.run_export"
EXPIRE_TASK = "ketacare.ops.exports.expire_exports"
# A piece of the file per row: small enough for any database row, large enough to keep rows few.
CHUNK_BYTES = 1024 * 1024
# A worker that dies is replaced at most this often before the export is marked failed.
MAX_ATTEMPTS = 3
# The backstop start, if the queueing on commit was lost with its web process.
BACKSTOP_AFTER = dt.timedelta(minutes=2)
# Failed and expired rows are kept this long (the requester sees what happened), then deleted.
KEEP_FINISHED_ROWS = dt.timedelta(days=30)


class Output(io.RawIOBase):
    """A writable binary file whose bytes go to the export's chunks; renderers report rows done."""

    def __init__(self, export: PreparedExport, attempt: int) -> None:
        super().__init__()
        self.export, self.attempt = export, attempt
        self.buffer = bytearray()
        self.seq = 0
        self.size_bytes = 0
        self.rows = 0
        self.abandoned = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.abandoned:  # a failed attempt's buffers flushed late store nothing
            return len(data)
        chunk = bytes(data)
        self.buffer += chunk
        self.size_bytes += len(chunk)
        size = chunk_bytes()
        while len(self.buffer) >= size:
            self._store(bytes(self.buffer[:size]))
            del self.buffer[:size]
        return len(chunk)

    def progress(self, rows: int) -> None:
        """The renderer's count of rows (or pages) written so far, shown on the status page."""
        self.rows = rows

    def finish(self) -> None:
        if self.buffer:
            self._store(bytes(self.buffer))
            self.buffer.clear()

    def _store(self, data: bytes) -> None:
        PreparedExportChunk.objects.create(export=self.export, attempt=self.attempt, seq=self.seq, data=data)
        self.seq += 1
        PreparedExport.objects.filter(pk=self.export.pk, attempts=self.attempt).update(row_count=self.rows)


Renderer = Callable[[PreparedExport, Output], int]
AccessRule = Callable[[User, PreparedExport], bool]


@dataclass(frozen=True)
class ExportKind:
    """One kind of large export: how to render it and who may have it."""

    name: str
    # What the status page calls it ("Audit report (CSV)").
    title: str
    # (export, output) -> rows written; reads export.params and export.clinic.
    render: Renderer
    # The same rule as the page the export came from, checked again at every look and download.
    may_access: AccessRule
    content_type: str
    extension: str
    # Where the requester goes back to ask again (a URL name without arguments).
    back_url: str


_KINDS: dict[str, ExportKind] = {}


def requester_is_clinic_admin(user: User, export: PreparedExport) -> bool:
    """The rule of exports from clinic administrators' pages: still an active administrator there."""
    if export.clinic_id is None:
        return False
    return StaffMembership.objects.filter(
        user=user, clinic_id=export.clinic_id, role=StaffMembership.Role.CLINIC_ADMIN, is_active=True
    ).exists()


def register(kind: ExportKind) -> None:
    """Make an export kind known (from the owning app's ``AppConfig.ready``)."""
    _KINDS[kind.name] = kind


def kind_of(export: PreparedExport) -> ExportKind | None:
    return _KINDS.get(export.kind)


def chunk_bytes() -> int:
    return int(getattr(settings, "EXPORT_CHUNK_BYTES", CHUNK_BYTES))


def ttl() -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, "EXPORT_TTL_HOURS", 24)))


def lease() -> dt.timedelta:
    # The queue stops a job at its timeout, so after this no earlier attempt is still writing.
    return dt.timedelta(seconds=int(settings.Q_CLUSTER["timeout"]) + 5)  # type: ignore[call-overload]


def _enqueue(export_id: int) -> None:
    # Imported here: django_q reads its settings at import, which must wait for Django's setup.
    from django_q.tasks import async_task

    try:
        async_task(RUN_TASK, export_id, task_name=f"export-{export_id}", group="exports")
    except Exception as exc:  # the queue is down: the backstop schedule starts it later
        logger.warning("export %s not queued (%s); its backstop will start it", export_id, type(exc).__name__)


def _schedule_once(name: str, func: str, arg: int | None, at: dt.datetime) -> None:
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=name,
        defaults={
            "func": func,
            "args": repr(arg) if arg is not None else None,
            "schedule_type": Schedule.ONCE,
            "repeats": -1,
            "next_run": at,
        },
    )


def request_export(
    *,
    user: User,
    kind: str,
    clinic: Clinic | None,
    params: dict[str, Any],
    filename_stem: str,
    expected_rows: int | None = None,
) -> PreparedExport:
    """Ask for an export for ``user``; a worker prepares it. Call inside the view's transaction."""
    if kind not in _KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    now = timezone.now()
    expire_exports()
    export = PreparedExport.objects.create(
        kind=kind,
        requested_by=user,
        clinic=clinic,
        params=params,
        expected_rows=expected_rows,
        filename=f"{filename_stem}-{now:%Y%m%d-%H%M%S}.{_KINDS[kind].extension}"[:120],
    )
    # Written with the export: a web process that dies before its on-commit queueing loses nothing.
    _schedule_once(f"export-start-{export.public_id}", RUN_TASK, export.pk, now + BACKSTOP_AFTER)
    transaction.on_commit(partial(_enqueue, export.pk))
    return export


def _claim(export_id: int, now: dt.datetime) -> PreparedExport | None:
    """Take the export for this worker: waiting, or running under a lease that has passed."""
    takeable = PreparedExport.objects.filter(pk=export_id, attempts__lt=MAX_ATTEMPTS).filter(
        Q(state=PreparedExport.State.PENDING) | Q(state=PreparedExport.State.RUNNING, lease_until__lte=now)
    )
    if not takeable.update(
        state=PreparedExport.State.RUNNING,
        attempts=F("attempts") + 1,
        lease_until=now + lease(),
        row_count=0,
    ):
        # Its workers died MAX_ATTEMPTS times: stop trying.
        PreparedExport.objects.filter(
            pk=export_id, state=PreparedExport.State.RUNNING, lease_until__lte=now, attempts__gte=MAX_ATTEMPTS
        ).update(state=PreparedExport.State.FAILED, error="stopped before it finished", lease_until=None)
        return None
    return PreparedExport.objects.select_related("clinic", "requested_by").get(pk=export_id)


def run_export(export_id: int) -> str:
    """Render one export (the queue's job). Idempotent: a ready, failed or held export is left alone."""
    now = timezone.now()
    export = _claim(export_id, now)
    if export is None:
        return "skipped"
    attempt = export.attempts
    mine = PreparedExport.objects.filter(pk=export.pk, state=PreparedExport.State.RUNNING, attempts=attempt)
    kind = kind_of(export)
    output = Output(export, attempt)
    try:
        if kind is None:
            raise LookupError(f"no renderer for {export.kind}")
        rows = kind.render(export, output)
        output.progress(rows)
        output.finish()
    except Exception as exc:  # a renderer that fails: recorded for the requester, never the data
        output.abandoned = True
        mine.update(state=PreparedExport.State.FAILED, error=type(exc).__name__[:120], lease_until=None)
        PreparedExportChunk.objects.filter(export_id=export.pk, attempt=attempt).delete()
        logger.warning("export %s (%s) failed: %s", export.public_id, export.kind, type(exc).__name__)
        return "failed"
    finished = timezone.now()
    expires = finished + ttl()
    with transaction.atomic():
        done = mine.update(
            state=PreparedExport.State.READY,
            row_count=output.rows,
            size_bytes=output.size_bytes,
            finished_at=finished,
            expires_at=expires,
            lease_until=None,
        )
        if done:
            _schedule_once(f"export-expiry-{export.public_id}", EXPIRE_TASK, None, expires)
    # Only the attempt that marked it ready is kept (a slower, superseded attempt leaves nothing).
    kept = attempt if done else -1
    PreparedExportChunk.objects.filter(export_id=export.pk).exclude(attempt=kept).delete()
    return f"{output.rows} rows, {output.size_bytes} bytes" if done else "superseded"


def expire_exports() -> str:
    """Remove the files of expired exports; forget finished rows after 30 days."""
    now = timezone.now()
    expired = list(
        PreparedExport.objects.filter(state=PreparedExport.State.READY, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    if expired:
        PreparedExportChunk.objects.filter(export_id__in=expired).delete()
        PreparedExport.objects.filter(pk__in=expired, state=PreparedExport.State.READY).update(
            state=PreparedExport.State.EXPIRED
        )
    old = Q(state__in=[PreparedExport.State.EXPIRED, PreparedExport.State.FAILED]) & Q(
        created_at__lte=now - KEEP_FINISHED_ROWS
    )
    forgotten, _ = PreparedExport.objects.filter(old).delete()
    return f"expired {len(expired)}, forgot {forgotten}"


def is_expired(export: PreparedExport, now: dt.datetime | None = None) -> bool:
    if export.state == PreparedExport.State.EXPIRED:
        return True
    return export.expires_at is not None and export.expires_at <= (now or timezone.now())


def access_export(user: User, public_id: str) -> PreparedExport | None:
    """The export if ``user`` asked for it and still passes its kind's rule; otherwise None."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:  # a malformed id is simply not found
        return None
    export = PreparedExport.objects.select_related("clinic").filter(public_id=key, requested_by=user).first()
    if export is None:
        return None
    kind = kind_of(export)
    if kind is None or not kind.may_access(user, export):
        return None
    return export


def content(export: PreparedExport) -> Iterator[bytes]:
    """The file, chunk by chunk (one query per chunk: memory stays one chunk however large it is)."""
    ids = list(
        PreparedExportChunk.objects.filter(export=export, attempt=export.attempts)
        .order_by("seq")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        yield bytes(PreparedExportChunk.objects.values_list("data", flat=True).get(pk=pk))


def recent_exports(user: User, kind: str, clinic: Clinic | None, *, limit: int = 5) -> list[PreparedExport]:
    """The user's latest exports of one kind (at one clinic), for the page they come from."""
    rows = PreparedExport.objects.filter(requested_by=user, kind=kind, clinic=clinic)
    return list(rows.order_by("-created_at")[:limit])
