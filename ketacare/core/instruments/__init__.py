"""Questionnaires and rating scales: versioned definitions, pure scoring, change rules and FHIR export.

Each instrument is one TOML file in ``data/`` (items with stable ids, answer options, scoring
rule, severity bands, LOINC codes, item alerts, response/remission rules, citations); this
package reads them and scores answers with no clock, database or network. The apps store the
raw answers with the instrument id and version and the computed ``ScoreResult``, so any score
can be recomputed.

Public API::

    get_instrument("phq9") -> Instrument          # UnknownInstrumentError for other ids
    instruments() -> tuple[Instrument, ...]
    score("phq9", {"phq9.q1": 2, ...}) -> ScoreResult   # or a sequence of values in form order
    classify_change("phq9", baseline=20, current=9) -> "response"
    to_fhir_questionnaire("phq9") -> dict         # FHIR R4 Questionnaire

Instrument ids: bpi_sf, cssrs_screener, daily_mood, gad7, madrs, moaas, pain_nrs, pcl5, phq9,
qids_sr16, ybocs.
"""

from .change import classify_change
from .fhir import answer_coding, fhir_id, to_fhir_questionnaire
from .model import (
    ALERT_LEVELS,
    AlertLevel,
    AlertRule,
    Band,
    ChangeClass,
    CompletedBy,
    Instrument,
    InstrumentDefinitionError,
    InvalidAnswersError,
    Item,
    ItemAlert,
    Option,
    ScoreResult,
    Subscale,
    UnknownInstrumentError,
)
from .registry import get_instrument, instruments
from .scoring import normalise_answers, score

__all__ = [
    "ALERT_LEVELS",
    "AlertLevel",
    "AlertRule",
    "Band",
    "ChangeClass",
    "CompletedBy",
    "Instrument",
    "InstrumentDefinitionError",
    "InvalidAnswersError",
    "Item",
    "ItemAlert",
    "Option",
    "ScoreResult",
    "Subscale",
    "UnknownInstrumentError",
    "classify_change",
    "get_instrument",
    "instruments",
    "normalise_answers",
    "score",
    "answer_coding",
    "fhir_id",
    "to_fhir_questionnaire",
]
