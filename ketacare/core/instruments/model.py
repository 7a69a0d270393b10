"""Frozen value types for questionnaires, their answers and their scores.

Everything here is plain data: the definitions are read from the TOML files in
``data/`` (see ``registry.py``), scored by ``scoring.py`` and rendered to FHIR by
``fhir.py``. Nothing holds a clock, a database row or a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

CompletedBy = Literal["patient", "clinician"]
# How the total is derived from the item values (one pure function each in scoring.py):
#   sum_items        total = sum of all item values (PHQ-9, GAD-7, PCL-5, MADRS, Y-BOCS, single-item scales)
#   sum_subscales    total = sum of the subscale scores (QIDS-SR16: nine domains, each the highest item)
#   subscale         total = one named subscale (BPI-SF: the pain-severity mean)
#   max_alert_level  total = ordinal of the highest alert level raised (C-SSRS screener triage)
ScoringRule = Literal["sum_items", "sum_subscales", "subscale", "max_alert_level"]
Aggregate = Literal["sum", "mean", "max"]
AlertLevel = Literal["low", "moderate", "high"]
ChangeClass = Literal["remission", "response", "partial", "no_change", "worsening"]

# Ordered from least to most urgent; the C-SSRS total is the 1-based position here (0 = no alert).
ALERT_LEVELS: tuple[AlertLevel, ...] = ("low", "moderate", "high")

Number = int | float


class UnknownInstrumentError(ValueError):
    """Raised when an instrument id is not one of the packaged instruments."""


class InvalidAnswersError(ValueError):
    """Raised when answers do not fit an instrument (count, item id, type or value)."""


class InstrumentDefinitionError(ValueError):
    """Raised when a packaged TOML definition is inconsistent (a bug in the data, caught at load)."""


@dataclass(frozen=True, slots=True)
class Option:
    """One allowed answer of an item: the stored integer value and its label.

    ``code`` is a LOINC answer code (``LA…``) where the brief lists one, else None.
    """

    value: int
    label: str
    code: str | None = None


@dataclass(frozen=True)
class Item:
    """One question with a stable id (``<instrument>.<name>``), its text and its allowed answers.

    ``option_set`` names the shared answer list the item uses; ``answer_system`` is the code
    system of the option codes (``http://loinc.org``) or None when the options have no codes.
    ``required`` is False only where the published form lets the respondent skip the item
    (QIDS-SR16 items 6-9: answer either 6 or 7, either 8 or 9).
    """

    id: str
    text: str
    options: tuple[Option, ...]
    option_set: str
    answer_system: str | None = None
    loinc: str | None = None
    required: bool = True

    @cached_property
    def allowed_values(self) -> tuple[int, ...]:
        """The option values in their listed order (computed once: scoring checks it per answer)."""
        return tuple(option.value for option in self.options)


@dataclass(frozen=True, slots=True)
class Band:
    """A labelled score range; ``low`` and ``high`` are both inclusive."""

    label: str
    low: Number
    high: Number

    def contains(self, total: Number) -> bool:
        """Whether ``total`` lies in this band (inclusive at both ends)."""
        return self.low <= total <= self.high


@dataclass(frozen=True, slots=True)
class Subscale:
    """A named part score: the ``aggregate`` (sum, mean or max) of the listed items' values."""

    id: str
    title: str
    items: tuple[str, ...]
    aggregate: Aggregate


@dataclass(frozen=True, slots=True)
class AlertRule:
    """Raise ``code`` when the item's value lies in ``[min_value, max_value]`` (inclusive)."""

    item_id: str
    min_value: int
    max_value: int
    code: str
    message: str
    level: AlertLevel | None
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemAlert:
    """An alert raised by one answer, e.g. PHQ-9 item 9 >= 1 -> ``suicide_risk``.

    ``level`` is set where the instrument grades risk (C-SSRS screener: low/moderate/high).
    """

    code: str
    item_id: str
    value: int
    message: str
    level: AlertLevel | None = None


@dataclass(frozen=True)
class Instrument:
    """A versioned questionnaire definition: items, scoring, bands, alerts, change rules, sources.

    Scores are unitless points in ``[min_score, max_score]``. ``higher_is_worse`` is True for
    symptom scales and False where a higher score is better (MOAA/S alertness, daily mood).

    Change rules (used by ``classify_change``); each comes with the source ids that back it:

    - ``response_min_drop_fraction`` / ``response_min_drop_points``: improvement needed for a
      response, as a fraction of the baseline's distance from the best score (for a scale whose
      best score is 0 this is the usual "50% reduction from baseline") or in points;
    - ``partial_min_drop_fraction`` / ``partial_min_drop_points``: the same for partial response;
    - ``remission_max_score``: current score at or below this (inclusive) is remission;
    - ``worsening_min_rise_points``: a move of at least this many points towards the worse end.

    ``version`` is the version of this definition; it changes whenever items, options, scoring,
    bands or alerts change, and is stored with every score so that scores can be recomputed.
    """

    id: str
    version: str
    title: str
    completed_by: CompletedBy
    recall_period: str | None
    instructions: str | None
    citation: str
    copyright: str
    items: tuple[Item, ...]
    scoring: ScoringRule
    min_score: Number
    max_score: Number
    bands: tuple[Band, ...]
    band_sources: tuple[str, ...]
    loinc_total: str | None
    higher_is_worse: bool
    sources: tuple[str, ...]
    subscales: tuple[Subscale, ...] = ()
    total_subscale: str | None = None
    alert_rules: tuple[AlertRule, ...] = ()
    # Groups of optional items of which at least one must be answered (QIDS-SR16 6/7 and 8/9).
    answer_one_of: tuple[tuple[str, ...], ...] = ()
    response_min_drop_fraction: float | None = None
    response_min_drop_points: float | None = None
    response_sources: tuple[str, ...] = ()
    partial_min_drop_fraction: float | None = None
    partial_min_drop_points: float | None = None
    partial_sources: tuple[str, ...] = ()
    remission_max_score: float | None = None
    remission_sources: tuple[str, ...] = ()
    worsening_min_rise_points: float | None = None
    worsening_sources: tuple[str, ...] = ()

    @cached_property
    def items_by_id(self) -> dict[str, Item]:
        """Items keyed by their stable id (computed once; scoring looks items up on every call)."""
        return {item.id: item for item in self.items}

    @property
    def item_ids(self) -> tuple[str, ...]:
        """The stable item ids in form order."""
        return tuple(item.id for item in self.items)

    @property
    def has_change_rules(self) -> bool:
        """Whether ``classify_change`` applies (the instrument defines a response rule)."""
        return self.response_min_drop_fraction is not None or self.response_min_drop_points is not None

    def item(self, item_id: str) -> Item:
        """The item with this id; raises ``InvalidAnswersError`` naming the allowed ids."""
        try:
            return self.items_by_id[item_id]
        except KeyError:
            raise InvalidAnswersError(
                f"unknown item id {item_id!r} for {self.id}; allowed item ids are {', '.join(self.item_ids)}"
            ) from None

    def band_for(self, total: Number) -> Band | None:
        """The band containing ``total``, or None when the instrument publishes no bands."""
        for band in self.bands:
            if band.contains(total):
                return band
        return None


@dataclass(frozen=True)
class ScoreResult:
    """The outcome of scoring one completed instrument.

    ``answers`` is the normalised input (item id -> value); together with ``instrument_id``
    and ``version`` it is what the database stores so the score can be recomputed.
    ``band`` is the band label, or None for instruments without published bands (BPI-SF,
    daily mood). ``subscores`` holds part scores by subscale id (BPI ``severity`` and
    ``interference``; QIDS-SR16 domains; PCL-5 clusters; Y-BOCS obsessions/compulsions).
    """

    instrument_id: str
    version: str
    total: Number
    band: str | None
    subscores: dict[str, Number] = field(default_factory=dict)
    alerts: tuple[ItemAlert, ...] = ()
    answers: dict[str, int] = field(default_factory=dict)

    def has_alert(self, code: str) -> bool:
        """Whether an alert with this code was raised."""
        return any(alert.code == code for alert in self.alerts)
