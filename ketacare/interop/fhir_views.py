"""The read-only FHIR R4 API at /fhir/R4/ (docs/decisions/0019).

Who may read what follows the product's access rules: a patient reaches only themself, staff the
patients of their clinics, a backend client (SMART Backend Services token) its clinic's patients and
only the resource types its scopes name. Every answer that carries a patient's data is audited.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ketacare.interop.fhir_index import owner_of
from ketacare.interop.fhir_resources import patient_resource, patient_resources, questionnaire_resources
from ketacare.interop.selectors import (
    Principal,
    access_fhir_patient,
    fhir_principal,
    note_search,
    reachable_patients,
)
from ketacare.interop.services import (
    FHIR_TYPES,
    SIGNING_ALGORITHMS,
    OAuthError,
    issue_backend_token,
)
from ketacare.patients.models import Patient

FHIR_JSON = "application/fhir+json"
DEFAULT_COUNT = 50
MAX_COUNT = 200
PATIENT_TYPES = tuple(t for t in FHIR_TYPES if t not in ("Patient", "Questionnaire"))
# Search parameters each type takes besides _count, _offset, _lastUpdated (CapabilityStatement lists them).
SEARCH_PARAMS: dict[str, tuple[str, ...]] = {
    "Patient": ("_id",),
    "Observation": ("patient", "subject", "date", "code", "category"),
    "QuestionnaireResponse": ("patient", "subject", "authored", "questionnaire"),
    "Questionnaire": ("url", "version"),
    "MedicationAdministration": ("patient", "subject", "effective-time", "code"),
    "Encounter": ("patient", "subject", "date"),
    "AdverseEvent": ("subject", "date"),
    "Appointment": ("patient", "date"),
    "MedicationStatement": ("patient", "subject", "status"),
    "CarePlan": ("patient", "subject", "date", "category", "status"),
    "Consent": ("patient", "date", "category", "status"),
    "Condition": ("patient", "subject", "category", "clinical-status", "recorded-date"),
    "List": ("patient", "subject", "date", "code", "status"),
}
COMMON_PARAMS = ("_count", "_offset", "_lastUpdated", "_format")
DATE_PARAMS = ("date", "authored", "effective-time", "recorded-date")


def _fhir(body: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type=FHIR_JSON)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def outcome(status: int, code: str, text: str, **headers: str) -> HttpResponse:
    """An OperationOutcome naming what was wrong (never a stack trace)."""
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    return _fhir(body, status, **headers)


def unauthorised() -> HttpResponse:
    return outcome(
        401, "login", "Sign in, or send a bearer token from the token endpoint.", WWW_Authenticate="Bearer"
    )


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).rsplit("/metadata", 1)[0]


def principal_of(request: HttpRequest) -> Principal | None:
    return fhir_principal(request, now=timezone.now())


@login_not_required
@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: what this server really does (read and search only, these params)."""
    base = _base(request)
    resources = []
    for kind in FHIR_TYPES:
        params = [
            {"name": name, "type": _param_type(name)} for name in SEARCH_PARAMS[kind] + COMMON_PARAMS[:3]
        ]
        entry: dict[str, Any] = {
            "type": kind,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": params,
        }
        if kind == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    token_url = request.build_absolute_uri(reverse("fhir:token"))
    body = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-06",
        "kind": "instance",
        "publisher": "KetaCare",
        "software": {"name": "KetaCare"},
        "implementation": {"description": "KetaCare FHIR R4 API (read-only)", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": "SMART Backend Services (private_key_jwt, RS384/ES384) or a signed-in session.",
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                            "extension": [{"url": "token", "valueUri": token_url}],
                        }
                    ],
                },
                "resource": resources,
                "operation": [
                    {
                        "name": "export",
                        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                    }
                ],
            }
        ],
    }
    return _fhir(body)


def _param_type(name: str) -> str:
    if name in DATE_PARAMS or name == "_lastUpdated":
        return "date"
    if name in ("patient", "subject"):
        return "reference"
    if name in ("_count", "_offset"):
        return "number"
    if name == "url" or name == "questionnaire":
        return "uri"
    return "token"


@login_not_required
@require_GET
def smart_configuration(request: HttpRequest) -> HttpResponse:
    """/.well-known/smart-configuration: where and how a backend client gets a token."""
    return JsonResponse(
        {
            "token_endpoint": request.build_absolute_uri(reverse("fhir:token")),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
            "scopes_supported": [f"system/{t}.rs" for t in FHIR_TYPES] + ["system/*.rs"],
            "capabilities": ["client-confidential-asymmetric"],
        }
    )


@csrf_exempt  # a program's form post, authenticated by its signed assertion, not a browser session
@login_not_required
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """OAuth 2.0 client_credentials with a private_key_jwt assertion (SMART Backend Services)."""
    now = timezone.now()
    try:
        raw, row = issue_backend_token(
            form={k: request.POST.get(k, "") for k in request.POST},
            token_url=request.build_absolute_uri(reverse("fhir:token")),
            now=now,
        )
    except OAuthError as exc:
        response = JsonResponse({"error": exc.error, "error_description": exc.description}, status=exc.status)
        response["Cache-Control"] = "no-store"
        return response
    response = JsonResponse(
        {
            "access_token": raw,
            "token_type": "bearer",
            "expires_in": int((row.expires_at - now).total_seconds()),
            "scope": row.scopes,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


def _check_type(principal: Principal, resource_type: str, *, search: bool) -> HttpResponse | None:
    if resource_type not in FHIR_TYPES:
        return outcome(
            404, "not-supported", f"{resource_type[:40]} is not served; served: {', '.join(FHIR_TYPES)}."
        )
    if not principal.may(resource_type, search=search):
        return outcome(403, "forbidden", f"The token's scopes do not include reading {resource_type}.")
    return None


@login_not_required
@require_GET
def read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    principal = principal_of(request)
    if principal is None:
        return unauthorised()
    refused = _check_type(principal, resource_type, search=False)
    if refused is not None:
        return refused
    if resource_type == "Questionnaire":
        for questionnaire in questionnaire_resources():
            if questionnaire["id"] == resource_id:
                return _fhir(questionnaire)
        return outcome(404, "not-found", f"No Questionnaire {resource_id[:64]}.")
    try:
        if resource_type == "Patient":
            patient = access_fhir_patient(principal, resource_id)
        else:
            patient = _owner(principal, resource_type, resource_id)
    except Http404:
        return outcome(404, "not-found", f"No {resource_type} {resource_id[:64]} that you may read.")
    for resource in patient_resources(patient):
        if resource["resourceType"] == resource_type and resource["id"] == resource_id:
            return _fhir(resource)
    return outcome(404, "not-found", f"No {resource_type} {resource_id[:64]} that you may read.")


def _owner(principal: Principal, resource_type: str, resource_id: str) -> Patient:
    """The patient a resource belongs to, through the same access check as a Patient read."""
    patient = owner_of(resource_id, reachable_patients(principal))
    if patient is None:
        raise Http404("No such resource")
    return access_fhir_patient(principal, str(patient.public_id))


@login_not_required
@require_GET
def everything(request: HttpRequest, patient_id: str) -> HttpResponse:
    """Patient/$everything: every resource of one patient, as a searchset Bundle."""
    principal = principal_of(request)
    if principal is None:
        return unauthorised()
    try:
        patient = access_fhir_patient(principal, patient_id, action="export")
    except Http404:
        return outcome(404, "not-found", "No such patient that you may read.")
    base = _base(request)
    resources = [r for r in patient_resources(patient) if principal.may(r["resourceType"])]
    answered = {
        r["questionnaire"].split("|")[0] for r in resources if r["resourceType"] == "QuestionnaireResponse"
    }
    if principal.may("Questionnaire"):
        resources += [q for q in questionnaire_resources() if q["url"] in answered]
    return _fhir(_searchset(base, resources, len(resources), request.build_absolute_uri(), None))


def _searchset(
    base: str, resources: list[dict[str, Any]], total: int, self_url: str, next_url: str | None
) -> dict[str, Any]:
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


class BadSearch(ValueError):
    pass


def _date_test(spec: str) -> Any:
    """A FHIR date search value (``ge2026-01-01``) as a test on an ISO date-time string."""
    prefix = spec[:2] if spec[:2] in ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb") else "eq"
    value = spec[2:] if spec[:2] == prefix else spec
    try:
        start = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadSearch(f"{spec[:40]!r} is not a date: use [prefix]YYYY-MM-DD or a full date-time.") from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.UTC)
    try:
        end = start + (dt.timedelta(days=1) if len(value) == 10 else dt.timedelta(seconds=1))
    except OverflowError:  # the last representable day: the range ends at the end of time
        end = dt.datetime.max.replace(tzinfo=dt.UTC)

    def test(when: str | None) -> bool:
        if when is None:
            return False
        moment = dt.datetime.fromisoformat(when)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return {
            "eq": start <= moment < end,
            "ne": not start <= moment < end,
            "gt": moment >= end,
            "sa": moment >= end,
            "ge": moment >= start,
            "lt": moment < start,
            "eb": moment < start,
            "le": moment < end,
        }[prefix]

    return test


def resource_date(resource: dict[str, Any]) -> str | None:
    for key in ("effectiveDateTime", "authored", "date", "start", "dateTime", "dateAsserted", "recordedDate"):
        if key in resource:
            return str(resource[key])
    for key in ("effectivePeriod", "period"):
        if key in resource:
            return resource[key].get("start")
    return None


def _codes(resource: dict[str, Any]) -> set[str]:
    found = set()
    for key in ("code", "medicationCodeableConcept"):
        for coding in resource.get(key, {}).get("coding", []):
            found |= {coding.get("code", ""), f"{coding.get('system', '')}|{coding.get('code', '')}"}
    return found


def used_params(resource_type: str, params: dict[str, list[str]], *, strict: bool) -> dict[str, list[str]]:
    """The parameters this search understands; the rest are refused (``Prefer: handling=strict``, 400) or,
    by default (lenient handling), ignored and left out of the ``self`` link, which names only those used.
    """
    allowed = set(SEARCH_PARAMS[resource_type]) | set(COMMON_PARAMS)
    unknown = sorted(set(params) - allowed)
    if unknown and strict:
        raise BadSearch(
            f"Unsupported search parameter {unknown[0][:40]}; {resource_type} takes: {', '.join(sorted(allowed))}."
        )
    return {k: v for k, v in params.items() if k in allowed}


def _filters(resource_type: str, params: dict[str, list[str]]) -> list[Any]:
    """Tests a resource must pass, from the (understood) query parameters."""
    tests: list[Any] = []
    for name, values in params.items():
        for value in values:
            if name in DATE_PARAMS:
                test = _date_test(value)
                tests.append(lambda r, t=test: t(resource_date(r)))
            elif name == "_lastUpdated":
                test = _date_test(value)
                tests.append(lambda r, t=test: t(r.get("meta", {}).get("lastUpdated")))
            elif name == "code":
                wanted = set(value.split(","))
                tests.append(lambda r, w=wanted: bool(_codes(r) & w))
            elif name == "category":
                wanted = set(value.split(","))
                tests.append(
                    lambda r, w=wanted: any(
                        c.get("code") in w or f"{c.get('system')}|{c.get('code')}" in w
                        for cat in r.get("category", [])
                        for c in cat.get("coding", [])
                    )
                )
            elif name == "clinical-status":
                statuses = set(value.split(","))
                tests.append(
                    lambda r, v=statuses: any(
                        c.get("code") in v or f"{c.get('system')}|{c.get('code')}" in v
                        for c in r.get("clinicalStatus", {}).get("coding", [])
                    )
                )
            elif name == "status":
                statuses = set(value.split(","))
                tests.append(lambda r, v=statuses: r.get("status") in v)
            elif name == "_id":
                ids = set(value.split(","))
                tests.append(lambda r, v=ids: r["id"] in v)
            elif name == "questionnaire":
                tests.append(lambda r, v=value: r.get("questionnaire", "").split("|")[0] == v.split("|")[0])
            elif name == "url":
                tests.append(lambda r, v=value: r.get("url") == v)
            elif name == "version":
                tests.append(lambda r, v=value: r.get("version") == v)
    return tests


def _patient_filter(params: dict[str, list[str]]) -> str | None:
    for name in ("patient", "subject"):
        for value in params.get(name, []):
            return value.rsplit("/", 1)[-1]
    return None


def _page(params: dict[str, list[str]]) -> tuple[int, int]:
    try:
        count = int(params.get("_count", [DEFAULT_COUNT])[0])
        offset = int(params.get("_offset", [0])[0])
    except ValueError:
        raise BadSearch("_count and _offset are whole numbers.") from None
    if not 0 <= count <= MAX_COUNT or offset < 0:
        raise BadSearch(f"_count is 0 to {MAX_COUNT}; _offset is 0 or more.")
    return count, offset


@login_not_required
@require_GET
def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    """Type-level search: the matches the asker may read, in pages of ``_count`` with a ``next`` link."""
    principal = principal_of(request)
    if principal is None:
        return unauthorised()
    refused = _check_type(principal, resource_type, search=True)
    if refused is not None:
        return refused
    strict = "handling=strict" in request.headers.get("Prefer", "").replace(" ", "")
    try:
        params = used_params(resource_type, {k: request.GET.getlist(k) for k in request.GET}, strict=strict)
        tests = _filters(resource_type, params)
        count, offset = _page(params)
    except BadSearch as exc:
        return outcome(400, "invalid", str(exc))
    candidates: list[tuple[Patient | None, dict[str, Any]]]
    if resource_type == "Questionnaire":
        candidates = [(None, q) for q in questionnaire_resources()]
    else:
        wanted = _patient_filter(params)
        if wanted is not None:
            try:
                patients = [access_fhir_patient(principal, wanted)]
            except Http404:
                return outcome(404, "not-found", "No such patient that you may read.")
        else:
            patients = list(reachable_patients(principal))
        candidates = [
            (patient, r)
            for patient in patients
            for r in (
                [r for r in patient_resources(patient) if r["resourceType"] == resource_type]
                if resource_type != "Patient"
                else [_patient_only(patient)]
            )
        ]
    matches = [(p, r) for p, r in candidates if all(test(r) for test in tests)]
    page = matches[offset : offset + count]
    for patient in {p.pk: p for p, _ in page if p is not None}.values():
        note_search(principal, patient, resource_type)
    self_url = f"{_base(request)}/{resource_type}" + (f"?{urlencode(params, doseq=True)}" if params else "")
    next_url = None
    if offset + count < len(matches) and count > 0:
        query = {k: v for k, v in params.items() if k != "_offset"} | {"_offset": [str(offset + count)]}
        next_url = f"{_base(request)}/{resource_type}?{urlencode(query, doseq=True)}"
    return _fhir(_searchset(_base(request), [r for _, r in page], len(matches), self_url, next_url))


def _patient_only(patient: Patient) -> dict[str, Any]:
    return patient_resource(patient)
