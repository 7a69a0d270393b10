"""Render an instrument as a FHIR R4 Questionnaire resource (a plain dict, no FHIR library needed).

The core stays dependency-free; the interop app and the tests validate the dict with
``fhir.resources``. Choices are ``valueCoding`` answer options: LOINC answer codes where the
brief lists them (PHQ-9), otherwise a KetaCare code system per instrument answer list whose
codes are the option values. Every option also carries its score in the standard R4
``ordinalValue`` extension so that a FHIR consumer can recompute the total.
"""

from __future__ import annotations

from typing import Any

from .model import Instrument, Item, Option
from .registry import get_instrument

# Canonical base for KetaCare's own resources and code systems. A deployment that publishes
# its Questionnaires elsewhere passes its own ``base_url``.
FHIR_BASE_URL = "https://ketacare.org/fhir"
LOINC_SYSTEM = "http://loinc.org"
# R4 core extension for the numeric weight of a coded answer (renamed itemWeight in R5).
ORDINAL_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"

# The LOINC long common names of the item and total codes the instrument data holds, as HL7 guides render
# them (none checked against loinc.org): the one table the Questionnaires and the exported Observations
# read, so a code is shown with the same display everywhere. PHQ-9 items: 44250-9 and 44255-8 in US Core
# STU5's AHC-HRSN item examples (hl7.org/fhir/us/core/STU5/Observation-AHC-HRSN-item-example-44250-9.html),
# 44260-8 in its item example [USCore-PHQ9-item9], items 3 to 8 as the item texts of its PHQ-9
# QuestionnaireResponse example (the STU8 page of [USCore-PHQ9]). The PHQ-9 total 44261-6 in US Core's
# total-score example (hl7.org/fhir/us/core/2025Jan/Observation-PHQ9-item-example-44261-6.html); the GAD-7
# total 70274-6 in the code of [MII-GAD7]. A code missing here is sent without a display, never a guessed one.
LOINC_DISPLAY: dict[str, str] = {
    "44250-9": "Little interest or pleasure in doing things in last 2 weeks",
    "44255-8": "Feeling down, depressed, or hopeless in last 2 weeks",
    "44259-0": "Trouble falling or staying asleep, or sleeping too much in last 2 weeks [Reported.PHQ]",
    "44254-1": "Feeling tired or having little energy in last 2 weeks [Reported.PHQ]",
    "44251-7": "Poor appetite or overeating in last 2 weeks [Reported.PHQ]",
    "44258-2": (
        "Feeling bad about yourself - or that you are a failure or have let yourself or your family down "
        "in last 2 weeks [Reported.PHQ]"
    ),
    "44252-5": (
        "Trouble concentrating on things, such as reading the newspaper or watching television "
        "in last 2 weeks [Reported.PHQ]"
    ),
    "44253-3": (
        "Moving or speaking so slowly that other people could have noticed. Or the opposite - being so "
        "fidgety or restless that you have been moving around a lot more than usual in last 2 weeks "
        "[Reported.PHQ]"
    ),
    "44260-8": (
        "Thoughts that you would be better off dead, or of hurting yourself in some way in last 2 weeks "
        "[Reported.PHQ]"
    ),
    "44261-6": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    "70274-6": "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
}


def to_fhir_questionnaire(instrument_id: str, *, base_url: str = FHIR_BASE_URL) -> dict[str, Any]:
    """A FHIR R4 ``Questionnaire`` for this instrument, as a JSON-ready dict.

    Items keep the stable item ids as ``linkId``. Items with a LOINC code carry it in
    ``code``, with its display where ``LOINC_DISPLAY`` holds one; where the total score has a
    LOINC code (PHQ-9 44261-6, GAD-7 70274-6) a read-only ``integer`` item ``<id>.total`` carries
    it, the usual place for a calculated score.
    """
    instrument = get_instrument(instrument_id)
    resource_id = fhir_id(instrument.id)
    items: list[dict[str, Any]] = []
    if instrument.instructions:
        items.append(
            {"linkId": f"{instrument.id}.instructions", "type": "display", "text": instrument.instructions}
        )
    items.extend(_item(instrument, item, base_url) for item in instrument.items)
    if instrument.loinc_total:
        items.append(
            {
                "linkId": f"{instrument.id}.total",
                "text": f"{instrument.title}: total score",
                "type": "integer",
                "readOnly": True,
                "code": [loinc_coding(instrument.loinc_total)],
            }
        )
    return {
        "resourceType": "Questionnaire",
        "id": resource_id,
        "url": f"{base_url}/Questionnaire/{resource_id}",
        "version": instrument.version,
        "name": instrument.id.upper(),
        "title": instrument.title,
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "KetaCare",
        "description": instrument.citation,
        "copyright": instrument.copyright,
        "item": items,
    }


def answer_coding(
    instrument_id: str, item_id: str, value: int, *, base_url: str = FHIR_BASE_URL
) -> dict[str, Any] | None:
    """The ``valueCoding`` the served Questionnaire defines for this stored answer (None if it defines none).

    A QuestionnaireResponse answers a ``choice`` item with one of the item's ``answerOption`` codings,
    so the export builds its answers here, from the same rule as the Questionnaire itself.
    """
    instrument = get_instrument(instrument_id)
    item = instrument.items_by_id.get(item_id)
    if item is None:
        return None
    for option in item.options:
        if option.value == value:
            return _coding(instrument, item, option, base_url)
    return None


def loinc_coding(code: str) -> dict[str, str]:
    """A LOINC ``Coding`` with the code's display when ``LOINC_DISPLAY`` has it (else the code alone)."""
    display = LOINC_DISPLAY.get(code)
    return {"system": LOINC_SYSTEM, "code": code, **({"display": display} if display else {})}


def fhir_id(instrument_id: str) -> str:
    """The FHIR resource id for an instrument id: FHIR ids allow ``[A-Za-z0-9-.]``, not underscores."""
    return instrument_id.replace("_", "-")


def _item(instrument: Instrument, item: Item, base_url: str) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "linkId": item.id,
        "text": item.text,
        "type": "choice",
        "required": item.required,
        "answerOption": [
            {"valueCoding": _coding(instrument, item, option, base_url)} for option in item.options
        ],
    }
    if item.loinc:
        rendered["code"] = [loinc_coding(item.loinc)]
    return rendered


def _coding(instrument: Instrument, item: Item, option: Option, base_url: str) -> dict[str, Any]:
    if option.code is not None and item.answer_system is not None:
        system, code = item.answer_system, option.code
    else:
        system = f"{base_url}/CodeSystem/{fhir_id(instrument.id)}-{item.option_set.replace('_', '-')}"
        code = str(option.value)
    return {
        "extension": [{"url": ORDINAL_VALUE_URL, "valueDecimal": option.value}],
        "system": system,
        "code": code,
        "display": option.label,
    }
