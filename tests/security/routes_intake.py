"""Authorisation-matrix entries for intake and screening (issue 4 item 1)."""

from __future__ import annotations

from typing import Any

from tests.security.routes import Route, patient_kwargs


def _staff_of(personas: Any, target: Any) -> Any:
    return personas.clinician_a if target.clinic_id == personas.clinic_a.pk else personas.clinician_b


def _decision_data(personas: Any, target: Any) -> dict[str, Any]:
    # A fresh undecided screening of the target, so an allowed prescriber's decision succeeds.
    from tests.support.pathway import screened

    assessment = screened(patient=target, user=_staff_of(personas, target))
    return {"assessment": str(assessment.public_id), "decision": "eligible", "note": ""}


def _screening_data(conditions: list[str]) -> Any:
    # A screening needs a medication list on file and the screener's word that every item was asked.
    def data(personas: Any, target: Any) -> dict[str, Any]:
        from tests.support.pathway import medicines_on_file

        medicines_on_file(target, _staff_of(personas, target))
        return {"conditions": conditions, "all_items_asked": "on"}

    return data


def _error_data(personas: Any, target: Any) -> dict[str, Any]:
    from ketacare.intake.services import record_weight

    staff = personas.clinician_a if target.clinic_id == personas.clinic_a.pk else personas.clinician_b
    weight = record_weight(patient=target, user=staff, weight_kg=70)
    return {"kind": "weight", "record": str(weight.public_id), "reason": "typed the wrong patient"}


def _withdraw_data(personas: Any, target: Any) -> dict[str, Any]:
    import datetime as dt

    from ketacare.intake.services import record_consent

    staff = personas.clinician_a if target.clinic_id == personas.clinic_a.pk else personas.clinician_b
    consent = record_consent(
        patient=target,
        user=staff,
        document_version="v1",
        signed_on=dt.date(2020, 1, 2),
        signer_name="Signer",
        signer_relationship="self",
        routes=["iv"],
        signed_form_seen=True,
    )
    return {"record": str(consent.public_id), "reason": "Phoned the clinic to withdraw"}


def _baseline_data(personas: Any, target: Any) -> dict[str, Any]:
    return {"instrument": "phq9", **{f"phq9-phq9.q{n}": "1" for n in range(1, 9)}, "phq9-phq9.q9": "0"}


# Admin A is staff at clinic A but not a prescriber: the decision route answers every staff member of
# the clinic the same 302 (a refused decision comes back to the page with the reason, writing nothing).
ROUTES: list[Route] = [
    Route("intake:page", "staff_record", kwargs=patient_kwargs),
    Route(
        "intake:demographics",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=lambda p, t: {"sex": "female", "height_cm": "170", "indications": ["major_depression"]},
    ),
    Route(
        "intake:weight",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=lambda p, t: {"weight_kg": "72.5"},
    ),
    Route(
        "intake:medications",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=lambda p, t: {"medications": "lorazepam 1 mg\nsertraline 50 mg"},
    ),
    Route(
        "intake:medication_flags",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        data=lambda p, t: {"medications": "phenelzine 15 mg"},
    ),
    Route(
        "intake:classify_medicine",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=lambda p, t: {"name": "Zyxotrin 5 mg", "class_id": "opioids"},
    ),
    Route(
        "intake:screening",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=_screening_data(["uncontrolled_hypertension"]),
    ),
    Route(
        "intake:decision",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=_decision_data,
    ),
    Route(
        "intake:consent",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=lambda p, t: {
            "document_version": "v1",
            "signed_on": "2020-01-02",
            "signer_name": "Signer",
            "signer_relationship": "self",
            "signed_form_seen": "on",
        },
    ),
    Route(
        "intake:consent_withdraw",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=_withdraw_data,
    ),
    Route(
        "intake:baseline",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=_baseline_data,
    ),
    Route(
        "intake:entered_in_error",
        "staff_record",
        methods=("POST",),
        kwargs=patient_kwargs,
        ok={"POST": 302},
        data=_error_data,
    ),
    # API
    Route("api:get_intake_summary", "staff_record", api=True, kwargs=patient_kwargs),
    Route(
        "api:post_medications",
        "staff_record",
        methods=("POST",),
        api=True,
        kwargs=patient_kwargs,
        ok={"POST": 201},
        data=lambda p, t: {"medications": ["lorazepam 1 mg", "Adderall 10 mg"], "drug_classes": ["maois"]},
    ),
    Route(
        "api:post_screening",
        "staff_record",
        methods=("POST",),
        api=True,
        kwargs=patient_kwargs,
        ok={"POST": 201},
        data=_screening_data(["arteriovenous_malformation"]),
    ),
]
