"""The patient's conditions, medicines, treatment plans and consents as FHIR R4 resources
(docs/decisions/0019).

- **Condition** (US Core Condition Problems and Health Concerns): each indication of the current intake,
  the condition the patient is treated for, as a ``problem-list-item`` (managed over the course, not
  one visit's diagnosis), ``active`` and ``confirmed``, ``recordedDate`` the intake's recorded time.
  ``code`` is the indication's name as text with no coding: no SNOMED CT or ICD-10-CM code for them has
  been verified against a source (docs/fhir.md), and a guessed code would read as a diagnosis coded.
  The id is derived from the patient and the indication, so a revised intake updates the same Condition.
- **MedicationStatement** (base R4; US Core has no MedicationStatement profile): one per medicine on the
  current intake medication list, ``active``, as the free text the clinic wrote (no code: KetaCare does
  not map free text to RxNorm); a class the clinician ticked is one more statement naming the class. A
  list marked entered in error keeps its statements with status ``entered-in-error``; superseded lists
  are history kept in KetaCare and not exported as current use.
- **List** (base R4; US Core has none): the same medication list as one snapshot, LOINC 10160-0 "History of
  Medication use Narrative" (the code HL7 IPS gives its medication summary), its entries the statements.
  A patient who takes no medicines gets it empty with ``emptyReason`` ``nilknown``, so a receiver can tell
  "takes none" from "not asked": a patient never asked (no list, or one saved blank before intake asked
  for the tick) gets no List at all. The id is the medication list's own, as the statements derive theirs.
- **CarePlan** (US Core CarePlan): the treatment plan, ``active``; once ended, ``completed`` when the
  course was completed and ``revoked`` when it was discontinued (R4: terminated before completion), the
  period ending when the plan ended; category ``assess-plan``, a generated narrative, one activity per
  appointment (a reference to the Appointment) and one activity detail naming the medicine (RxNorm), its
  route and the planned dose (``stopped`` on a discontinued plan). A plan ended before KetaCare kept how
  it ended reads ``completed``, as it always did.
- **Consent** (base R4; US Core has none): each signed treatment consent, scope ``treatment``, LOINC
  59284-0; ``active`` while it covers its routes, ``inactive`` once withdrawn (the provision's period
  ends at the withdrawal), ``entered-in-error`` when marked so. R4's ``rejected`` is not used: KetaCare
  records signed consents only, not refusals to sign. A representative who signed is named with their
  capacity.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from ketacare.core import display
from ketacare.core import knowledge as core_knowledge
from ketacare.intake.models import Consent, EntryStatus, Indication, Intake, MedicationList, VersionStatus
from ketacare.interop.fhir_common import (
    LOINC,
    MEDICATION,
    ROUTE,
    RXNORM,
    SNOMED,
    coding,
    derived_id,
    iso,
    make_resource,
    quantity,
)
from ketacare.patients.models import Patient
from ketacare.treatments.models import Appointment, TreatmentPlan

CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_NOTE = "The condition the patient is referred to the clinic for, recorded at intake."
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
XHTML = "http://www.w3.org/1999/xhtml"
# The medication list's code: the LOINC code and display HL7 IPS gives its "Medication Summary" section
# (the HL7/fhir-ips sources; not checked against loinc.org). Why a list is empty: the list-empty-reason code
# system, whose "nilknown" ("Nil Known") R4's empty List example uses for a patient on no medicines.
LOINC_MEDICATION_HISTORY = ("10160-0", "History of Medication use Narrative")
LIST_EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
MEDICATION_LIST_TITLE = "Current medicines recorded at intake"
NO_MEDICINES_TEXT = "Takes no medicines: the patient said at intake that they take none."
# CarePlan.status and CarePlan.activity.detail.status (R4) by the plan's status and how it ended.
PLAN_STATUS: dict[tuple[str, str], str] = {
    (TreatmentPlan.Status.ACTIVE, ""): "active",
    (TreatmentPlan.Status.ENDED, TreatmentPlan.Ending.COMPLETED): "completed",
    (TreatmentPlan.Status.ENDED, TreatmentPlan.Ending.DISCONTINUED): "revoked",
    (TreatmentPlan.Status.ENDED, ""): "completed",
}
PLAN_ACTIVITY_STATUS: dict[tuple[str, str], str] = {
    (TreatmentPlan.Status.ACTIVE, ""): "in-progress",
    (TreatmentPlan.Status.ENDED, TreatmentPlan.Ending.COMPLETED): "completed",
    (TreatmentPlan.Status.ENDED, TreatmentPlan.Ending.DISCONTINUED): "stopped",
    (TreatmentPlan.Status.ENDED, ""): "completed",
}


def condition_resources(patient: Patient, patient_ref: str) -> list[dict[str, Any]]:
    """The indications of the current intake, one Condition each (none without an intake)."""
    intake = (
        Intake.objects.filter(patient=patient, status=VersionStatus.CURRENT)
        .order_by("-recorded_at", "-id")
        .first()
    )
    if intake is None:
        return []
    out: list[dict[str, Any]] = []
    for indication in intake.indications:
        # "Other" is what the clinic wrote for it; every other indication reads as intake labels it.
        other = indication == Indication.OTHER and intake.indication_other
        out.append(
            make_resource(
                "Condition",
                derived_id(str(patient.public_id), f"condition-{indication}"),
                "Condition",
                intake.created_at,
                clinicalStatus={"coding": [coding(CONDITION_CLINICAL, "active", "Active")]},
                verificationStatus={"coding": [coding(CONDITION_VERIFICATION, "confirmed", "Confirmed")]},
                category=[{"coding": [coding(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")]}],
                code={"text": intake.indication_other if other else display.condition_name(indication)},
                subject={"reference": patient_ref},
                recordedDate=iso(intake.recorded_at),
                note=[{"text": CONDITION_NOTE}],
            )
        )
    return out


def _exported_medication_lists(patient: Patient) -> list[MedicationList]:
    """The current medication list and those marked entered in error (superseded ones stay history)."""
    return list(
        MedicationList.objects.filter(
            patient=patient, status__in=[VersionStatus.CURRENT, VersionStatus.ENTERED_IN_ERROR]
        ).order_by("recorded_at", "id")
    )


def _statement_lines(medication_list: MedicationList) -> list[tuple[str, str, str | None]]:
    """Each statement of a list: (id suffix, medicine as written, note), the written lines then the classes."""
    lines: list[tuple[str, str, str | None]] = [
        (f"med-{n}", text, None) for n, text in enumerate(medication_list.medications)
    ]
    lines += [
        (
            f"class-{class_id}",
            core_knowledge.get_interaction(class_id).name,
            "A class of medicine ticked at intake, not a named product.",
        )
        for class_id in medication_list.drug_classes
    ]
    return lines


def medication_statements(patient: Patient, patient_ref: str) -> list[dict[str, Any]]:
    """The current medication list (``active``) and lists marked entered in error, one statement a line."""
    out: list[dict[str, Any]] = []
    for medication_list in _exported_medication_lists(patient):
        status = "active" if medication_list.status == VersionStatus.CURRENT else "entered-in-error"
        base = str(medication_list.public_id)
        for suffix, text, note in _statement_lines(medication_list):
            out.append(
                make_resource(
                    "MedicationStatement",
                    derived_id(base, suffix),
                    "MedicationStatement",
                    medication_list.created_at,
                    status=status,
                    medicationCodeableConcept={"text": text},
                    subject={"reference": patient_ref},
                    dateAsserted=iso(medication_list.recorded_at),
                    note=[{"text": note}] if note else None,
                )
            )
    return out


def medication_list_resources(patient: Patient, patient_ref: str) -> list[dict[str, Any]]:
    """Each exported medication list as a List snapshot: its statements, or empty because the patient
    takes none (``nilknown``). A list that names no medicine and does not say "none" answered nothing,
    and a List with no entries and no reason would read as "none" to some receivers: it is left out."""
    out: list[dict[str, Any]] = []
    for medication_list in _exported_medication_lists(patient):
        lines = _statement_lines(medication_list)
        if not lines and not medication_list.no_medicines:
            continue
        base = str(medication_list.public_id)
        out.append(
            make_resource(
                "List",
                base,
                "List",
                # Marking it entered in error changes it: a client that syncs by _lastUpdated sees that.
                medication_list.error_marked_at or medication_list.created_at,
                text=_narrative(
                    MEDICATION_LIST_TITLE, *[text for _, text, _ in lines] or [NO_MEDICINES_TEXT]
                ),
                status="current" if medication_list.status == VersionStatus.CURRENT else "entered-in-error",
                mode="snapshot",
                title=MEDICATION_LIST_TITLE,
                code={"coding": [coding(LOINC, *LOINC_MEDICATION_HISTORY)], "text": "Current medicines"},
                subject={"reference": patient_ref},
                date=iso(medication_list.recorded_at),
                entry=[
                    {"item": {"reference": f"MedicationStatement/{derived_id(base, suffix)}"}}
                    for suffix, _, _ in lines
                ]
                or None,
                emptyReason=(
                    None
                    if lines
                    else {
                        "coding": [coding(LIST_EMPTY_REASON, "nilknown", "Nil Known")],
                        "text": NO_MEDICINES_TEXT,
                    }
                ),
            )
        )
    return out


def _narrative(*lines: str) -> dict[str, str]:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{paragraphs}</div>'}


def care_plan_resources(patient: Patient, patient_ref: str) -> list[dict[str, Any]]:
    """Each treatment plan as a US Core CarePlan whose activities are its appointments and its medicine."""
    out: list[dict[str, Any]] = []
    plans = TreatmentPlan.objects.filter(patient=patient).order_by("created_at", "id")
    appointments: dict[int, list[Appointment]] = {}
    for appointment in Appointment.objects.filter(patient=patient).order_by("starts_at", "number"):
        appointments.setdefault(appointment.plan_id, []).append(appointment)
    for plan in plans:
        title = f"{display.protocol_name(plan.protocol_id)}: {display.preset_name(plan.protocol_id, plan.preset_id)}"
        route = display.route_name(plan.route)
        drug_code, drug_name = MEDICATION.get(plan.route, ("", "ketamine"))
        route_code, route_text = ROUTE.get(plan.route, ("", plan.route))
        own = appointments.get(plan.pk, [])
        first = own[0].starts_at if own else plan.created_at
        dose = f"Planned dose {plan.dose_mg:g} mg" if plan.dose_mg is not None else ""
        how = (plan.status, plan.ended_as)
        period = {"start": iso(first)}
        if plan.ended_at is not None:
            # A plan ended before its first appointment ran from when it was made (end never before start).
            start = first if first <= plan.ended_at else min(plan.created_at, plan.ended_at)
            period = {"start": iso(start), "end": iso(plan.ended_at)}
        medicine = {
            "detail": {
                "kind": "MedicationRequest",
                "status": PLAN_ACTIVITY_STATUS.get(how, "unknown"),
                "productCodeableConcept": {
                    "coding": [coding(RXNORM, drug_code, drug_name)] if drug_code else None,
                    "text": drug_name,
                },
                "code": {
                    "coding": [coding(SNOMED, route_code, route_text)] if route_code else None,
                    "text": route,
                },
                "quantity": quantity(float(plan.dose_mg), "mg", "mg") if plan.dose_mg is not None else None,
                "description": plan.dose_rule or None,
            }
        }
        out.append(
            make_resource(
                "CarePlan",
                str(plan.public_id),
                "CarePlan",
                # Ending a plan changes it: a client that syncs by _lastUpdated sees the new status.
                plan.ended_at or plan.created_at,
                text=_narrative(
                    title,
                    f"Route: {route}",
                    dose,
                    f"{len(own)} appointment(s); review after session {plan.review_after_session}",
                    f"Course {plan.get_ended_as_display().lower()}" if plan.ended_as else "",
                ),
                status=PLAN_STATUS.get(how, "unknown"),
                intent="plan",
                category=[
                    {"coding": [coding(CAREPLAN_CATEGORY, "assess-plan", "Assessment and Plan of Treatment")]}
                ],
                title=title,
                description=", ".join(part for part in (route, dose) if part) or None,
                subject={"reference": patient_ref},
                period=period,
                created=iso(plan.created_at),
                activity=[{"reference": {"reference": f"Appointment/{a.public_id}"}} for a in own]
                + [medicine],
            )
        )
    return out


def _consent_status(consent: Consent) -> str:
    if consent.status == EntryStatus.ENTERED_IN_ERROR:
        return "entered-in-error"
    return "inactive" if consent.withdrawn_at is not None else "active"


def _performer(consent: Consent, patient_ref: str) -> dict[str, Any]:
    """Who signed: the patient themself, or a representative named with their capacity.

    A representative is named, not referenced: KetaCare serves no RelatedPerson, and every reference in
    the export resolves inside it.
    """
    if consent.signer_relationship == Consent.Relationship.SELF:
        return {"reference": patient_ref}
    return {"display": f"{consent.signer_name} ({consent.get_signer_relationship_display()})"}


def consent_resources(patient: Patient, patient_ref: str) -> list[dict[str, Any]]:
    """Every signed treatment consent, withdrawn and mistaken ones too, each with its true status."""
    out: list[dict[str, Any]] = []
    for consent in Consent.objects.filter(patient=patient).order_by("signed_on", "id"):
        end: dt.datetime | None = consent.withdrawn_at
        out.append(
            make_resource(
                "Consent",
                str(consent.public_id),
                "Consent",
                consent.withdrawn_at or consent.created_at,
                status=_consent_status(consent),
                scope={"coding": [coding(CONSENT_SCOPE, "treatment", "Treatment")]},
                category=[{"coding": [coding(LOINC, "59284-0", "Patient Consent")]}],
                patient={"reference": patient_ref},
                dateTime=consent.signed_on.isoformat(),
                performer=[_performer(consent, patient_ref)],
                organization=[{"display": patient.clinic.name}],
                policyRule={"text": f"Treatment consent, document version {consent.document_version}"},
                provision={
                    "type": "permit",
                    "period": {"start": consent.signed_on.isoformat(), "end": iso(end)},
                    "code": [
                        {
                            "coding": [coding(SNOMED, *ROUTE[route])] if route in ROUTE else None,
                            "text": display.route_name(route),
                        }
                        for route in consent.routes
                    ]
                    or None,
                },
            )
        )
    return out
