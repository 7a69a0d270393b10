"""The staff intake page (tablet-first) and its htmx sections; every write goes through the services.

Each section posts to its own URL. With htmx the answer is the re-rendered section (with the form's
errors, or the saved data); without it, a saved form redirects back to the page and a rejected one
re-renders the page with status 422. Every view goes through the access layer exactly once.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketacare.accounts.gates import staff_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.core.display import instrument_short
from ketacare.intake import services
from ketacare.intake.forms import (
    BaselineForm,
    ClassifyMedicineForm,
    ConsentForm,
    DecisionForm,
    DemographicsForm,
    EnteredInErrorForm,
    MedicationsForm,
    ScreeningForm,
    WeightForm,
    WithdrawConsentForm,
    baseline_instruments,
)
from ketacare.intake.models import ScreeningAssessment
from ketacare.intake.page import (
    SECTION_OF_KIND,
    _check_too,
    _context,
    _form_error,
    _render,
    _respond,
    _said,
    consent_covers_sentence,
    result_words,
)
from ketacare.intake.selectors import (
    access_intake_record,
    access_staff_patient,
    drug_classes,
    with_sources,
)
from ketacare.lib.errors import FieldError, NotPermitted


@staff_required
@require_GET
def intake_page(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """The intake page: demographics, medicines with live flags, screening, decision, consent, baselines."""
    patient = access_staff_patient(request.user, patient_id)
    return _render(request, "intake/page.html", _context(request, patient), patient)


@staff_required
@require_POST
def save_demographics(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Record sex, height, conditions and previous treatments (a new intake version)."""
    patient = access_staff_patient(request.user, patient_id, action="write")
    form = DemographicsForm(request.POST)
    valid = form.is_valid()
    values: dict[str, Any] = {
        name: form.cleaned_data.get(name)
        for name in ("sex", "height_cm", "indications", "indication_other", "previous_treatments")
    }
    if valid:
        try:
            services.record_intake(
                patient=patient,
                user=request.user,
                japanese_ancestry=form.cleaned_data["japanese_ancestry"],
                **values,
            )
        except FieldError as exc:
            _form_error(form, exc)
        else:
            return _respond(request, patient, "demographics", saved=True, message="Demographics saved.")
    else:
        _check_too(form, lambda: services.check_intake(patient=patient, **values))
    return _respond(request, patient, "demographics", saved=False, demographics_form=form)


@staff_required
@require_POST
def save_weight(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Record one body weight with the time it was measured."""
    patient = access_staff_patient(request.user, patient_id, action="write")
    form = WeightForm(request.POST, time_zone=patient.clinic.time_zone)
    valid = form.is_valid()
    weight_kg: Any = form.cleaned_data.get("weight_kg")
    measured_at = form.aware(form.cleaned_data.get("measured_at"))
    if valid:
        try:
            services.record_weight(
                patient=patient, user=request.user, weight_kg=weight_kg, measured_at=measured_at
            )
        except FieldError as exc:
            _form_error(form, exc)
        else:
            return _respond(request, patient, "demographics", saved=True, message="Weight saved.")
    else:
        _check_too(
            form, lambda: services.check_weight(patient=patient, weight_kg=weight_kg, measured_at=measured_at)
        )
    return _respond(request, patient, "demographics", saved=False, weight_form=form)


@staff_required
@require_POST
def save_medications(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Record the current medicines and ticked classes with the core's interaction flags."""
    patient = access_staff_patient(request.user, patient_id, action="write")
    form = MedicationsForm(request.POST)
    valid = form.is_valid()
    values: dict[str, Any] = {
        "medications": form.medication_lines(),
        "drug_classes": form.cleaned_data.get("drug_classes") or [],
        "no_medicines": bool(form.cleaned_data.get("no_medicines")),
    }
    if valid:
        try:
            services.record_medications(patient=patient, user=request.user, **values)
        except FieldError as exc:
            _form_error(form, exc)
        else:
            return _respond(request, patient, "medications", saved=True, message="Medications saved.")
    else:
        _check_too(form, lambda: services.check_medications(patient=patient, **values))
    return _respond(request, patient, "medications", saved=False, medications_form=form)


@staff_required
@require_POST
def medication_flags(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """The live interaction flags for the medicines being typed (htmx partial; nothing is written)."""
    patient = access_staff_patient(request.user, patient_id)
    form = MedicationsForm(request.POST)
    flags: list[dict[str, Any]] = []
    unrecognised: list[str] = []
    error = ""
    if form.is_valid():
        try:
            flags, unrecognised = services.preview_medication_flags(
                medications=form.medication_lines(),
                drug_classes=form.cleaned_data["drug_classes"],
                clinic_id=patient.clinic_id,
            )
        except FieldError as exc:
            error = _said(exc)
    else:
        error = "; ".join(f"{field}: {' '.join(str(e) for e in errs)}" for field, errs in form.errors.items())
    context = {
        "patient": patient,
        "flags": with_sources(flags),
        "unrecognised": unrecognised,
        "interaction_classes": [i.name for i in drug_classes()],
        "flags_error": error,
        "preview": True,
    }
    return _render(request, "intake/page.html#medication_flags", context, patient)


@staff_required
@require_POST
def save_screening(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Screen the ticked checklist and the current medicines with the core; store the result."""
    patient = access_staff_patient(request.user, patient_id, action="write")
    form = ScreeningForm(request.POST)
    valid = form.is_valid()
    conditions: Any = form.cleaned_data.get("conditions")
    asked = bool(form.cleaned_data.get("all_items_asked"))
    if not valid:
        _check_too(
            form,
            lambda: services.check_screening(
                patient=patient, conditions_present=conditions, all_items_asked=asked
            ),
        )
    else:
        try:
            assessment = services.assess_screening(
                patient=patient, user=request.user, conditions_present=conditions, all_items_asked=asked
            )
        except FieldError as exc:
            _form_error(form, exc)
        else:
            return _respond(
                request,
                patient,
                "screening",
                saved=True,
                message=f"Screening result: {result_words(assessment.eligibility)}.",
            )
    return _respond(request, patient, "screening", saved=False, screening_form=form)


@staff_required
@require_POST
def decide_eligibility(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Record the prescriber's eligibility decision on the current screening."""
    patient = access_staff_patient(request.user, patient_id, action="write")
    try:
        posted = uuid.UUID(str(request.POST.get("assessment", "")))
    except ValueError:
        posted = None
    assessment = (
        ScreeningAssessment.objects.filter(patient=patient, public_id=posted).first() if posted else None
    )
    # Shown again after a mistake, the form offers what it offered before: the decisions this screening
    # allows, and the reason field only when a decision is on file.
    form = DecisionForm(
        request.POST,
        allowed=services.allowed_decisions(assessment.eligibility) if assessment is not None else None,
        changing=bool(assessment is not None and assessment.decision),
    )
    if form.is_valid():
        if assessment is None:
            form.add_error("assessment", "assessment: no such screening for this patient")
        else:
            try:
                if assessment.decision:
                    # A decision on file changes only with a reason, kept and audited (decision 0013).
                    services.change_eligibility_decision(
                        assessment=assessment,
                        user=request.user,
                        decision=form.cleaned_data["decision"],
                        reason=form.cleaned_data["change_reason"],
                        note=form.cleaned_data["note"],
                    )
                else:
                    services.record_eligibility_decision(
                        assessment=assessment,
                        user=request.user,
                        decision=form.cleaned_data["decision"],
                        note=form.cleaned_data["note"],
                    )
            except NotPermitted as exc:
                if not request.htmx:
                    # Not a form mistake but a role: say so on the page, change nothing.
                    messages.error(request, _said(exc))
                    return redirect(
                        reverse("intake:page", kwargs={"patient_id": patient.public_id}) + "#intake-screening"
                    )
                form.add_error(None, _said(exc))
            except FieldError as exc:
                _form_error(form, exc)
            else:
                return _respond(
                    request, patient, "screening", saved=True, message="Eligibility decision recorded."
                )
    return _respond(request, patient, "screening", saved=False, decision_form=form)


@staff_required
@require_POST
def save_consent(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Record a signed consent: document version, date, signer, relationship, the routes it covers, and
    the recorder's tick that they saw the signed form filed (nothing is recorded without it)."""
    patient = access_staff_patient(request.user, patient_id, action="write")
    form = ConsentForm(request.POST)
    valid = form.is_valid()
    values: dict[str, Any] = {
        name: form.cleaned_data.get(name)
        for name in ("document_version", "signed_on", "signer_name", "signer_relationship", "routes")
    }
    if valid:
        try:
            consent = services.record_consent(
                patient=patient,
                user=request.user,
                signed_form_seen=form.cleaned_data["signed_form_seen"],
                **values,
            )
        except FieldError as exc:
            _form_error(form, exc)
        else:
            return _respond(
                request,
                patient,
                "consent",
                saved=True,
                message=f"Consent recorded. {consent_covers_sentence(consent.routes)}",
            )
    else:
        _check_too(form, lambda: services.check_consent(patient=patient, **values))
    return _respond(request, patient, "consent", saved=False, consent_form=form)


@staff_required
@require_POST
def classify_medicine(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """A prescriber classifies an unrecognised medicine for the clinic; the medicines are screened again."""
    patient = access_staff_patient(request.user, patient_id, action="write")
    form = ClassifyMedicineForm(request.POST)
    if form.is_valid():
        try:
            row = services.classify_medicine(
                patient=patient,
                user=request.user,
                name=form.cleaned_data["name"],
                class_id=form.cleaned_data["class_id"],
            )
        except NotPermitted as exc:
            message = _said(exc)
            if not request.htmx:
                # Not a form mistake but a role: say so on the page, change nothing.
                messages.error(request, message)
                return redirect(
                    reverse("intake:page", kwargs={"patient_id": patient.public_id}) + "#intake-medications"
                )
        except FieldError as exc:
            message = _said(exc)
        else:
            label = dict(form.fields["class_id"].choices).get(row.class_id, row.class_id)  # type: ignore[attr-defined]
            return _respond(
                request,
                patient,
                "medications",
                saved=True,
                message=(
                    f"“{row.name}”: {label}. Kept for the clinic: it applies to every patient, on every "
                    "medicine line containing that name. Run the screening again to apply it to eligibility."
                ),
            )
    else:
        message = "; ".join(
            f"{(form.fields[f].label if f in form.fields else None) or f}: {' '.join(str(x) for x in e)}"
            for f, e in form.errors.items()
        )
    if not request.htmx:
        messages.error(request, message)
    return _respond(request, patient, "medications", saved=False, message=message)


@staff_required
@require_POST
def withdraw_consent(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Record the patient's withdrawal of a consent: every later dose on its routes is held."""
    patient = access_staff_patient(request.user, patient_id, action="write")
    form = WithdrawConsentForm(request.POST)
    if form.is_valid():
        consent = access_intake_record(
            request.user, "consent", str(form.cleaned_data["record"]), patient=patient
        )
        try:
            services.withdraw_consent(consent=consent, user=request.user, reason=form.cleaned_data["reason"])
        except FieldError as exc:
            form.add_error(None, _said(exc))
        else:
            return _respond(
                request,
                patient,
                "consent",
                saved=True,
                message="Consent withdrawal recorded: doses on its routes are held until a new consent is signed.",
            )
    if not request.htmx:
        messages.error(
            request, "; ".join(f"{f}: {' '.join(str(x) for x in e)}" for f, e in form.errors.items())
        )
    return _respond(request, patient, "consent", saved=False)


@staff_required
@require_POST
def save_baseline(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Score a baseline questionnaire entered by staff with the core and store it."""
    patient = access_staff_patient(request.user, patient_id, action="write")
    by_id = {instrument.id: instrument for instrument in baseline_instruments()}
    instrument = by_id.get(request.POST.get("instrument", ""))
    if instrument is None:
        titles = ", ".join(instrument_short(instrument_id) for instrument_id in by_id)
        messages.error(request, f"Questionnaire: choose one of {titles}")
        form = None
    else:
        form = BaselineForm(request.POST, instrument=instrument, time_zone=patient.clinic.time_zone)
        if not form.is_valid():
            completed_at = form.aware(form.cleaned_data.get("completed_at"))
            _check_too(form, lambda: services.check_time(patient, "completed_at", completed_at))
        else:
            try:
                row = services.record_baseline_score(
                    patient=patient,
                    user=request.user,
                    instrument_id=instrument.id,
                    answers=form.answers(),
                    completed_at=form.aware(form.cleaned_data["completed_at"]),
                )
            except FieldError as exc:
                _form_error(form, exc)
            else:
                band = f" ({row.band})" if row.band else ""
                return _respond(
                    request,
                    patient,
                    "baseline",
                    saved=True,
                    message=f"{instrument.title}: total {row.total.normalize():f}{band}.",
                )
    return _respond(request, patient, "baseline", saved=False, baseline_form=form)


@staff_required
@require_POST
def entered_in_error(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    """Mark one intake record entered in error (it stays visible, struck through)."""
    patient = access_staff_patient(request.user, patient_id, action="write")
    form = EnteredInErrorForm(request.POST)
    section = SECTION_OF_KIND.get(request.POST.get("kind", ""), "demographics")
    if form.is_valid():
        record = access_intake_record(
            request.user, form.cleaned_data["kind"], str(form.cleaned_data["record"]), patient=patient
        )
        try:
            services.mark_entered_in_error(
                record=record, user=request.user, reason=form.cleaned_data["reason"]
            )
        except FieldError as exc:
            form.add_error(None, _said(exc))
        else:
            return _respond(request, patient, section, saved=True, message="Marked as entered in error.")
    if not request.htmx:
        messages.error(
            request, "; ".join(f"{f}: {' '.join(str(x) for x in e)}" for f, e in form.errors.items())
        )
    return _respond(request, patient, section, saved=False)
