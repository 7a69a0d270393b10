"""Interop writes: backend clients and their tokens, personal access tokens, bulk export jobs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import secrets
import time
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.interop.fhir_resources import patient_resources, questionnaire_resources
from ketacare.interop.models import AccessToken, BackendClient, BulkExportFile, BulkExportJob, UsedAssertion
from ketacare.lib.errors import FieldError, NotPermitted
from ketacare.patients.models import Patient

logger = logging.getLogger(__name__)

# SMART Backend Services: access tokens live minutes, and an assertion at most five minutes
# (hl7.org/fhir/smart-app-launch/backend-services.html: "exp ... no more than five minutes in the future").
BACKEND_TOKEN_LIFETIME = dt.timedelta(minutes=5)
ASSERTION_MAX_LIFETIME = dt.timedelta(minutes=5)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SIGNING_ALGORITHMS = ("RS384", "ES384")
# Personal access tokens: the user chooses up to a year; never without an end.
PERSONAL_TOKEN_MAX_DAYS = 365
TOKEN_PREFIX = {"backend": "kcb_", "personal": "kcp_"}

# The resource types the FHIR API serves (docs/decisions/0019); scopes name these or "*".
FHIR_TYPES = (
    "Patient",
    "Observation",
    "QuestionnaireResponse",
    "Questionnaire",
    "MedicationAdministration",
    "Encounter",
    "AdverseEvent",
    "Appointment",
    "MedicationStatement",
    "CarePlan",
    "Consent",
    "Condition",
    "List",
)
_SCOPE = re.compile(r"^(system|user|patient)/(\*|[A-Z][A-Za-z]{1,39})\.(read|\*|c?r?u?d?s?)$")
API_SCOPES = ("api/read", "api/write")
# The audit role of a SMART backend client (the row's e-mail column names it: client:<client_id>).
BACKEND_CLIENT_ROLE = "backend_client"


class OAuthError(Exception):
    """A refused token request, answered as RFC 6749 section 5.2 says (``error`` and a description)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_scopes(text: str, *, field: str = "scope", contexts: tuple[str, ...] = ("system",)) -> list[str]:
    """Split and check SMART scopes (``system/Observation.rs``, ``system/*.read``); raise FieldError."""
    scopes = text.split()
    if not scopes:
        raise FieldError(field, "Name at least one scope, for example system/Observation.rs.")
    for scope in scopes:
        match = _SCOPE.match(scope)
        if match is None or match.group(1) not in contexts or match.group(3) == "":
            raise FieldError(
                field, f"{scope[:80]!r} is not a scope: use {'|'.join(contexts)}/<Type or *>.<rs|read>."
            )
        if match.group(2) != "*" and match.group(2) not in FHIR_TYPES:
            raise FieldError(field, f"{match.group(2)} is not served; allowed: {', '.join(FHIR_TYPES)} or *.")
    return scopes


def scope_allows(scopes: list[str], resource_type: str, *, search: bool = False) -> bool:
    """Whether any scope grants reading (or searching) this resource type."""
    for scope in scopes:
        match = _SCOPE.match(scope)
        if match is None or match.group(2) not in ("*", resource_type):
            continue
        permission = match.group(3)
        if permission in ("read", "*") or ("s" if search else "r") in permission:
            return True
    return False


def _check_jwks(jwks: Any) -> dict[str, Any]:
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise FieldError("jwks", 'A JWKS is a JSON object {"keys": [...]} with at least one public key.')
    for key in jwks["keys"]:
        if not isinstance(key, dict) or not key.get("kid"):
            raise FieldError("jwks", "Every key needs a kid, the id the client's assertions name it by.")
        if key.get("kty") not in ("RSA", "EC") or any(part in key for part in ("d", "p", "q")):
            raise FieldError("jwks", "Only public RSA or EC keys (for RS384 or ES384); never a private key.")
    try:
        KeySet.import_key_set(jwks)  # type: ignore[arg-type]  # shape checked above
    except (JoseError, ValueError, TypeError) as exc:
        raise FieldError("jwks", f"The keys could not be read: {exc}") from None
    return jwks


@transaction.atomic
def register_backend_client(*, clinic: Clinic, name: str, jwks: Any, scopes: str, by: User) -> BackendClient:
    """Register a program of the clinic; only a clinic admin of that clinic may."""
    if not by.memberships.filter(clinic=clinic, is_active=True, role="clinic_admin").exists():
        raise NotPermitted("clinic", "Only a clinic admin registers backend clients.")
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise FieldError("name", "Give the client a name of 1 to 120 characters.")
    checked = parse_scopes(scopes, field="scopes")
    client = BackendClient.objects.create(
        clinic=clinic,
        client_id=secrets.token_urlsafe(24),
        name=name,
        jwks=_check_jwks(jwks),
        scopes=" ".join(checked),
        created_by=by,
    )
    record_access_event(
        user=by, action="write", outcome="granted", clinic=clinic, object_type="backend-client",
        object_id=str(client.public_id),
    )  # fmt: skip
    return client


@transaction.atomic
def revoke_backend_client(*, client: BackendClient, by: User, now: dt.datetime) -> BackendClient:
    """Revoke a client and every token it holds."""
    if not by.memberships.filter(clinic=client.clinic, is_active=True, role="clinic_admin").exists():
        raise NotPermitted("clinic", "Only a clinic admin revokes backend clients.")
    if client.revoked_at is None:
        client.revoked_at = now
        client.save(update_fields=["revoked_at"])
    AccessToken.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=now)
    record_access_event(
        user=by, action="write", outcome="granted", clinic=client.clinic, object_type="backend-client",
        object_id=str(client.public_id),
    )  # fmt: skip
    return client


def _refuse(client: BackendClient | None, client_id: str, description: str) -> OAuthError:
    record_access_event(
        action="login",
        outcome="failure",
        clinic=client.clinic if client else None,
        login_email=f"client:{client_id[:64]}",
        role=BACKEND_CLIENT_ROLE,
        object_type="backend-client",
        object_id=str(client.public_id) if client else "",
    )
    return OAuthError("invalid_client", description, status=401)


def issue_backend_token(*, form: dict[str, str], token_url: str, now: dt.datetime) -> tuple[str, AccessToken]:
    """Check a client_credentials request with a signed JWT assertion; return (raw token, row).

    Raises OAuthError (``invalid_request``, ``unsupported_grant_type``, ``invalid_client`` or
    ``invalid_scope``); every success and every refusal of a known client is audited.
    """
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    if form.get("grant_type") != "client_credentials":
        raise OAuthError("unsupported_grant_type", "grant_type must be client_credentials.")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise OAuthError("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = form.get("client_assertion", "")
    if not assertion or len(assertion) > 8000:
        raise OAuthError("invalid_request", "client_assertion (a signed JWT) is required.")
    try:
        unverified = json.loads(_b64(assertion.split(".")[1]))
        client_id = str(unverified.get("iss", ""))
    except (ValueError, IndexError, AttributeError):
        raise OAuthError("invalid_client", "client_assertion is not a JWT.", status=401) from None
    client = BackendClient.objects.select_related("clinic").filter(client_id=client_id).first()
    if client is None or client.revoked_at is not None:
        raise _refuse(client, client_id, "Unknown or revoked client.")
    try:
        token = jwt.decode(assertion, KeySet.import_key_set(client.jwks), algorithms=list(SIGNING_ALGORITHMS))
        jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            iss={"essential": True, "value": client.client_id},
            sub={"essential": True, "value": client.client_id},
            aud={"essential": True, "value": token_url},
            exp={"essential": True},
            jti={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise _refuse(client, client_id, f"The assertion was refused: {exc}") from None
    expires = dt.datetime.fromtimestamp(int(token.claims["exp"]), tz=dt.UTC)
    if expires > now + ASSERTION_MAX_LIFETIME + dt.timedelta(seconds=30):
        raise _refuse(client, client_id, "The assertion's exp is more than five minutes away.")
    UsedAssertion.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(
                client=client, jti=str(token.claims["jti"])[:255], expires_at=expires
            )
    except IntegrityError:
        raise _refuse(client, client_id, "This assertion (jti) was already used.") from None
    allowed = client.scopes.split()
    asked = form.get("scope", "").split() or allowed
    try:
        parse_scopes(" ".join(asked))
    except FieldError as exc:
        raise OAuthError("invalid_scope", exc.message) from None
    granted = [s for s in asked if s in allowed]
    if not granted:
        raise OAuthError("invalid_scope", f"This client may ask for: {' '.join(allowed)}.")
    raw = TOKEN_PREFIX["backend"] + secrets.token_urlsafe(32)
    row = AccessToken.objects.create(
        digest=digest(raw),
        kind=AccessToken.Kind.BACKEND,
        client=client,
        clinic=client.clinic,
        scopes=" ".join(granted),
        expires_at=now + BACKEND_TOKEN_LIFETIME,
    )
    record_access_event(
        action="login",
        outcome="success",
        clinic=client.clinic,
        login_email=f"client:{client.client_id}",
        role=BACKEND_CLIENT_ROLE,
        object_type="backend-client",
        object_id=str(client.public_id),
    )
    return raw, row


def _b64(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@transaction.atomic
def create_personal_token(
    *, user: User, name: str, scopes: str, days: int, now: dt.datetime
) -> tuple[str, AccessToken]:
    """A token for the user's own programs on the JSON API (shown once; only its digest is kept)."""
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise FieldError("name", "Name the token (1 to 120 characters), e.g. after the script that uses it.")
    if not 1 <= days <= PERSONAL_TOKEN_MAX_DAYS:
        raise FieldError("days", f"A token lasts 1 to {PERSONAL_TOKEN_MAX_DAYS} days.")
    asked = scopes.split()
    if not asked or any(s not in API_SCOPES for s in asked):
        raise FieldError("scopes", f"Choose from: {' '.join(API_SCOPES)}.")
    raw = TOKEN_PREFIX["personal"] + secrets.token_urlsafe(32)
    row = AccessToken.objects.create(
        digest=digest(raw),
        kind=AccessToken.Kind.PERSONAL,
        user=user,
        name=name,
        scopes=" ".join(sorted(set(asked))),
        expires_at=now + dt.timedelta(days=days),
    )
    record_access_event(
        user=user, action="write", outcome="granted", object_type="access-token", object_id=str(row.public_id)
    )
    return raw, row


@transaction.atomic
def revoke_personal_token(*, user: User, token: AccessToken, now: dt.datetime) -> AccessToken:
    if token.user_id != user.pk or token.kind != AccessToken.Kind.PERSONAL:
        raise NotPermitted("token", "Only the token's owner revokes it.")
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
    record_access_event(
        user=user,
        action="write",
        outcome="granted",
        object_type="access-token",
        object_id=str(token.public_id),
    )
    return token


# How many patients one slice of a bulk export covers before it saves its cursor and returns.
EXPORT_SLICE_PATIENTS = 200
# One queued run of an export works through slices for about this long, then queues its continuation,
# so a big clinic's export never meets the queue's job timeout (docs/decisions/0019).
EXPORT_RUN_BUDGET_S = 60
# A job with no progress for this long lost its run (the queue was down at the kick-off, or a
# continuation was never queued): the sweep queues it again.
EXPORT_STALL_AFTER = dt.timedelta(minutes=15)
EXPORT_TASK = "ketacare.interop.services.run_bulk_export"


def start_bulk_export(
    *,
    clinic: Clinic,
    resource_types: list[str],
    since: dt.datetime | None,
    now: dt.datetime,
    by: User | None = None,
    client: BackendClient | None = None,
) -> BulkExportJob:
    """Create a clinic-wide export job (audited as one export of the clinic)."""
    job = BulkExportJob.objects.create(
        clinic=clinic,
        requested_by=by,
        client=client,
        resource_types=resource_types,
        since=since,
        transaction_time=now,
        patients_total=Patient.objects.filter(clinic=clinic).count(),
    )
    record_access_event(
        user=by,
        action="export",
        outcome="granted",
        clinic=clinic,
        login_email=f"client:{client.client_id}" if client else "",
        role=BACKEND_CLIENT_ROLE if client else "",
        object_type="bulk-export",
        object_id=str(job.public_id),
    )
    return job


def run_export_slice(job: BulkExportJob, *, limit: int = EXPORT_SLICE_PATIENTS) -> BulkExportJob:
    """Export the next ``limit`` patients of the job and move its cursor; complete it after the last.

    Safe to run again after a crash: each slice's lines and cursor are saved in one transaction, so a
    slice is either wholly written or not at all. A task queue can call this until ``status`` is complete.
    """
    if job.status != BulkExportJob.Status.IN_PROGRESS:
        return job
    types = set(job.resource_types)
    patients = list(
        Patient.objects.filter(clinic=job.clinic, pk__gt=job.last_patient_pk)
        .select_related("clinic")
        .order_by("pk")[:limit]
    )
    lines: dict[str, list[str]] = {}
    for patient in patients:
        for resource in patient_resources(patient, now=job.transaction_time):
            kind = resource["resourceType"]
            if kind not in types:
                continue
            if job.since is not None:
                updated = resource.get("meta", {}).get("lastUpdated")
                if updated is None or dt.datetime.fromisoformat(updated) <= job.since:
                    continue
            lines.setdefault(kind, []).append(json.dumps(resource, separators=(",", ":")))
    with transaction.atomic():
        locked = BulkExportJob.objects.select_for_update().get(pk=job.pk)
        if locked.last_patient_pk != job.last_patient_pk or locked.status != BulkExportJob.Status.IN_PROGRESS:
            return locked  # another runner took this slice
        for kind, new_lines in lines.items():
            file, _ = BulkExportFile.objects.get_or_create(job=locked, resource_type=kind)
            file.ndjson += "".join(f"{line}\n" for line in new_lines)
            file.count += len(new_lines)
            file.save(update_fields=["ndjson", "count"])
        if patients:
            locked.last_patient_pk = patients[-1].pk
            locked.patients_done += len(patients)
        locked.progressed_at = timezone.now()
        if len(patients) < limit:
            if "Questionnaire" in types and job.since is None:
                questionnaires = [json.dumps(q, separators=(",", ":")) for q in questionnaire_resources()]
                BulkExportFile.objects.update_or_create(
                    job=locked,
                    resource_type="Questionnaire",
                    defaults={
                        "ndjson": "".join(f"{q}\n" for q in questionnaires),
                        "count": len(questionnaires),
                    },
                )
            locked.status = BulkExportJob.Status.COMPLETE
            locked.finished_at = timezone.now()
        locked.save()
    return locked


def queue_bulk_export(job: BulkExportJob) -> None:
    """Queue the job's run once the caller's transaction commits (the kick-off answers at once)."""
    transaction.on_commit(partial(_enqueue_export, job.pk))


def _enqueue_export(job_pk: int) -> None:
    # Imported here: django_q reads its settings at import, which must wait for Django's setup.
    from django_q.tasks import async_task

    try:
        async_task(EXPORT_TASK, job_pk, task_name=f"fhir-export-{job_pk}", group="fhir-export")
    except Exception as exc:  # the queue is down: the job row is safe, the sweep queues it later
        logger.warning("bulk export %s not queued (%s); the sweep will", job_pk, type(exc).__name__)


def run_bulk_export(
    job_pk: int, *, budget_s: float = EXPORT_RUN_BUDGET_S, limit: int = EXPORT_SLICE_PATIENTS
) -> str:
    """The queued job: run slices from the job's cursor for about ``budget_s``, then queue the rest.

    Idempotent per slice (``run_export_slice`` writes a slice and moves the cursor in one transaction,
    only if the cursor is still where it read it), so the queue delivering this again after a worker
    died, or two runs at once, write no line twice. Returns a one-line summary without patient data.
    """
    started = time.monotonic()
    job = BulkExportJob.objects.filter(pk=job_pk).first()
    while job is not None and job.status == BulkExportJob.Status.IN_PROGRESS:
        job = run_export_slice(job, limit=limit)
        if job.status == BulkExportJob.Status.IN_PROGRESS and time.monotonic() - started >= budget_s:
            queue_bulk_export(job)
            return f"export {job.pk}: {job.patients_done} of {job.patients_total} patients, continues"
    if job is None:
        return f"export {job_pk}: no such job"
    return f"export {job.pk}: {job.status}, {job.patients_done} of {job.patients_total} patients"


def resume_stalled_exports(*, now: dt.datetime | None = None) -> int:
    """The sweep: queue again every export in progress that has not moved for EXPORT_STALL_AFTER."""
    cutoff = (now or timezone.now()) - EXPORT_STALL_AFTER
    stalled = BulkExportJob.objects.filter(status=BulkExportJob.Status.IN_PROGRESS).filter(
        Q(progressed_at__lt=cutoff) | Q(progressed_at__isnull=True, created_at__lt=cutoff)
    )
    count = 0
    for job_pk in stalled.values_list("pk", flat=True):
        _enqueue_export(job_pk)
        count += 1
    return count


def cancel_bulk_export(job: BulkExportJob, *, now: dt.datetime) -> BulkExportJob:
    """Cancel the job and drop its files (the client said DELETE on the status URL)."""
    with transaction.atomic():
        job.files.all().delete()
        job.status = BulkExportJob.Status.CANCELLED
        job.finished_at = now
        job.save(update_fields=["status", "finished_at"])
    return job


def touch_token(token: AccessToken, *, now: dt.datetime) -> None:
    """Note the token's last use (minute precision is enough: spares a write on every request)."""
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
