"""The clinic admin's webhook pages: the clinic's endpoints with a form to register one, and one
endpoint's delivery log (docs/decisions/0019). The JSON API under /api/v1/clinic/webhooks does the same
through the same services and selectors; every page view is audited as the API audits its reads."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.gates import admin_object_view, clinic_admin_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import active_clinic
from ketacare.interop.forms import EVENT_LABELS, WebhookForm
from ketacare.interop.models import WebhookDelivery, WebhookEndpoint
from ketacare.interop.selectors import clinic_webhook, clinic_webhooks, webhook_deliveries, with_last_delivery
from ketacare.interop.webhooks import MAX_ATTEMPTS, SIGNATURE_HEADER, disable_webhook, register_webhook
from ketacare.lib.errors import FieldError
from ketacare.lib.forms import add_field_error

OBJECT_TYPE = "webhook"


def _clinic(request: AuthenticatedRequest) -> Clinic:
    clinic = active_clinic(request)
    if clinic is None:  # the gates guarantee one
        raise Http404("Not found")
    return clinic


def _endpoint(request: AuthenticatedRequest, webhook_id: str, action: str) -> WebhookEndpoint:
    """This clinic's endpoint; another clinic's (or none) is a 404 audited as denied, as the API does."""
    row = clinic_webhook(_clinic(request), webhook_id)
    if row is None:
        record_access_event(
            action=action, outcome="denied", object_type=OBJECT_TYPE, object_id=str(webhook_id)[:64]
        )
        raise Http404("Not found")
    return row


def _list_page(request: AuthenticatedRequest, form: WebhookForm, status: int = 200) -> HttpResponse:
    clinic = _clinic(request)
    # The list shows each endpoint's URL (where alert events go): reading it is audited.
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="webhooks")
    page = Paginator(with_last_delivery(clinic_webhooks(clinic)), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page": page,
        "clinic": clinic,
        "event_labels": EVENT_LABELS,
        "signature_header": SIGNATURE_HEADER,
    }
    return render(request, "interop/webhooks.html", context, status=status)


@require_http_methods(["GET", "POST"])
@clinic_admin_required
def webhooks(request: AuthenticatedRequest) -> HttpResponse:
    """The clinic's endpoints and their last delivery; POST registers one (422 and nothing written when refused)."""
    if request.method != "POST":
        return _list_page(request, WebhookForm())
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            register_webhook(
                clinic=_clinic(request),
                url=form.cleaned_data["url"],
                secret=form.cleaned_data["secret"],
                events=form.events_text(),
                by=request.user,
            )
        except FieldError as error:
            add_field_error(form, error)
        else:
            messages.success(
                request, "Webhook registered: new and escalated alerts are sent to it from now on."
            )
            return redirect("interop:webhooks")
    return _list_page(request, form, status=422)


@require_http_methods(["GET"])
@admin_object_view(OBJECT_TYPE, "webhook_id", action="read")
def webhook(request: AuthenticatedRequest, webhook_id: str) -> HttpResponse:
    """One endpoint's deliveries, newest first, in the clinic's time zone."""
    row = _endpoint(request, webhook_id, "read")
    # The log names alerts by id: reading it is audited like the API's delivery log.
    record_access_event(
        action="read", outcome="granted", clinic=row.clinic, object_type="webhook-deliveries",
        object_id=str(row.public_id),
    )  # fmt: skip
    page = Paginator(webhook_deliveries(row), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "endpoint": row,
        "page": page,
        "clinic": row.clinic,
        "event_labels": EVENT_LABELS,
        "waiting_states": (WebhookDelivery.State.PENDING, WebhookDelivery.State.SENDING),
        "max_attempts": MAX_ATTEMPTS,
    }
    return render(request, "interop/webhooks_deliveries.html", context)


@require_POST
@admin_object_view(OBJECT_TYPE, "webhook_id")
def webhook_disable(request: AuthenticatedRequest, webhook_id: str) -> HttpResponse:
    """Stop deliveries to one endpoint (the waiting ones too); its log stays. The service audits it."""
    row = _endpoint(request, webhook_id, "write")
    already = row.disabled_at is not None
    disable_webhook(endpoint=row, by=request.user, now=timezone.now())
    messages.success(
        request,
        "This webhook was already disabled."
        if already
        else "Webhook disabled: nothing more is sent to it, and deliveries still waiting were dropped.",
    )
    return redirect("interop:webhooks")
