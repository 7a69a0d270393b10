"""A patient's records as FHIR R4 resources: one builder for the download, the FHIR API and bulk export.

Every resource carries a stable ``id`` (the record's ``public_id``, or a UUIDv5 derived from it for
resources one record yields several of), an ``identifier`` in the RFC 3986 system holding that id as a
``urn:uuid`` (what ``ifNoneExist`` matches on re-import), ``meta.lastUpdated`` and ``meta.profile``: the
US Core profile where US Core defines one, else the base R4 resource's definition. References are
relative (``Patient/<id>``); the transaction Bundle rewrites them to its ``urn:uuid`` full URLs. The
visits (Encounter, MedicationAdministration, Appointment) are built in ``fhir_visits``.

Codes and where they come from (docs/fhir.md, docs/clinical-sources.md): LOINC vital signs of the R4
vital-signs profile and US Core Pulse Oximetry [USCore-PulseOx]; PHQ-9/GAD-7 totals and items
[USCore-PHQ9] [USCore-PHQ9-item9], for the patient's answers and the baselines the clinic entered at
intake alike (a baseline carries one more category, ``intake-baseline``, and names who entered it);
RxNorm for esketamine [RxNorm-Esketamine] (ketamine's 6130: unverified); SNOMED CT routes
[FHIR-RouteCodes].
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from ketacare.checkins.models import SymptomReport
from ketacare.checkins.selectors import patient_checkins, patient_symptoms
from ketacare.core.instruments import (
    Instrument,
    answer_coding,
    fhir_id,
    get_instrument,
    instruments,
    to_fhir_questionnaire,
)
from ketacare.intake.models import BaselineScore, EntryStatus, Intake, VersionStatus
from ketacare.interop.fhir_care import (
    care_plan_resources,
    condition_resources,
    consent_resources,
    medication_list_resources,
    medication_statements,
)
from ketacare.interop.fhir_common import (
    ADVERSE_EVENT_CATEGORY,
    ADVERSE_EVENT_OUTCOME,
    ADVERSE_EVENT_SEVERITY,
    KETACARE_OBSERVATION,
    KETACARE_OBSERVATION_CATEGORY,
    LOINC,
    LOINC_BP_PANEL,
    LOINC_DIASTOLIC,
    LOINC_DISPLAY,
    LOINC_HEART_RATE,
    LOINC_SPO2,
    LOINC_SPO2_PULSE_OX,
    LOINC_SYSTOLIC,
    OUTCOME_DISPLAY,
    PROFILES,
    SEVERITY_DISPLAY,
    SYSTEM,
    UCUM,
    URI_SYSTEM,
    category_of,
    coding,
    derived_id,
    drop_none,
    iso,
    loinc,
    make_resource,
    quantity,
)
from ketacare.interop.fhir_visits import appointment_resources, session_resources
from ketacare.interop.symptom_words import clock_words, symptom_end
from ketacare.messaging.models import Message
from ketacare.messaging.selectors import thread
from ketacare.patients.facts import Dose
from ketacare.patients.models import Patient
from ketacare.questionnaires.selectors import patient_responses
from ketacare.treatments.instructions import zone_words
from ketacare.treatments.models import AdverseEvent, VitalSign
from ketacare.treatments.selectors import patient_doses


def questionnaire_canonical(instrument_id: str) -> str:
    return f"{SYSTEM}/Questionnaire/{fhir_id(instrument_id)}"


def recorded_sex(patient: Patient) -> str:
    """Administrative gender: the current intake's recorded sex, else what registration recorded."""
    intake_sex = (
        Intake.objects.filter(patient=patient, status=VersionStatus.CURRENT)
        .order_by("-recorded_at", "-id")
        .values_list("sex", flat=True)
        .first()
    )
    return intake_sex or patient.sex


def patient_resource(patient: Patient) -> dict[str, Any]:
    """US Core Patient: the legal name split at its last space (family) where it has one."""
    rid = str(patient.public_id)
    words = patient.full_name.split()
    name: dict[str, Any] = {"use": "official", "text": patient.full_name}
    if len(words) > 1:
        name |= {"family": words[-1], "given": words[:-1]}
    elif words:
        name["family"] = words[0]
    identifiers: list[dict[str, Any]] = [
        {"system": URI_SYSTEM, "value": f"urn:uuid:{rid}"},
        {"system": f"{SYSTEM}/patient", "value": rid},
    ]
    if patient.medical_record_number:
        identifiers.append(
            {
                "type": {
                    "coding": [
                        coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number")
                    ]
                },
                "system": f"{SYSTEM}/clinic/{patient.clinic.public_id}/mrn",
                "value": patient.medical_record_number,
            }
        )
    resource = make_resource(
        "Patient",
        rid,
        "Patient",
        patient.created_at,
        name=[name],
        gender=recorded_sex(patient),
        birthDate=patient.date_of_birth.isoformat(),
        managingOrganization={"display": patient.clinic.name},
    )
    resource["identifier"] = identifiers
    return resource


def _vital_resources(patient: Patient, patient_ref: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    vitals = VitalSign.objects.filter(patient=patient, entered_in_error=False).select_related("session")
    for vital in vitals.order_by("measured_at", "id"):
        common = {
            "status": "final",
            "category": category_of("vital-signs"),
            "subject": {"reference": patient_ref},
            "encounter": {"reference": f"Encounter/{vital.session.public_id}"},
            "effectiveDateTime": iso(vital.measured_at),
        }
        out.append(
            make_resource(
                "Observation",
                str(vital.public_id),
                "bp",
                vital.created_at,
                **common,
                code=loinc(LOINC_BP_PANEL),
                component=[
                    {
                        "code": loinc(LOINC_SYSTOLIC),
                        "valueQuantity": quantity(vital.systolic_mmhg, "mmHg", "mm[Hg]"),
                    },
                    {
                        "code": loinc(LOINC_DIASTOLIC),
                        "valueQuantity": quantity(vital.diastolic_mmhg, "mmHg", "mm[Hg]"),
                    },
                ],
            )
        )
        if vital.heart_rate_bpm is not None:
            out.append(
                make_resource(
                    "Observation",
                    derived_id(str(vital.public_id), "hr"),
                    "hr",
                    vital.created_at,
                    **common,
                    code=loinc(LOINC_HEART_RATE),
                    valueQuantity=quantity(vital.heart_rate_bpm, "beats/minute", "/min"),
                )
            )
        if vital.spo2_pct is not None:
            out.append(
                make_resource(
                    "Observation",
                    derived_id(str(vital.public_id), "spo2"),
                    "spo2",
                    vital.created_at,
                    **common,
                    code=loinc(LOINC_SPO2, LOINC_SPO2_PULSE_OX),
                    valueQuantity=quantity(vital.spo2_pct, "%", "%"),
                )
            )
    return out


# The categories of KetaCare's adverse-event-category code system, by where the event was recorded.
_CATEGORIES: dict[str, tuple[str, str]] = {
    "in_session": ("in-session-adverse-event", "Adverse event recorded in session"),
    SymptomReport.Kind.SIDE_EFFECT: ("patient-reported-side-effect", "Side effect reported by the patient"),
    # The check-in asks a red flag no severity (the stored one is the form's default), so the category
    # says what it is and the resource carries no severity.
    SymptomReport.Kind.RED_FLAG: (
        "patient-reported-red-flag",
        "Red flag reported by the patient (a warning sign; no severity is asked)",
    ),
}


def _adverse_event(
    rid: str,
    patient_ref: str,
    *,
    text: str,
    severity: str | None,
    occurred: str | None,
    recorded: dt.datetime | None,
    updated: dt.datetime | None,
    encounter_id: str | None,
    suspect_session_id: str | None,
    kind: str,
    detected: dt.datetime | None = None,
    outcome: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """R4's three times kept apart: ``date`` when it happened (left out when that is not known),
    ``detected`` when it came to light, ``recordedDate`` when it was first recorded."""
    category_code, category_text = _CATEGORIES[kind]
    return make_resource(
        "AdverseEvent",
        rid,
        "AdverseEvent",
        updated,
        actuality="actual",
        category=[
            {"coding": [coding(ADVERSE_EVENT_CATEGORY, category_code, category_text)], "text": category_text}
        ],
        event={"text": text},
        subject={"reference": patient_ref},
        encounter={"reference": f"Encounter/{encounter_id}"} if encounter_id else None,
        date=occurred,
        detected=iso(detected),
        recordedDate=iso(recorded),
        severity=(
            {"coding": [coding(ADVERSE_EVENT_SEVERITY, severity, SEVERITY_DISPLAY.get(severity))]}
            if severity
            else None
        ),
        outcome=outcome,
        suspectEntity=(
            [
                {
                    "instance": {
                        "reference": f"MedicationAdministration/{derived_id(suspect_session_id, 'medadmin')}"
                    }
                }
            ]
            if suspect_session_id
            else None
        ),
    )


def _survey_resources(patient: Patient, patient_ref: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for response in patient_responses(patient=patient):
        instrument = get_instrument(response.instrument_id)
        rid = str(response.public_id)
        items = []
        for item_id, value in response.answers.items():
            answer_code = answer_coding(response.instrument_id, item_id, int(value))
            item = instrument.items_by_id.get(item_id)
            answer = {"valueCoding": answer_code} if answer_code is not None else {"valueInteger": int(value)}
            items.append({"linkId": item_id, "text": item.text if item else None, "answer": [answer]})
        out.append(
            make_resource(
                "QuestionnaireResponse",
                rid,
                "QuestionnaireResponse",
                response.submitted_at,
                questionnaire=f"{questionnaire_canonical(response.instrument_id)}|{response.instrument_version}",
                status="completed",
                subject={"reference": patient_ref},
                authored=iso(response.submitted_at),
                item=items,
            )
        )
        survey = {
            "status": "final",
            "category": category_of("survey"),
            "subject": {"reference": patient_ref},
            "effectiveDateTime": iso(response.submitted_at),
            "derivedFrom": [{"reference": f"QuestionnaireResponse/{rid}"}],
        }
        members = []
        for item_id, value in response.answers.items():
            item = instrument.items_by_id.get(item_id)
            answer_code = answer_coding(response.instrument_id, item_id, int(value))
            if item is None or item.loinc is None or answer_code is None:
                continue
            member_id = derived_id(rid, item_id)
            members.append({"reference": f"Observation/{member_id}"})
            out.append(
                make_resource(
                    "Observation",
                    member_id,
                    "survey",
                    response.submitted_at,
                    **survey,
                    code={
                        "coding": [coding(LOINC, item.loinc, LOINC_DISPLAY.get(item.loinc))],
                        "text": item.text,
                    },
                    valueCodeableConcept={"coding": [answer_code], "text": answer_code.get("display")},
                )
            )
        out.append(
            make_resource(
                "Observation",
                derived_id(rid, "total"),
                "survey",
                response.submitted_at,
                **survey,
                **_total_score(instrument, response.total, response.band),
                hasMember=members or None,
            )
        )
    return out


def _total_score(instrument: Instrument, total: float, band: str) -> dict[str, Any]:
    """The code, value and band of an instrument's total-score Observation."""
    title = f"{instrument.title} total score"
    return {
        "code": {
            "coding": (
                [coding(LOINC, instrument.loinc_total, LOINC_DISPLAY.get(instrument.loinc_total))]
                if instrument.loinc_total
                else None
            ),
            "text": title,
        },
        "valueQuantity": {"value": total, "unit": "{score}", "system": UCUM, "code": "{score}"},
        "interpretation": [{"text": band}] if band else None,
    }


BASELINE_NOTE = "Baseline score entered by the clinic at intake."
BASELINE_CATEGORY = coding(KETACARE_OBSERVATION_CATEGORY, "intake-baseline", "Baseline entered at intake")


def _baseline_resources(patient: Patient, patient_ref: str) -> list[dict[str, Any]]:
    """Each valid intake baseline as its instrument's total-score Observation, marked as the clinic's entry.

    Only the total: staff entered the answers, so there is no QuestionnaireResponse the patient authored
    for it to derive from. Baselines marked entered in error are left out, as the Progress page leaves them.
    """
    out: list[dict[str, Any]] = []
    rows = BaselineScore.objects.filter(patient=patient, status=EntryStatus.VALID)
    for row in rows.order_by("completed_at", "id"):
        out.append(
            make_resource(
                "Observation",
                str(row.public_id),
                "survey",
                row.created_at,
                status="final",
                category=category_of("survey") + [{"coding": [BASELINE_CATEGORY]}],
                subject={"reference": patient_ref},
                effectiveDateTime=iso(row.completed_at),
                # Named, not referenced: KetaCare serves no Organization, and every reference resolves.
                performer=[{"display": f"{patient.clinic.name} (clinic staff, at intake)"}],
                note=[{"text": BASELINE_NOTE}],
                **_total_score(get_instrument(row.instrument_id), float(row.total), row.band),
            )
        )
    return out


def _symptom_outcome(report: SymptomReport, zone: ZoneInfo, place: str) -> dict[str, Any]:
    """R4's outcome code for what is known of the end, and that end in words on the patient's clock
    (the zone their clinic set for them, named), as the downloads word it (``symptom_end``)."""
    code = "ongoing" if report.resolved_at is None else "resolved"
    words = symptom_end(report, lambda moment: clock_words(moment.astimezone(zone)))
    return {
        "coding": [coding(ADVERSE_EVENT_OUTCOME, code, OUTCOME_DISPLAY[code])],
        "text": f"{words[:1].upper()}{words[1:]}. Times are {place} time.",
    }


def _symptom_onset(report: SymptomReport) -> str | None:
    """When the symptom began as the patient gave it (checkins/onset.py), for ``AdverseEvent.date``: the day
    they named as a date with no time (the day on their clock is all they said), or the moment "about N
    after" the session the check-in counted from. None when they gave none (a red flag is asked none; "not
    sure"): the check-in's time is when they told the clinic, never when it began."""
    if report.onset_day is not None:
        return report.onset_day.isoformat()
    if report.onset_min is not None and report.dose_started_at is not None:
        return iso(report.dose_started_at + dt.timedelta(minutes=report.onset_min))
    return None


def _session_before(doses: list[Dose], when: dt.datetime | None) -> str | None:
    """The session of the last dose started before ``when``: the suspect of a later side effect."""
    if when is None:
        return None
    earlier = [d for d in doses if d.started_at <= when]
    return earlier[-1].session_public_id if earlier else None


def message_resources(patient: Patient) -> list[dict[str, Any]]:
    """The patient's message thread with their care team, one R4 Communication per message.

    Only the patient's own thread (``messaging.selectors.thread``). The care team is named, not
    referenced: KetaCare serves no Practitioner or Organization, and every reference resolves.
    """
    patient_ref = f"Patient/{patient.public_id}"
    care_team = {"display": f"Care team at {patient.clinic.name}"}
    out: list[dict[str, Any]] = []
    for message in thread(patient):
        from_patient = message.author_kind == Message.Author.PATIENT
        out.append(
            make_resource(
                "Communication",
                str(message.public_id),
                "Communication",
                message.created_at,
                status="completed",
                category=[{"text": "Message between the patient and their care team"}],
                subject={"reference": patient_ref},
                sent=iso(message.sent_at),
                sender={"reference": patient_ref} if from_patient else care_team,
                recipient=[care_team if from_patient else {"reference": patient_ref}],
                payload=[{"contentString": message.body}],
            )
        )
    return [drop_none(r) for r in out]


def patient_resources(patient: Patient, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every FHIR resource about the patient, JSON-ready, with relative references."""
    now = now or timezone.now()
    patient_ref = f"Patient/{patient.public_id}"
    resources: list[dict[str, Any]] = [patient_resource(patient), *condition_resources(patient, patient_ref)]
    doses = patient_doses(patient, now=now)
    resources += session_resources(patient, patient_ref, doses=doses, now=now)
    resources += _vital_resources(patient, patient_ref)
    events = AdverseEvent.objects.filter(patient=patient, entered_in_error=False).select_related("session")
    for event in events.order_by("occurred_at", "id"):
        session_id = str(event.session.public_id)
        dosed = any(d.session_public_id == session_id for d in doses)
        resources.append(
            _adverse_event(
                str(event.public_id),
                patient_ref,
                text=event.description,
                severity=event.severity,
                occurred=iso(event.occurred_at),
                recorded=event.created_at,
                updated=event.created_at,
                encounter_id=session_id if dosed else None,
                suspect_session_id=session_id if dosed else None,
                kind="in_session",
            )
        )
    resources += _baseline_resources(patient, patient_ref)
    resources += _survey_resources(patient, patient_ref)
    for checkin in patient_checkins(patient=patient).order_by("submitted_at", "id"):
        if checkin.mood_0_10 is None:
            continue
        resources.append(
            make_resource(
                "Observation",
                derived_id(str(checkin.public_id), "mood"),
                "survey",
                checkin.submitted_at,
                status="final",
                category=category_of("survey"),
                # No verified LOINC code for a 0-10 self-rated mood: KetaCare's own code.
                code={
                    "coding": [
                        coding(KETACARE_OBSERVATION, "self-rated-mood-0-10", "Self-rated mood (0-10)")
                    ],
                    "text": "Self-rated mood (0 = very low, 10 = very good)",
                },
                subject={"reference": patient_ref},
                effectiveDateTime=iso(checkin.submitted_at),
                valueInteger=checkin.mood_0_10,
            )
        )
    zone = ZoneInfo(patient.time_zone)
    place, _whose = zone_words(patient.time_zone, patient.clinic.time_zone)
    for report in patient_symptoms(patient=patient).order_by("started_at", "id"):
        red_flag = report.kind == SymptomReport.Kind.RED_FLAG
        resources.append(
            _adverse_event(
                str(report.public_id),
                patient_ref,
                text=report.name,
                severity=None if red_flag else report.severity,
                occurred=_symptom_onset(report),
                # The check-in that first reported it: when the clinic learnt of it, not when it began.
                detected=report.started_at,
                recorded=report.started_at,
                updated=report.started_at,
                encounter_id=None,
                suspect_session_id=_session_before(doses, report.started_at),
                kind=report.kind,
                # What is known of the end, not a resolution time it does not have.
                outcome=_symptom_outcome(report, zone, place),
            )
        )
    resources += medication_statements(patient, patient_ref)
    resources += medication_list_resources(patient, patient_ref)
    resources += care_plan_resources(patient, patient_ref)
    resources += consent_resources(patient, patient_ref)
    resources += appointment_resources(patient, patient_ref)
    return [drop_none(r) for r in resources]


def questionnaire_resources(instrument_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The product's Questionnaires as served, with ``meta.profile`` and a stable identifier."""
    ids = list(instrument_ids) if instrument_ids is not None else [i.id for i in instruments()]
    out = []
    for instrument_id in ids:
        resource = to_fhir_questionnaire(instrument_id)
        resource["meta"] = {"profile": [PROFILES["Questionnaire"]]}
        resource["identifier"] = [{"system": URI_SYSTEM, "value": f"urn:uuid:{questionnaire_uuid(resource)}"}]
        out.append(resource)
    return out


def questionnaire_uuid(questionnaire: dict[str, Any]) -> str:
    """A stable UUID for one version of a Questionnaire (from its canonical URL and version)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{questionnaire['url']}|{questionnaire['version']}"))


def transaction_bundle(
    resources: list[dict[str, Any]], *, now: dt.datetime, bundle_id: str | None = None
) -> dict[str, Any]:
    """A ``transaction`` Bundle: each entry a conditional create (``ifNoneExist`` on its identifier).

    A server that receives it twice creates nothing the second time. Questionnaires are matched on
    their canonical ``url`` and ``version``. References between entries become their ``urn:uuid``.
    """
    full_urls: dict[str, str] = {}
    for resource in resources:
        kind, rid = resource["resourceType"], resource["id"]
        if kind == "Questionnaire":
            full_urls[f"{kind}/{rid}"] = f"urn:uuid:{questionnaire_uuid(resource)}"
        else:
            full_urls[f"{kind}/{rid}"] = f"urn:uuid:{rid}"
    entries = []
    for resource in resources:
        kind, rid = resource["resourceType"], resource["id"]
        if kind == "Questionnaire":
            condition = f"url={resource['url']}&version={resource['version']}"
        else:
            condition = f"identifier={URI_SYSTEM}|urn:uuid:{rid}"
        entries.append(
            {
                "fullUrl": full_urls[f"{kind}/{rid}"],
                "resource": _rewrite_references(resource, full_urls),
                "request": {"method": "POST", "url": kind, "ifNoneExist": condition},
            }
        )
    bundle_id = bundle_id or str(uuid.uuid4())
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "identifier": {"system": URI_SYSTEM, "value": f"urn:uuid:{bundle_id}"},
        "type": "transaction",
        "timestamp": now.isoformat(),
        "entry": entries,
    }


def _rewrite_references(value: Any, full_urls: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            k: (
                full_urls.get(v, v)
                if k == "reference" and isinstance(v, str)
                else _rewrite_references(v, full_urls)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rewrite_references(v, full_urls) for v in value]
    return value
