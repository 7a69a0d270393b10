"""The FHIR R4 API driven as an EHR would: SMART Backend Services token, fhirpy searches, bulk export.

A live server runs the product; fhirpy (an independent FHIR client) and plain HTTP talk to it with a
token obtained by a signed JWT assertion (ES384 or RS384, keys made here with joserfc). Every resource
that comes back passes fhirclient's strict R4 models and fhir.resources.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest
import requests
from django.utils import timezone
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import AuthorizationError, ForbiddenError, ResourceNotFound
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from ketacare.audit.models import AccessEvent
from ketacare.intake.services import record_intake
from ketacare.interop.exports import validate_resource
from ketacare.interop.fhir_resources import patient_resources as fhir_resources_of
from ketacare.interop.services import register_backend_client, revoke_backend_client
from tests.support.fhir import make_care_records, make_history, strict_validate

pytestmark = [pytest.mark.django_db(transaction=True)]


def _key(alg: str) -> Any:
    if alg == "ES384":
        return ECKey.generate_key("P-384", parameters={"kid": f"k-{alg}", "alg": alg})
    return RSAKey.generate_key(2048, parameters={"kid": f"k-{alg}", "alg": alg})


class Ehr:
    """An EHR's integration: its key, its registration at clinic A, and how it gets tokens."""

    def __init__(self, base: str, personas: Any, *, alg: str = "ES384", scopes: str = "system/*.rs") -> None:
        self.base, self.alg, self.key = base, alg, _key(alg)
        self.client = register_backend_client(
            clinic=personas.a1.clinic,
            name=f"EHR {alg}",
            jwks={"keys": [self.key.as_dict(private=False)]},
            scopes=scopes,
            by=personas.admin_a,
        )
        config = requests.get(f"{base}/.well-known/smart-configuration", timeout=10).json()
        self.token_url = config["token_endpoint"]

    def assertion(self, **overrides: Any) -> str:
        claims = {
            "iss": self.client.client_id,
            "sub": self.client.client_id,
            "aud": self.token_url,
            "exp": int(time.time()) + 240,
            "jti": str(uuid.uuid4()),
        } | overrides
        return jwt.encode({"alg": self.alg, "kid": f"k-{self.alg}"}, claims, self.key, algorithms=[self.alg])

    def request_token(self, assertion: str | None = None, scope: str = "") -> requests.Response:
        return requests.post(
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion or self.assertion(),
                **({"scope": scope} if scope else {}),
            },
            timeout=10,
        )

    def token(self, scope: str = "") -> str:
        response = self.request_token(scope=scope)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 300
        return str(body["access_token"])

    def fhir(self, token: str) -> SyncFHIRClient:
        return SyncFHIRClient(self.base, authorization=f"Bearer {token}")


@pytest.fixture
def base(live_server: Any) -> str:
    return f"{live_server.url}/fhir/R4"


# When the intake interview took place: each indication's Condition is recorded then.
INTAKE_AT = timezone.now().replace(hour=15, minute=30, second=0, microsecond=0) - dt.timedelta(days=35)


def record_indications(patient: Any, clinician: Any, indications: list[str], other: str = "") -> Any:
    """The intake of the patient's history: sex, height and the conditions they are referred for."""
    return record_intake(
        patient=patient,
        user=clinician,
        sex="female",
        height_cm=165,
        indications=indications,
        indication_other=other,
        recorded_at=INTAKE_AT,
    )


@pytest.fixture
def history(personas: Any) -> Any:
    record_indications(personas.a1, personas.clinician_a, ["treatment_resistant_depression", "ptsd"])
    record_indications(personas.b1, personas.clinician_b, ["chronic_pain"])
    make_history(personas.a1, personas.clinician_a)
    make_history(personas.b1, personas.clinician_b)
    make_care_records(personas.a1, personas.clinician_a)
    make_care_records(personas.b1, personas.clinician_b)
    return personas


def _both_validators(resource: dict[str, Any]) -> None:
    validate_resource(resource)
    strict_validate(resource)


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_a_backend_client_searches_its_clinics_patients_only(base: str, history: Any, alg: str) -> None:
    ehr = Ehr(base, history, alg=alg)
    fhir = ehr.fhir(ehr.token())
    names = {p["name"][0]["text"] for p in fhir.resources("Patient").fetch_all()}
    assert names == {history.a1.full_name, history.a2.full_name}
    with pytest.raises(ResourceNotFound):
        fhir.reference("Patient", str(history.b1.public_id)).to_resource()
    b1_observations = fhir.resources("Observation").search(patient=str(history.b1.public_id))
    with pytest.raises(ResourceNotFound):
        b1_observations.fetch()


def test_observations_page_with_next_links_and_every_resource_validates(base: str, history: Any) -> None:
    ehr = Ehr(base, history)
    fhir = ehr.fhir(ehr.token())
    search = fhir.resources("Observation").search(patient=str(history.a1.public_id)).limit(4)
    first_page = search.fetch_raw()
    assert first_page["total"] > 4
    assert any(link["relation"] == "next" for link in first_page["link"])
    every = search.fetch_all()  # fhirpy follows the next links
    assert len(every) == first_page["total"]
    assert len({o["id"] for o in every}) == len(every)
    for observation in every:
        _both_validators(observation.serialize())
    vitals = (
        fhir.resources("Observation").search(patient=str(history.a1.public_id), code="2708-6").fetch_all()
    )
    assert len(vitals) == 1 and vitals[0]["valueQuantity"]["value"] == 97
    for kind in ("Patient", "QuestionnaireResponse", "Questionnaire", "MedicationAdministration", "Encounter",
                 "AdverseEvent", "Appointment", "MedicationStatement", "CarePlan", "Consent",
                 "Condition"):  # fmt: skip
        for resource in fhir.resources(kind).fetch_all():
            _both_validators(resource.serialize())


def test_date_and_last_updated_searches_narrow_the_answer(base: str, history: Any) -> None:
    ehr = Ehr(base, history)
    fhir = ehr.fhir(ehr.token())
    patient = str(history.a1.public_id)
    every = fhir.resources("QuestionnaireResponse").search(patient=patient).fetch_all()
    assert len(every) == 2
    recent = (timezone.now() - timezone.timedelta(days=3)).date().isoformat()
    newer = (
        fhir.resources("QuestionnaireResponse").search(patient=patient, authored=f"ge{recent}").fetch_all()
    )
    assert len(newer) == 1
    future = (timezone.now() + timezone.timedelta(days=1)).date().isoformat()
    assert fhir.resources("Observation").search(_lastUpdated=f"gt{future}").fetch_all() == []


def test_a_questionnaire_is_served_at_its_canonical_url(base: str, history: Any) -> None:
    ehr = Ehr(base, history)
    fhir = ehr.fhir(ehr.token())
    (response, *_) = (
        fhir.resources("QuestionnaireResponse").search(patient=str(history.a1.public_id)).fetch_all()
    )
    canonical = response["questionnaire"].split("|")[0]
    (questionnaire,) = fhir.resources("Questionnaire").search(url=canonical).fetch_all()
    assert questionnaire["id"] == "phq9"
    assert fhir.reference("Questionnaire", "phq9").to_resource()["url"] == canonical


def test_a_token_reads_only_the_types_its_scopes_name(base: str, history: Any) -> None:
    ehr = Ehr(base, history, scopes="system/Observation.rs")
    fhir = ehr.fhir(ehr.token())
    assert fhir.resources("Observation").fetch_all()
    with pytest.raises(ForbiddenError):
        fhir.resources("Patient").fetch_all()
    refused = ehr.request_token(scope="system/Patient.rs")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"


def test_assertions_are_refused_when_replayed_expired_or_signed_by_another_key(
    base: str, history: Any
) -> None:
    ehr = Ehr(base, history)
    once = ehr.assertion()
    assert ehr.request_token(once).status_code == 200
    replay = ehr.request_token(once)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"
    assert ehr.request_token(ehr.assertion(exp=int(time.time()) - 10)).status_code == 401
    assert ehr.request_token(ehr.assertion(exp=int(time.time()) + 3600)).status_code == 401
    assert ehr.request_token(ehr.assertion(aud="https://elsewhere.example/token")).status_code == 401
    stranger = _key("ES384")
    forged = jwt.encode(
        {"alg": "ES384", "kid": "k-ES384"},
        {"iss": ehr.client.client_id, "sub": ehr.client.client_id, "aud": ehr.token_url,
         "exp": int(time.time()) + 60, "jti": "forged"},
        stranger,
        algorithms=["ES384"],
    )  # fmt: skip
    assert ehr.request_token(forged).status_code == 401
    failures = AccessEvent.objects.filter(action="login", outcome="failure", object_type="backend-client")
    assert failures.count() == 5


def test_revoking_a_client_ends_its_tokens(base: str, history: Any) -> None:
    ehr = Ehr(base, history)
    fhir = ehr.fhir(ehr.token())
    assert fhir.resources("Patient").fetch_all()
    revoke_backend_client(client=ehr.client, by=history.admin_a, now=timezone.now())
    with pytest.raises(AuthorizationError):
        fhir.resources("Patient").fetch_all()
    assert ehr.request_token().status_code == 401


def test_a_bulk_export_runs_to_ndjson_files_of_the_clinic(base: str, history: Any) -> None:
    ehr = Ehr(base, history)
    headers = {
        "Authorization": f"Bearer {ehr.token()}",
        "Accept": "application/fhir+json",
        "Prefer": "respond-async",
    }
    kickoff = requests.get(f"{base}/$export", headers=headers, timeout=30)
    assert kickoff.status_code == 202
    status_url = kickoff.headers["Content-Location"]
    for _ in range(20):
        status = requests.get(status_url, headers=headers, timeout=30)
        if status.status_code == 200:
            break
        assert status.status_code == 202 and "X-Progress" in status.headers
    manifest = status.json()
    assert manifest["requiresAccessToken"] is True
    by_type = {o["type"]: o for o in manifest["output"]}
    assert {
        "Patient", "Observation", "QuestionnaireResponse", "MedicationAdministration", "MedicationStatement",
        "CarePlan", "Consent", "Condition",
    } <= set(by_type)  # fmt: skip
    assert by_type["Condition"]["count"] == 2  # clinic A's: a1's two indications, none of clinic B's
    patient_ids = set()
    for output in manifest["output"]:
        body = requests.get(output["url"], headers=headers, timeout=30)
        assert body.status_code == 200 and body.headers["Content-Type"] == "application/fhir+ndjson"
        lines = body.text.splitlines()
        assert len(lines) == output["count"]
        for line in lines:
            resource = json.loads(line)
            _both_validators(resource)
            if resource["resourceType"] == "Patient":
                patient_ids.add(resource["id"])
    assert patient_ids == {str(history.a1.public_id), str(history.a2.public_id)}
    assert requests.get(by_type["Patient"]["url"], timeout=30).status_code == 401  # the token is required


def test_a_bulk_export_resumes_from_its_cursor(history: Any) -> None:
    from ketacare.interop.services import run_export_slice, start_bulk_export

    job = start_bulk_export(
        clinic=history.a1.clinic,
        resource_types=["Patient"],
        since=None,
        now=timezone.now(),
        by=history.admin_a,
    )
    job = run_export_slice(job, limit=1)
    assert job.status == "in_progress" and job.patients_done == 1
    job = run_export_slice(job, limit=1)
    job = run_export_slice(job, limit=1)
    assert job.status == "complete"
    (file,) = job.files.all()
    assert file.count == 2 and len(file.ndjson.splitlines()) == 2


def test_a_patient_signed_in_reads_only_their_own_records(history: Any, client_for: Any) -> None:
    client = client_for("a1")
    body = json.loads(client.get("/fhir/R4/Observation").content)
    subjects = {e["resource"]["subject"]["reference"] for e in body["entry"]}
    assert subjects == {f"Patient/{history.a1.public_id}"}
    assert client.get(f"/fhir/R4/Patient/{history.a2.public_id}").status_code == 404
    assert client.get(f"/fhir/R4/Observation?patient={history.b1.public_id}").status_code == 404
    everything = json.loads(client.get(f"/fhir/R4/Patient/{history.a1.public_id}/$everything").content)
    kinds = {e["resource"]["resourceType"] for e in everything["entry"]}
    assert {"Patient", "Observation", "QuestionnaireResponse", "Questionnaire", "AdverseEvent"} <= kinds
    assert {"MedicationStatement", "CarePlan", "Consent", "Condition"} <= kinds


def test_unknown_search_parameters_are_refused_when_strict_and_never_claimed_as_used(
    history: Any, client_for: Any
) -> None:
    client = client_for("clinician_a")
    response = client.get("/fhir/R4/Observation?name=x", HTTP_PREFER="handling=strict")
    assert response.status_code == 400
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"
    lenient = json.loads(client.get("/fhir/R4/Observation?name=x&_count=2").content)
    self_link = next(link["url"] for link in lenient["link"] if link["relation"] == "self")
    assert "name=" not in self_link and "_count=2" in self_link


def test_the_capability_statement_lists_what_is_served(client: Any) -> None:
    body = json.loads(client.get("/fhir/R4/metadata").content)
    strict_validate(body)
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(served) == {
        "Patient", "Observation", "QuestionnaireResponse", "Questionnaire", "MedicationAdministration",
        "Encounter", "AdverseEvent", "Appointment", "MedicationStatement", "CarePlan", "Consent", "Condition", "List",
    }  # fmt: skip
    condition_params = {p["name"] for p in served["Condition"]["searchParam"]}
    assert {"patient", "category", "clinical-status", "recorded-date"} <= condition_params
    for resource in served.values():
        assert {i["code"] for i in resource["interaction"]} == {"read", "search-type"}  # read-only


def test_medicines_plans_and_consents_are_read_and_searched_by_a_backend_client(
    base: str, history: Any
) -> None:
    ehr = Ehr(base, history)
    fhir = ehr.fhir(ehr.token())
    a1 = str(history.a1.public_id)
    statements = fhir.resources("MedicationStatement").search(patient=a1).fetch_all()
    assert {s["medicationCodeableConcept"]["text"] for s in statements} == {
        "Sertraline 50 mg daily",
        "Benzodiazepines",
    }
    (plan,) = fhir.resources("CarePlan").search(patient=a1).fetch_all()
    for activity in plan["activity"]:
        if "reference" in activity:  # every appointment of the plan is served and reads back
            appointment = fhir.reference(reference=activity["reference"]["reference"]).to_resource()
            assert appointment["resourceType"] == "Appointment"
    consents = fhir.resources("Consent").search(patient=a1).fetch_all()
    assert sorted(c["status"] for c in consents) == ["active", "inactive"]
    (withdrawn,) = fhir.resources("Consent").search(patient=a1, status="inactive").fetch_all()
    assert withdrawn["provision"]["period"]["end"]
    for resource in [*statements, plan, *consents]:
        _both_validators(resource.serialize())
        again = fhir.reference(resource["resourceType"], resource["id"]).to_resource()
        assert again["id"] == resource["id"]
    assert AccessEvent.objects.filter(
        user_email=f"client:{ehr.client.client_id}",
        object_type="fhir-Consent",
        patient_public_id=str(history.a1.public_id),
        role="backend_client",
    ).exists()
    client_rows = AccessEvent.objects.filter(user_email=f"client:{ehr.client.client_id}")
    assert client_rows.exists() and set(client_rows.values_list("role", flat=True)) == {"backend_client"}


def test_another_clinics_medicines_plans_and_consents_are_never_read(base: str, history: Any) -> None:
    ehr = Ehr(base, history)
    fhir = ehr.fhir(ehr.token())
    b1 = str(history.b1.public_id)
    b1_resources = [
        r
        for r in fhir_resources_of(history.b1)
        if r["resourceType"] in ("MedicationStatement", "CarePlan", "Consent")
    ]
    assert {r["resourceType"] for r in b1_resources} == {"MedicationStatement", "CarePlan", "Consent"}
    for resource in b1_resources:
        with pytest.raises(ResourceNotFound):
            fhir.reference(resource["resourceType"], resource["id"]).to_resource()
    for kind in ("MedicationStatement", "CarePlan", "Consent"):
        with pytest.raises(ResourceNotFound):
            fhir.resources(kind).search(patient=b1).fetch()
        subjects = {
            (r.get("subject") or r.get("patient"))["reference"] for r in fhir.resources(kind).fetch_all()
        }
        assert subjects == {f"Patient/{history.a1.public_id}"}
    scoped = Ehr(base, history, scopes="system/Observation.rs")
    with pytest.raises(ForbiddenError):
        scoped.fhir(scoped.token()).resources("Consent").fetch_all()


def test_a_patient_reads_only_their_own_plan_and_consents(history: Any, client_for: Any) -> None:
    make_care_records(history.a2, history.clinician_a)
    client = client_for("a1")
    for kind in ("MedicationStatement", "CarePlan", "Consent"):
        body = json.loads(client.get(f"/fhir/R4/{kind}").content)
        owners = {
            (e["resource"].get("subject") or e["resource"].get("patient"))["reference"] for e in body["entry"]
        }
        assert owners == {f"Patient/{history.a1.public_id}"}
    for other in (history.a2, history.b1):
        for resource in fhir_resources_of(other):
            if resource["resourceType"] in ("MedicationStatement", "CarePlan", "Consent"):
                answer = client.get(f"/fhir/R4/{resource['resourceType']}/{resource['id']}")
                assert answer.status_code == 404


def test_the_indications_are_conditions_a_backend_client_reads_and_searches(base: str, history: Any) -> None:
    from fhir.resources.R4B.condition import Condition

    ehr = Ehr(base, history)
    fhir = ehr.fhir(ehr.token())
    a1, b1 = str(history.a1.public_id), str(history.b1.public_id)
    conditions = fhir.resources("Condition").search(patient=a1).fetch_all()
    by_text = {c["code"]["text"]: c.serialize() for c in conditions}
    assert set(by_text) == {"Treatment-resistant depression", "PTSD"}
    for resource in by_text.values():
        _both_validators(resource)
        parsed: Any = Condition.model_validate(resource)
        assert parsed.subject.reference == f"Patient/{a1}"
        assert [(c.system, c.code) for c in parsed.clinicalStatus.coding] == [
            ("http://terminology.hl7.org/CodeSystem/condition-clinical", "active")
        ]
        assert [(c.system, c.code) for c in parsed.verificationStatus.coding] == [
            ("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed")
        ]
        assert [(c.system, c.code) for cat in parsed.category for c in cat.coding] == [
            ("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")
        ]
        # No verified SNOMED CT code: the name as text, no coding made up for it.
        assert parsed.code.coding is None
        assert dt.datetime.fromisoformat(resource["recordedDate"]) == INTAKE_AT
        assert resource["meta"]["profile"] == [
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-problems-health-concerns"
        ]
        again = fhir.reference("Condition", resource["id"]).to_resource()
        assert again.serialize() == resource

    def count(**params: str) -> int:
        return len(fhir.resources("Condition").search(patient=a1, **params).fetch_all())

    day = INTAKE_AT.date().isoformat()
    assert count(category="problem-list-item") == 2
    assert count(**{"clinical-status": "active"}) == 2 and count(**{"clinical-status": "resolved"}) == 0
    assert count(**{"recorded-date": day}) == 2 and count(**{"recorded-date": f"gt{day}"}) == 0
    # Clinic B's patient is out of reach, by search and by id.
    with pytest.raises(ResourceNotFound):
        fhir.resources("Condition").search(patient=b1).fetch()
    (b1_condition,) = [r for r in fhir_resources_of(history.b1) if r["resourceType"] == "Condition"]
    assert b1_condition["code"]["text"] == "Chronic pain"
    with pytest.raises(ResourceNotFound):
        fhir.reference("Condition", b1_condition["id"]).to_resource()
    scoped = Ehr(base, history, scopes="system/Observation.rs")
    with pytest.raises(ForbiddenError):
        scoped.fhir(scoped.token()).resources("Condition").fetch_all()


def test_the_patients_own_download_carries_their_indications_as_conditions(
    history: Any, client_for: Any
) -> None:
    from fhir.resources.R4B.bundle import Bundle

    # A revised intake names the other indication in the clinic's words; the Condition keeps its id.
    before = {
        r["code"]["text"]: r["id"] for r in fhir_resources_of(history.a1) if r["resourceType"] == "Condition"
    }
    record_indications(history.a1, history.clinician_a, ["ptsd", "other"], other="Alcohol use disorder")
    client = client_for("a1")
    response = client.get("/me/records/fhir.json")
    assert response.status_code == 200
    bundle = json.loads(response.content)
    parsed: Any = Bundle.model_validate(bundle)
    conditions = [e.resource for e in parsed.entry if e.resource.get_resource_type() == "Condition"]
    assert {c.code.text for c in conditions} == {"PTSD", "Alcohol use disorder"}
    patient_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    for condition in conditions:
        assert condition.subject.reference == patient_url
        assert condition.clinicalStatus.coding[0].code == "active"
    ptsd = next(e for e in bundle["entry"] if e["resource"].get("code", {}).get("text") == "PTSD")
    assert ptsd["resource"]["id"] == before["PTSD"]
    assert ptsd["request"] == {
        "method": "POST",
        "url": "Condition",
        "ifNoneExist": f"identifier=urn:ietf:rfc:3986|urn:uuid:{before['PTSD']}",
    }
    everything = json.loads(client.get(f"/fhir/R4/Patient/{history.a1.public_id}/$everything").content)
    texts = {
        e["resource"]["code"]["text"]
        for e in everything["entry"]
        if e["resource"]["resourceType"] == "Condition"
    }
    assert texts == {"PTSD", "Alcohol use disorder"}
