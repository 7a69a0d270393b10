"""The clinic admin's e-mail page (what is waiting or failed, "send again", "send a test e-mail"), and
the status page and download of a large export prepared by the queue (docs/decisions/0018)."""

from __future__ import annotations

from django.contrib import messages
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketacare.accounts.gates import admin_object_view, clinic_admin_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import active_clinic
from ketacare.ops.exports import access_export, content, is_expired, kind_of
from ketacare.ops.mail import retry_email
from ketacare.ops.models import OutboundEmail, PreparedExport
from ketacare.ops.selectors import access_clinic_message, clinic_mail
from ketacare.ops.transport import not_set_up_banner, not_set_up_note

TEST_SUBJECT = "KetaCare test e-mail"
# The "being prepared" page reloads itself this often.
REFRESH_S = 5


def _clinic(request: AuthenticatedRequest) -> Clinic:
    clinic = active_clinic(request)
    if clinic is None:  # the gates guarantee one
        raise Http404("Not found")
    return clinic


@clinic_admin_required
def mail_status(request: AuthenticatedRequest) -> HttpResponse:
    """Messages to this clinic's staff and patients: failed and waiting first, then recently sent; the
    cancelled ones apart."""
    clinic = _clinic(request)
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="mail_outbox")
    mail = clinic_mail(clinic)
    rows = mail.rows
    context = {
        "rows": rows,
        "cancelled": mail.cancelled,
        "failed": sum(1 for r in rows if r.state == OutboundEmail.State.FAILED),
        "waiting": sum(
            1 for r in rows if r.state in (OutboundEmail.State.PENDING, OutboundEmail.State.SENDING)
        ),
        "not_sent": sum(1 for r in rows if r.state == OutboundEmail.State.NOT_SENT),
        "not_set_up": not_set_up_banner(),
    }
    return render(request, "ops/mail.html", context)


@require_POST
@clinic_admin_required
def send_test_email(request: AuthenticatedRequest) -> HttpResponse:
    """Queue a test message to the admin's own address (the same queue and transport as all mail)."""
    clinic = _clinic(request)
    with transaction.atomic():
        send_mail(
            TEST_SUBJECT,
            "This is a test message from KetaCare. If you can read it, e-mail from this installation "
            "reaches you.\n",
            None,
            [request.user.email],
        )
        record_access_event(action="write", outcome="granted", clinic=clinic, object_type="mail_test")
    note = not_set_up_note()
    if note:
        messages.warning(request, f"A test e-mail to {request.user.email} is queued, but {note}.")
    else:
        messages.success(
            request, f"A test e-mail to {request.user.email} is queued; this page shows whether it was sent."
        )
    return redirect("ops:mail")


@require_POST
@admin_object_view("mail_message", "message_id")
def retry_message(request: AuthenticatedRequest, message_id: str) -> HttpResponse:
    """Give a failed message a fresh set of attempts."""
    clinic = _clinic(request)
    row = access_clinic_message(clinic, message_id)
    if row is None:
        raise Http404("Not found")
    with transaction.atomic():
        retry_email(row=row)
        record_access_event(
            action="write", outcome="granted", clinic=clinic, object_type="mail_message", object_id=message_id
        )
    messages.success(request, "The message will be sent again.")
    return redirect("ops:mail")


def _export_or_404(request: AuthenticatedRequest, export_id: str, action: str) -> PreparedExport:
    export = access_export(request.user, export_id)
    if export is None:
        # Someone else's export, or one its requester may no longer have: not found, and audited.
        record_access_event(
            action=action, outcome="denied", object_type="prepared_export", object_id=str(export_id)[:64]
        )
        raise Http404("Not found")
    return export


def _export_page(request: AuthenticatedRequest, export: PreparedExport, status: int = 200) -> HttpResponse:
    kind = kind_of(export)
    waiting = export.state in (PreparedExport.State.PENDING, PreparedExport.State.RUNNING)
    context = {
        "export": export,
        "title": kind.title if kind else export.kind,
        "back_url": reverse(kind.back_url) if kind else reverse("home"),
        "waiting": waiting,
        "expired": is_expired(export),
        "zone": export.clinic.time_zone if export.clinic else "UTC",
        "refresh_s": REFRESH_S,
    }
    return render(request, "ops/export.html", context, status=status)


@require_GET
def export_status(request: AuthenticatedRequest, export_id: str) -> HttpResponse:
    """Where the requester waits for their export ("being prepared") and then downloads it."""
    export = _export_or_404(request, export_id, "read")
    record_access_event(
        action="read",
        outcome="granted",
        clinic=export.clinic,
        object_type="prepared_export",
        object_id=str(export.public_id),
    )
    return _export_page(request, export)


@require_GET
def export_download(request: AuthenticatedRequest, export_id: str) -> HttpResponseBase:
    """The prepared file, to its requester only, until it expires (each download audited)."""
    export = _export_or_404(request, export_id, "export")
    if is_expired(export):
        record_access_event(
            action="export",
            outcome="denied",
            clinic=export.clinic,
            object_type="prepared_export",
            object_id=str(export.public_id),
        )
        return _export_page(request, export, status=410)
    if export.state != PreparedExport.State.READY:
        record_access_event(
            action="read",
            outcome="granted",
            clinic=export.clinic,
            object_type="prepared_export",
            object_id=str(export.public_id),
        )
        return redirect("ops:export", export_id=export.public_id)
    kind = kind_of(export)
    record_access_event(
        action="export",
        outcome="granted",
        clinic=export.clinic,
        object_type="prepared_export",
        object_id=str(export.public_id),
    )
    response = StreamingHttpResponse(
        content(export), content_type=kind.content_type if kind else "application/octet-stream"
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Content-Length"] = str(export.size_bytes)
    return response
