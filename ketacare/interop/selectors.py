"""Interop reads: who is asking (a signed-in user or a bearer token), and which patients they may reach."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest

from ketacare.accounts.models import User
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.interop.models import AccessToken, BulkExportJob, WebhookDelivery, WebhookEndpoint
from ketacare.interop.services import BACKEND_CLIENT_ROLE, digest, scope_allows, touch_token
from ketacare.patients.models import Patient
from ketacare.patients.selectors import access_patient, staff_clinic_ids


@dataclass
class Principal:
    """Who a FHIR request acts for: a signed-in user (patient or staff) or a backend client's token."""

    user: User | None = None
    token: AccessToken | None = None
    scopes: list[str] = field(default_factory=list)

    @property
    def is_system(self) -> bool:
        return self.token is not None and self.token.kind == AccessToken.Kind.BACKEND

    @property
    def label(self) -> str:
        """How the audit row names a client (a user is named by the row's user columns)."""
        if self.token is not None and self.token.client is not None:
            return f"client:{self.token.client.client_id}"
        return ""

    @property
    def audit_role(self) -> str:
        """The audit row's role for a client (a user's role comes from their memberships)."""
        return BACKEND_CLIENT_ROLE if self.is_system else ""

    def may(self, resource_type: str, *, search: bool = False) -> bool:
        """Scopes limit tokens; a signed-in user's reach is limited by the access rules alone."""
        return self.token is None or scope_allows(self.scopes, resource_type, search=search)


def bearer_token(request: HttpRequest, *, now: dt.datetime) -> AccessToken | None:
    """The live token named by ``Authorization: Bearer``, or None (absent, unknown, expired, revoked)."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    raw = header[7:].strip()
    if not raw or len(raw) > 200:
        return None
    token = (
        AccessToken.objects.select_related("client", "clinic", "user")
        .filter(digest=digest(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or (token.client is not None and token.client.revoked_at is not None):
        return None
    touch_token(token, now=now)
    return token


def fhir_principal(request: HttpRequest, *, now: dt.datetime) -> Principal | None:
    """A backend token's principal, else the signed-in user's, else None (answer 401)."""
    if "Authorization" in request.headers:
        token = bearer_token(request, now=now)
        if token is None or token.kind != AccessToken.Kind.BACKEND:
            return None
        return Principal(token=token, scopes=token.scopes.split())
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        return Principal(user=user)
    return None


def reachable_patients(principal: Principal) -> QuerySet[Patient]:
    """The patients this principal may read: a patient themself, staff their clinics', a client its clinic's."""
    patients = Patient.objects.select_related("clinic")
    if principal.is_system and principal.token is not None and principal.token.clinic_id is not None:
        return patients.filter(clinic_id=principal.token.clinic_id).order_by("pk")
    user = principal.user
    if user is None:
        return patients.none()
    if hasattr(user, "patient"):
        return patients.filter(pk=user.patient.pk)
    return patients.filter(clinic_id__in=staff_clinic_ids(user)).order_by("pk")


def access_fhir_patient(principal: Principal, public_id: str, *, action: str = "read") -> Patient:
    """One patient for a FHIR request, else Http404; every outcome audited (users via access_patient)."""
    if principal.user is not None:
        return access_patient(principal.user, public_id, action=action)
    object_id = str(public_id)[:64]
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        key = None
    patient = reachable_patients(principal).filter(public_id=key).first() if key else None
    if patient is None:
        other = Patient.objects.select_related("clinic").filter(public_id=key).first() if key else None
        record_access_event(
            action=action, outcome="denied", patient=other, login_email=principal.label,
            role=principal.audit_role, object_type="patient", object_id=object_id,
        )  # fmt: skip
        raise Http404("No such patient")
    record_access_event(
        action=action, outcome="granted", patient=patient, login_email=principal.label,
        role=principal.audit_role, object_type="patient", object_id=object_id,
    )  # fmt: skip
    return patient


def note_search(principal: Principal, patient: Patient, resource_type: str) -> None:
    """Audit that a search answer carried this patient's records (one row per patient per request)."""
    record_access_event(
        action="read", outcome="granted", patient=patient, login_email=principal.label,
        role=principal.audit_role, object_type=f"fhir-{resource_type}"[:60], object_id="search",
    )  # fmt: skip


def access_export_job(principal: Principal, public_id: str, *, admin_clinic_id: int | None) -> BulkExportJob:
    """A bulk export job of the asker's clinic (the admin's active clinic, or the same backend client)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        key = None
    job = (
        BulkExportJob.objects.select_related("clinic", "client").filter(public_id=key).first()
        if key
        else None
    )
    allowed = job is not None and (
        (principal.is_system and principal.token is not None and job.client_id == principal.token.client_id)
        or (principal.user is not None and admin_clinic_id is not None and job.clinic_id == admin_clinic_id)
    )
    record_access_event(
        action="export",
        outcome="granted" if allowed else "denied",
        clinic=job.clinic if job is not None else None,
        login_email=principal.label,
        role=principal.audit_role,
        object_type="bulk-export",
        object_id=str(public_id)[:64],
    )
    if not allowed or job is None:
        raise Http404("No such export")
    return job


# --- alert webhooks (the JSON API and the clinic admin's pages read the same rows) ---------------------


def _key(public_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(public_id))
    except ValueError:
        return None


def clinic_webhooks(clinic: Clinic) -> QuerySet[WebhookEndpoint]:
    """The clinic's endpoints, newest first (disabled ones too: their log stays)."""
    return WebhookEndpoint.objects.filter(clinic=clinic).order_by("-created_at", "-id")


def with_last_delivery(endpoints: QuerySet[WebhookEndpoint]) -> QuerySet[WebhookEndpoint]:
    """Each endpoint with its newest delivery's state and times and its failed count, in the one query."""
    last = WebhookDelivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-id")
    return endpoints.annotate(
        last_delivery_state=Subquery(last.values("state")[:1]),
        last_delivery_created_at=Subquery(last.values("created_at")[:1]),
        last_delivery_delivered_at=Subquery(last.values("delivered_at")[:1]),
        last_delivery_attempts=Subquery(last.values("attempts")[:1]),
        failed_deliveries=Count("deliveries", filter=Q(deliveries__state=WebhookDelivery.State.FAILED)),
    )


def clinic_webhook(clinic: Clinic, public_id: str) -> WebhookEndpoint | None:
    """One endpoint of this clinic by its public id; None for another clinic's, an unknown or a malformed id."""
    key = _key(public_id)
    if key is None:
        return None
    return WebhookEndpoint.objects.select_related("clinic").filter(clinic=clinic, public_id=key).first()


def webhook_deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first."""
    return endpoint.deliveries.order_by("-created_at", "-id")
