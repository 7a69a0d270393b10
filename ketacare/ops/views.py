"""The clinic admin's e-mail page: what is waiting or failed, "send again", and "send a test e-mail"."""

from __future__ import annotations

from django.contrib import messages
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.accounts.gates import admin_object_view, clinic_admin_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import active_clinic
from ketacare.ops.mail import retry_email
from ketacare.ops.models import OutboundEmail
from ketacare.ops.selectors import access_clinic_message, clinic_mail

TEST_SUBJECT = "KetaCare test e-mail"


def _clinic(request: AuthenticatedRequest) -> Clinic:
    clinic = active_clinic(request)
    if clinic is None:  # the gates guarantee one
        raise Http404("Not found")
    return clinic


@clinic_admin_required
def mail_status(request: AuthenticatedRequest) -> HttpResponse:
    """Messages to this clinic's staff and patients: failed and waiting first, then recently sent."""
    clinic = _clinic(request)
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="mail_outbox")
    rows = clinic_mail(clinic)
    context = {
        "rows": rows,
        "failed": sum(1 for r in rows if r.state == OutboundEmail.State.FAILED),
        "waiting": sum(
            1 for r in rows if r.state in (OutboundEmail.State.PENDING, OutboundEmail.State.SENDING)
        ),
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
