"""Every instrument renders as a FHIR R4 Questionnaire that fhir.resources accepts."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from ketacare.core.instruments import Instrument, instruments, to_fhir_questionnaire
from ketacare.core.instruments.fhir import LOINC_DISPLAY

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


@pytest.mark.parametrize("instrument", instruments(), ids=lambda i: i.id)
def test_the_questionnaire_validates_as_fhir_r4(instrument: Instrument) -> None:
    resource = to_fhir_questionnaire(instrument.id)
    parsed = Questionnaire.model_validate(resource)
    assert parsed.status == "active"
    assert parsed.version == instrument.version
    assert parsed.title == instrument.title
    json.dumps(resource)  # plain JSON-ready data, no model objects


@pytest.mark.parametrize("instrument", instruments(), ids=lambda i: i.id)
def test_each_item_keeps_its_stable_id_and_every_option_with_its_score(instrument: Instrument) -> None:
    resource = to_fhir_questionnaire(instrument.id)
    choices = [item for item in resource["item"] if item["type"] == "choice"]
    assert [item["linkId"] for item in choices] == list(instrument.item_ids)
    for rendered, item in zip(choices, instrument.items, strict=True):
        assert rendered["text"] == item.text
        assert rendered["required"] is item.required
        options = [answer["valueCoding"] for answer in rendered["answerOption"]]
        scores = [coding["extension"][0]["valueDecimal"] for coding in options]
        assert all(coding["extension"][0]["url"] == ORDINAL_VALUE for coding in options)
        assert scores == list(item.allowed_values)
        assert [coding["display"] for coding in options] == [option.label for option in item.options]
    link_ids = [item["linkId"] for item in resource["item"]]
    assert len(link_ids) == len(set(link_ids))


def test_fhir_ids_use_hyphens_because_fhir_ids_do_not_allow_underscores() -> None:
    resource = to_fhir_questionnaire("qids_sr16")
    assert resource["id"] == "qids-sr16"
    assert resource["url"].endswith("/Questionnaire/qids-sr16")


def test_phq9_carries_the_loinc_codes_of_the_brief() -> None:
    resource = to_fhir_questionnaire("phq9")
    by_link = {item["linkId"]: item for item in resource["item"]}
    assert by_link["phq9.q1"]["code"] == [
        {
            "system": "http://loinc.org",
            "code": "44250-9",
            "display": "Little interest or pleasure in doing things in last 2 weeks",
        }
    ]
    # Item 9 (the suicide-risk item) carries the code US Core gives it [USCore-PHQ9-item9].
    assert by_link["phq9.q9"]["code"] == [
        {
            "system": "http://loinc.org",
            "code": "44260-8",
            "display": "Thoughts that you would be better off dead, or of hurting yourself in some way "
            "in last 2 weeks [Reported.PHQ]",
        }
    ]
    total = by_link["phq9.total"]
    assert total["code"][0]["code"] == "44261-6"
    assert total["code"][0]["display"] == "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"
    assert total["readOnly"] is True
    first = by_link["phq9.q1"]["answerOption"][0]["valueCoding"]
    assert (first["system"], first["code"], first["display"]) == (
        "http://loinc.org",
        "LA6568-5",
        "Not at all",
    )


def test_gad7_carries_its_total_score_loinc_code_and_local_answer_codes() -> None:
    resource = to_fhir_questionnaire("gad7")
    by_link = {item["linkId"]: item for item in resource["item"]}
    assert by_link["gad7.total"]["code"][0] == {
        "system": "http://loinc.org",
        "code": "70274-6",
        "display": "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
    }
    # The brief gives no GAD-7 item codes: the items carry none, so no display is made up for them.
    assert not [item for item in resource["item"] if item["linkId"] != "gad7.total" and "code" in item]
    coding = by_link["gad7.q1"]["answerOption"][3]["valueCoding"]
    assert coding["system"] == "https://ketacare.org/fhir/CodeSystem/gad7-frequency"
    assert coding["code"] == "3"


def test_a_deployment_can_publish_under_its_own_base_url() -> None:
    resource = to_fhir_questionnaire("phq9", base_url="https://fhir.example.org")
    assert resource["url"] == "https://fhir.example.org/Questionnaire/phq9"


@pytest.mark.parametrize("instrument", instruments(), ids=lambda i: i.id)
def test_every_loinc_code_the_data_holds_is_sent_with_its_display(instrument: Instrument) -> None:
    resource = to_fhir_questionnaire(instrument.id)
    codings = [coding for item in resource["item"] for coding in item.get("code", [])]
    held = [item.loinc for item in instrument.items if item.loinc]
    held += [instrument.loinc_total] if instrument.loinc_total else []
    assert [coding["code"] for coding in codings] == held
    # A code found in no source gets no display (never a guessed one): a new code needs its display sourced.
    assert [coding["display"] for coding in codings] == [LOINC_DISPLAY[code] for code in held]
