"""The intake page's context and answers: what each section shows, and how a view answers a form
(the re-rendered section with htmx, else a redirect or the page with status 422)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.http import AuthenticatedRequest
from ketacare.core.screening import age_years_on, rems_form_item_name
from ketacare.intake import services
from ketacare.intake.forms import (
    BaselineForm,
    ClassifyMedicineForm,
    ConsentForm,
    DecisionForm,
    DemographicsForm,
    MedicationsForm,
    ScreeningForm,
    WeightForm,
    baseline_instruments,
)
from ketacare.intake.models import Consent, EntryStatus, ScreeningAssessment
from ketacare.intake.selectors import (
    IntakeSummary,
    drug_classes,
    intake_summary,
    plan_gate_facts,
    with_sources,
)
from ketacare.lib.errors import FieldError
from ketacare.lib.forms import add_field_error, field_message, form_message
from ketacare.patients import facts
from ketacare.patients.models import Patient

# Which page section shows each kind of record (for corrections).
SECTION_OF_KIND = {
    "intake": "demographics",
    "weight": "demographics",
    "medications": "medications",
    "screening": "screening",
    "consent": "consent",
    "baseline": "baseline",
}


def _is_minor_today(patient: Patient) -> bool:
    """Whether the patient is under the self-consent age on the clinic's calendar day."""
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(patient.clinic.time_zone))
    if today < patient.date_of_birth:
        return True
    return age_years_on(patient.date_of_birth, today) < services.SELF_CONSENT_MIN_AGE_YEARS


# The route under the SPRAVATO REMS programme (esketamine nasal spray): its form is for that route alone.
REMS_ROUTE = "esketamine_in"


def routes_in_play(patient: Patient, treated: str | None = None) -> set[str]:
    """The routes the patient's care uses or may use: those a valid consent covers (not withdrawn), and
    the route of the latest dose, else of the latest plan (``treated``, read when not given)."""
    routes = set(plan_gate_facts(patient).consent_routes)
    if treated is None:
        treated = facts.patient_route(patient, now=timezone.now())
    if treated:
        routes.add(treated)
    return routes


def _and_joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def consent_covers_sentence(routes: list[str]) -> str:
    """What a consent covers, in words: the routes it names, or that it names none (then no plan can
    rest on it, since a plan needs a consent for its route)."""
    if not routes:
        return "It covers no route (none was ticked), so no treatment plan can rest on it."
    return f"It covers {_and_joined([services.route_name(r) for r in routes])}."


def _consent_rows(consents: list[Consent], treated: str) -> list[dict[str, Any]]:
    """Each consent with what it covers in words, and the route the patient is treated with when this
    consent, still in force, does not cover it."""
    rows = []
    for consent in consents:
        in_force = consent.status == EntryStatus.VALID and consent.withdrawn_at is None
        routes = list(consent.routes or [])
        covers = consent_covers_sentence(routes)
        if consent.withdrawn_at is not None and routes:
            covers = (
                f"Until it was withdrawn it covered {_and_joined([services.route_name(r) for r in routes])}."
            )
        rows.append(
            {
                "consent": consent,
                "signed_on": services.date_words(consent.signed_on),
                "covers": covers,
                "not_covered": services.route_name(treated)
                if in_force and treated and treated not in routes
                else "",
            }
        )
    return rows


def _sex_at_registration(patient: Patient) -> str | None:
    """The sex registration recorded, as the demographics form's starting choice (None: nothing known,
    so the nurse chooses)."""
    return patient.sex if patient.sex in (Patient.Sex.FEMALE, Patient.Sex.MALE, Patient.Sex.OTHER) else None


def result_words(eligibility: str) -> str:
    """The screening's result as the page says it: precautions need the prescriber's review."""
    label = _decision_words(eligibility)
    if eligibility == ScreeningAssessment.Eligibility.ELIGIBLE_WITH_PRECAUTIONS:
        return f"{label} (needs the prescriber's review)"
    return label


def _decision_words(value: str) -> str:
    """A decision or result by its name ("Not eligible"), never its stored value."""
    return str(dict(ScreeningAssessment.Eligibility.choices).get(value, value.replace("_", " ")))


def _decision_history(screening: ScreeningAssessment, zone: zoneinfo.ZoneInfo) -> list[dict[str, str]]:
    """Earlier decisions in words: the decision's name and the time in clinic time, never ids."""
    rows = []
    for earlier in screening.decision_history:
        try:
            decided = services.clinic_time_words(dt.datetime.fromisoformat(earlier["decided_at"]), zone)
        except (KeyError, TypeError, ValueError):
            decided = ""
        rows.append(
            {
                "decision": _decision_words(str(earlier.get("decision", ""))),
                "changed_to": _decision_words(str(earlier.get("changed_to", ""))),
                "decided_at": decided,
                "change_reason": earlier.get("change_reason", ""),
            }
        )
    return rows


def _initial_forms(patient: Patient, summary: IntakeSummary) -> dict[str, Any]:
    zone = patient.clinic.time_zone
    # A minor's consent is signed by a parent or legal guardian: the form starts there, name blank.
    signer = (
        {"signer_name": "", "signer_relationship": "parent"}
        if _is_minor_today(patient)
        else {"signer_name": patient.full_name, "signer_relationship": "self"}
    )
    intake, medication_list, screening = summary.intake, summary.medication_list, summary.screening
    return {
        "demographics_form": DemographicsForm(
            initial={
                "sex": intake.sex,
                "height_cm": intake.height_cm,
                "indications": intake.indications,
                "indication_other": intake.indication_other,
                "previous_treatments": intake.previous_treatments,
                "japanese_ancestry": intake.japanese_ancestry,
            }
            if intake
            else {"sex": _sex_at_registration(patient)}
        ),
        "weight_form": WeightForm(time_zone=zone),
        "medications_form": MedicationsForm(
            initial={
                "medications": "\n".join(medication_list.medications),
                "drug_classes": medication_list.drug_classes,
                "no_medicines": medication_list.no_medicines,
            }
            if medication_list
            else None
        ),
        "screening_form": ScreeningForm(
            initial={"conditions": [key for key, present in screening.answers.items() if present]}
            if screening
            else None
        ),
        "decision_form": DecisionForm(
            initial={"assessment": screening.public_id, "decision": screening.eligibility},
            allowed=services.allowed_decisions(screening.eligibility),
            changing=bool(screening.decision),
        )
        if screening
        else None,
        # The signing date is left for staff to copy from the signed form: today would be a guess.
        "consent_form": ConsentForm(initial=signer),
        "baseline_forms": [BaselineForm(instrument=i, time_zone=zone) for i in baseline_instruments()],
    }


def _context(request: AuthenticatedRequest, patient: Patient, **overrides: Any) -> dict[str, Any]:
    summary = intake_summary(patient)
    context: dict[str, Any] = {
        "patient": patient,
        "summary": summary,
        "clinic_zone": patient.clinic.time_zone,
    }
    context.update(_initial_forms(patient, summary))
    posted_baseline = overrides.pop("baseline_form", None)
    if posted_baseline is not None:
        context["baseline_forms"] = [
            posted_baseline if form.instrument.id == posted_baseline.instrument.id else form
            for form in context["baseline_forms"]
        ]
    context.update(overrides)
    screening = summary.screening
    context["can_decide"] = services.is_prescriber_at(request.user, patient.clinic_id)
    context["patient_is_minor"] = _is_minor_today(patient)
    context["classify_choices"] = ClassifyMedicineForm.base_fields["class_id"].choices  # type: ignore[attr-defined]
    context["decision_open"] = bool(screening and not screening.decision)
    # Baselines the questionnaires app has sent to the patient's own app (answered there, not here).
    context["sent_baselines"] = [
        a for a in facts.due_assignments(patient, now=timezone.now()) if a.reason == "baseline"
    ]
    medication_list = summary.medication_list
    context["screening_stale"] = bool(
        screening
        and medication_list
        and (screening.medications, screening.drug_classes)
        != (medication_list.medications, medication_list.drug_classes)
    )
    context["flags"] = with_sources(summary.medication_list.flags if summary.medication_list else [])
    context["reasons"] = with_sources(screening.reasons if screening else [])
    context["result_words"] = result_words(screening.eligibility) if screening else ""
    # The REMS form is esketamine's paperwork: an IV, oral, sublingual or IM course has none to fill in.
    treated = facts.patient_route(patient, now=timezone.now())
    context["rems_items"] = (
        [rems_form_item_name(item) for item in screening.rems_form_items]
        if screening and screening.rems_form_items and REMS_ROUTE in routes_in_play(patient, treated)
        else []
    )
    context["consent_rows"] = _consent_rows(summary.consents, treated)
    context["interaction_classes"] = [i.name for i in drug_classes()]
    context["decision_history"] = (
        _decision_history(screening, services.clinic_zone(patient)) if screening else []
    )
    context["unrecognised"] = (
        summary.medication_list.unrecognised_medications if summary.medication_list else []
    )
    return context


def _respond(
    request: AuthenticatedRequest,
    patient: Patient,
    section: str,
    *,
    saved: bool,
    message: str = "",
    **overrides: Any,
) -> HttpResponse:
    if request.htmx:
        context = _context(request, patient, **overrides)
        context["section_message"] = message
        context["section_saved"] = saved
        # htmx swaps only 2xx answers: a rejected form comes back as 200 with its errors shown.
        response = _render(request, f"intake/page.html#{section}", context, patient)
        if saved and section in ("medications", "consent"):
            # A new medication list can make the screening out of date, and a consent changes the routes
            # the screening's REMS form line is for: refresh that section too.
            extra = _render(
                request,
                "intake/page.html#screening",
                {**context, "oob": True, "section_message": ""},
                patient,
            )
            response.content = response.content + extra.content
        return response
    if saved:
        messages.success(request, message)
        return redirect(
            reverse("intake:page", kwargs={"patient_id": patient.public_id}) + f"#intake-{section}"
        )
    return _render(request, "intake/page.html", _context(request, patient, **overrides), patient, status=422)


def _render(
    request: AuthenticatedRequest, template: str, context: dict[str, Any], patient: Patient, status: int = 200
) -> HttpResponse:
    # Times on the intake page are clinic time.
    with timezone.override(zoneinfo.ZoneInfo(patient.clinic.time_zone)):
        return render(request, template, context, status=status)


def _said(exc: FieldError) -> str:
    """A refusal shown above a form or as a page message: the field in words, then the rule
    ("Weight kg: 700 is outside ..."), never the internal name; several refusals one after another."""
    return "; ".join(
        form_message(one.field, f"{one.field}: {field_message(one.field, one.message)}")
        if one.field
        else one.message
        for one in services.refusals(exc)
    )


def _form_error(form: Form, exc: FieldError) -> None:
    """Every refusal of the service on the field it names (or above the form)."""
    for one in services.refusals(exc):
        add_field_error(form, one)


def _check_too(form: Form, check: Callable[[], object]) -> None:
    """The form refused some fields: run the service's own checks on the others as well, so every
    mistake shows at once (a field the form already refused keeps the form's message alone)."""
    try:
        check()
    except FieldError as exc:
        for one in services.refusals(exc):
            if one.field not in form.errors:
                add_field_error(form, one)
