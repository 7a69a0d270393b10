"""A prescriber classifies a medicine KetaCare does not recognise; the answer is kept for the clinic.

The core's screening applies the clinic's answers after its own
class names (ketacare.core.screening.screen).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketacare.audit.models import AccessEvent
from ketacare.intake import services
from ketacare.intake.models import MedicationList, MedicineClassification
from ketacare.lib.errors import FieldError, NotPermitted

pytestmark = pytest.mark.django_db


def _current(patient: Any) -> MedicationList:
    return MedicationList.objects.get(patient=patient, status="current")


def test_a_prescribers_classification_flags_the_medicine_for_every_patient_of_the_clinic(
    personas: Any,
) -> None:
    services.record_medications(patient=personas.a1, user=personas.clinician_a, medications=["Zyxotrin 5 mg"])
    assert _current(personas.a1).unrecognised_medications == ["Zyxotrin 5 mg"]
    services.classify_medicine(
        patient=personas.a1, user=personas.clinician_a, name="Zyxotrin", class_id="benzodiazepines"
    )
    # The patient's current list is screened again at once ...
    current = _current(personas.a1)
    assert current.unrecognised_medications == []
    assert [f["id"] for f in current.flags] == ["benzodiazepines"]
    # ... and another patient of the clinic writing it differently gets the same flag.
    services.record_medications(patient=personas.a2, user=personas.clinician_a, medications=["zyxotrin 10mg"])
    assert [f["id"] for f in _current(personas.a2).flags] == ["benzodiazepines"]
    # Another clinic keeps its own answers.
    services.record_medications(patient=personas.b1, user=personas.clinician_b, medications=["Zyxotrin 5 mg"])
    assert _current(personas.b1).unrecognised_medications == ["Zyxotrin 5 mg"]
    row = MedicineClassification.objects.get()
    assert (row.classified_by, row.clinic) == (personas.clinician_a, personas.clinic_a)


def test_no_interaction_clears_the_prompt_and_a_later_answer_replaces_the_first(personas: Any) -> None:
    services.record_medications(patient=personas.a1, user=personas.clinician_a, medications=["Plainol 1 tab"])
    services.classify_medicine(
        patient=personas.a1, user=personas.clinician_a, name="Plainol", class_id="no_interaction"
    )
    assert _current(personas.a1).unrecognised_medications == [] and _current(personas.a1).flags == []
    services.classify_medicine(
        patient=personas.a1, user=personas.clinician_a, name="plainol", class_id="opioids"
    )
    assert MedicineClassification.objects.get().class_id == "opioids"
    assert [f["id"] for f in _current(personas.a1).flags] == ["opioids"]


def test_only_a_prescriber_classifies_and_bad_input_is_named_and_writes_nothing(personas: Any) -> None:
    with pytest.raises(NotPermitted):
        services.classify_medicine(
            patient=personas.a1, user=personas.admin_a, name="Zyxotrin", class_id="opioids"
        )
    with pytest.raises(FieldError) as caught:
        services.classify_medicine(
            patient=personas.a1, user=personas.clinician_a, name="Zyxotrin", class_id="x"
        )
    assert caught.value.field == "class_id" and "opioids" in caught.value.message
    with pytest.raises(FieldError) as caught:
        services.classify_medicine(
            patient=personas.a1, user=personas.clinician_a, name="  ", class_id="opioids"
        )
    assert caught.value.field == "name"
    assert not MedicineClassification.objects.exists()


def test_the_intake_page_prompts_a_prescriber_and_tells_others_to_ask_one(
    personas: Any, client_for: Any
) -> None:
    services.record_medications(patient=personas.a1, user=personas.clinician_a, medications=["Zyxotrin 5 mg"])
    page_url = reverse("intake:page", kwargs={"patient_id": personas.a1.public_id})
    prescriber_page = client_for("clinician_a").get(page_url).content.decode()
    assert 'name="class_id"' in prescriber_page and "Zyxotrin 5 mg" in prescriber_page
    admin_page = client_for("admin_a").get(page_url).content.decode()
    assert 'name="class_id"' not in admin_page and "a prescriber must classify it" in admin_page
    url = reverse("intake:classify_medicine", kwargs={"patient_id": personas.a1.public_id})
    refused = client_for("admin_a").post(url, {"name": "Zyxotrin 5 mg", "class_id": "opioids"})
    assert refused.status_code == 302 and not MedicineClassification.objects.exists()
    answer = client_for("clinician_a").post(url, {"name": "Zyxotrin 5 mg", "class_id": "opioids"})
    assert answer.status_code == 302
    assert MedicineClassification.objects.get().name == "Zyxotrin 5 mg"
    assert (
        AccessEvent.objects.filter(path=url, user_email=personas.clinician_a.email, action="write").count()
        == 1
    )
    assert "Zyxotrin" not in " ".join(_current(personas.a1).unrecognised_medications)
